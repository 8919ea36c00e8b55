// devices/virtio/net against virtio 1.2 §5.1, through the virtio-mmio transport, over a fake
// backend that records transmitted frames and lets the test deliver frames to the guest.
#include "devices/virtio/net/device.h"
#include "devices/virtio/net/request.h"

#include <gtest/gtest.h>

#include <mutex>

#include "virtio_mmio_driver.h"

namespace {

using namespace xvm;
using namespace xvm::test;
using namespace xvm::devices::virtio::net;

constexpr unsigned RX = 0, TX = 1;  // §5.1.2: receiveq1, transmitq1
// §5.1.3 feature bits, §5.1.6 header layout (12 bytes with VERSION_1).
constexpr uint64_t F_CSUM = 1 << 0, F_MAC = 1 << 5, F_MRG_RXBUF = 1 << 15, F_STATUS = 1 << 16;
constexpr uint64_t kBuf = MmioDriver::kBuffers;

class FakeBackend : public NetBackend {
 public:
  void set_receiver(Receiver r) override {
    std::lock_guard lock(mu);
    receiver = std::move(r);
  }
  bool send(std::vector<uint8_t> frame) override {
    std::lock_guard lock(mu);
    sent.push_back(std::move(frame));
    return true;
  }
  void deliver(const std::vector<uint8_t>& frame) {
    std::lock_guard lock(mu);
    if (receiver) receiver(frame);
  }
  std::vector<std::vector<uint8_t>> frames() {
    std::lock_guard lock(mu);
    return sent;
  }
  std::mutex mu;
  Receiver receiver;
  std::vector<std::vector<uint8_t>> sent;
};

// An Ethernet frame of `n` bytes: broadcast destination, the device's MAC as source, IPv4
// EtherType, then a pattern.
std::vector<uint8_t> frame(size_t n, uint8_t seed = 0) {
  std::vector<uint8_t> f(n);
  for (size_t i = 0; i < n; ++i) f[i] = uint8_t(seed + i * 13);
  for (int i = 0; i < 6; ++i) f[size_t(i)] = 0xff;
  if (n >= 14) f[12] = 0x08, f[13] = 0x00;
  return f;
}

struct NetFixture : MmioDriver {
  explicit NetFixture(uint64_t features = reg::F_VERSION_1 | F_MAC | F_STATUS) {
    auto b = std::make_unique<FakeBackend>();
    be = b.get();
    auto d = std::make_unique<NetDevice>(std::move(b));
    net = d.get();
    attach(std::move(d));
    init(features, 2);
  }
  // Writes a virtio_net_hdr (§5.1.6) at pa.
  void hdr(uint64_t pa, uint8_t flags = 0, uint8_t gso = 0) {
    uint8_t h[12] = {flags, gso};
    mem.write(GuestPhysAddr{pa}, h, 12);
  }
  void put(uint64_t pa, const std::vector<uint8_t>& b) { mem.write(GuestPhysAddr{pa}, b.data(), b.size()); }
  FakeBackend* be;
  NetDevice* net;
};

TEST(VirtioNet, IdentifiesWithMacAndLinkUpAndNoOffloads) {
  NetFixture f;
  EXPECT_EQ(f.rd(reg::kDeviceId), 1u);  // §5.1.1
  const uint64_t feat = f.device_features();
  EXPECT_EQ(feat, reg::F_VERSION_1 | F_MAC | F_STATUS);  // no CSUM/GSO/MRG_RXBUF/CTRL_VQ/MQ
  // §5.1.4: mac[6] at 0, le16 status at 6 with VIRTIO_NET_S_LINK_UP (1).
  uint8_t mac[6];
  for (int i = 0; i < 6; ++i) mac[i] = uint8_t(f.t->read(reg::kConfig + uint64_t(i), 1));
  EXPECT_EQ(mac[0] & 0x03, 0x02);  // locally administered (bit 1), unicast (bit 0 clear)
  EXPECT_EQ(std::vector<uint8_t>(mac, mac + 6),
            std::vector<uint8_t>(kDefaultMac.begin(), kDefaultMac.end()));
  EXPECT_EQ(f.t->read(reg::kConfig + 6, 2), 1u);
}

TEST(VirtioNet, DriverAskingForUnofferedOffloadsIsRefused) {
  // CSUM or MRG_RXBUF are not offered, so FEATURES_OK does not stick (§2.2.2, §3.1.1).
  for (uint64_t extra : {F_CSUM, F_MRG_RXBUF}) {
    MmioDriver d;
    d.attach(std::make_unique<NetDevice>(std::make_unique<FakeBackend>()));
    using namespace reg;
    d.wr(kStatus, ACK);
    d.wr(kStatus, ACK | DRIVER);
    d.wr(kDrvFeatSel, 0);
    d.wr(kDrvFeat, uint32_t(extra | F_MAC));
    d.wr(kDrvFeatSel, 1);
    d.wr(kDrvFeat, 1);
    d.wr(kStatus, ACK | DRIVER | FEATURES_OK);
    EXPECT_EQ(d.rd(kStatus) & FEATURES_OK, 0u);
  }
}

TEST(VirtioNet, TransmitHandsTheFrameWithoutHeaderToTheBackend) {
  NetFixture f;
  const auto fr = frame(60, 1);
  f.hdr(kBuf);
  f.put(kBuf + 0x100, fr);
  const UsedElem e = f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, 60, false}});
  EXPECT_EQ(e.len, 0u);
  ASSERT_EQ(f.be->frames().size(), 1u);
  EXPECT_EQ(f.be->frames()[0], fr);
  EXPECT_EQ(f.net->stats().tx_frames, 1u);
}

TEST(VirtioNet, TransmitHeaderSplitOrSharingTheFrameBuffer) {
  // §2.7.4.1: no framing assumption. Header split 5+7, then header and frame in one buffer.
  NetFixture f;
  const auto fr = frame(42, 2);
  f.hdr(kBuf);
  f.put(kBuf + 12, fr);
  f.run(TX, {{kBuf, 5, false}, {kBuf + 5, 7 + 20, false}, {kBuf + 32, 22, false}});
  f.run(TX, {{kBuf, 54, false}});
  ASSERT_EQ(f.be->frames().size(), 2u);
  EXPECT_EQ(f.be->frames()[0], fr);
  EXPECT_EQ(f.be->frames()[1], fr);
}

TEST(VirtioNet, MalformedTransmitsAreDroppedOneByOne) {
  NetFixture f;
  const auto fr = frame(60);
  f.put(kBuf + 0x100, fr);
  // NEEDS_CSUM without VIRTIO_NET_F_CSUM, gso_type TCPV4 without HOST_TSO4 (§5.1.6.2.1).
  f.hdr(kBuf, 1, 0);
  f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, 60, false}});
  f.hdr(kBuf, 0, 1);
  f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, 60, false}});
  f.hdr(kBuf);
  f.run(TX, {{kBuf, 11, false}});                                  // header too short
  f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, 13, false}});       // no Ethernet header
  f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, 60, false}, {kBuf + 0x200, 4, true}});
  EXPECT_EQ(f.be->frames().size(), 0u);
  EXPECT_EQ(f.net->stats().tx_refused, 5u);
  EXPECT_EQ(f.rd(reg::kStatus) & reg::NEEDS_RESET, 0u);
  f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, 60, false}});  // and the device goes on
  EXPECT_EQ(f.be->frames().size(), 1u);
}

TEST(VirtioNet, TooLongTransmitIsDropped) {
  NetFixture f;
  f.hdr(kBuf);
  const uint32_t too_long = uint32_t(kMaxFrameSize + 1);
  f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, too_long, false}});
  EXPECT_EQ(f.be->frames().size(), 0u);
  f.run(TX, {{kBuf, 12, false}, {kBuf + 0x100, too_long - 1, false}});
  EXPECT_EQ(f.be->frames().size(), 1u);
}

TEST(VirtioNet, ReceivedFrameGetsAHeaderWithNumBuffers1) {
  NetFixture f;
  f.fill(kBuf, 2048, 0xee);
  f.post(RX, {{kBuf, 1526, true}});  // §5.1.6.3.1: at least 1526 bytes without MRG_RXBUF
  const auto fr = frame(100, 3);
  f.be->deliver(fr);
  ASSERT_TRUE(f.wait_used(RX, 1));
  EXPECT_EQ(f.q[RX].used(0).len, 12u + 100);
  // §5.1.6.4.1: flags 0 (no GUEST_CSUM), gso_type NONE, num_buffers 1 (le16 at offset 10).
  const auto h = f.bytes(kBuf, 12);
  EXPECT_EQ(h, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(f.bytes(kBuf + 12, 100), fr);
  EXPECT_EQ(f.bytes(kBuf + 112, 1)[0], 0xee);  // nothing past the frame
  EXPECT_TRUE(f.irq.level.load());
}

TEST(VirtioNet, ReceiveAcrossDescriptorsAndFramesWaitingForBuffers) {
  NetFixture f;
  const auto a = frame(70, 4), b = frame(30, 5);
  f.be->deliver(a);  // no buffers yet: held in the backlog
  f.be->deliver(b);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(f.q[RX].used_idx(), 0u);
  f.post(RX, {{kBuf, 8, true}, {kBuf + 0x100, 100, true}});  // header split 8 + 4
  ASSERT_TRUE(f.wait_used(RX, 1));
  EXPECT_EQ(f.q[RX].used(0).len, 82u);
  EXPECT_EQ(f.bytes(kBuf + 0x100 + 4, 70), a);
  f.post(RX, {{kBuf + 0x400, 1526, true}});
  ASSERT_TRUE(f.wait_used(RX, 2));
  EXPECT_EQ(f.bytes(kBuf + 0x400 + 12, 30), b);  // in order
}

TEST(VirtioNet, TooSmallOrReadableReceiveBufferDropsTheFrame) {
  NetFixture f;
  f.fill(kBuf, 256, 0xee);
  f.post(RX, {{kBuf, 50, true}});  // 12 + 60 does not fit
  f.be->deliver(frame(60));
  ASSERT_TRUE(f.wait_used(RX, 1));
  EXPECT_EQ(f.q[RX].used(0).len, 0u);
  EXPECT_EQ(f.bytes(kBuf, 1)[0], 0xee);  // nothing written
  f.post(RX, {{kBuf, 16, false}, {kBuf + 0x100, 1526, true}});  // §5.1.6.3.1: writable only
  f.be->deliver(frame(60));
  ASSERT_TRUE(f.wait_used(RX, 2));
  EXPECT_EQ(f.q[RX].used(1).len, 0u);
  EXPECT_EQ(f.net->stats().rx_refused, 2u);
  f.post(RX, {{kBuf + 0x800, 1526, true}});
  f.be->deliver(frame(60, 9));
  ASSERT_TRUE(f.wait_used(RX, 3));
  EXPECT_EQ(f.q[RX].used(2).len, 72u);
}

TEST(VirtioNet, FramesBeforeDriverOkAreDropped) {
  MmioDriver d;
  auto b = std::make_unique<FakeBackend>();
  FakeBackend* be = b.get();
  auto dev = std::make_unique<NetDevice>(std::move(b));
  NetDevice* net = dev.get();
  d.attach(std::move(dev));
  be->deliver(frame(60));
  EXPECT_EQ(net->stats().rx_dropped, 1u);
  d.init(reg::F_VERSION_1 | F_MAC, 2);
  d.post(RX, {{kBuf, 1526, true}});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(d.q[RX].used_idx(), 0u);
}

TEST(VirtioNet, BacklogIsBounded) {
  NetFixture f;
  for (size_t i = 0; i < kRxBacklog + 5; ++i) f.be->deliver(frame(60));
  EXPECT_EQ(f.net->stats().rx_dropped, 5u);
}

}  // namespace
