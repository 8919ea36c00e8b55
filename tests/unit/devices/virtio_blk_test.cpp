// devices/virtio/blk against virtio 1.2 §5.2: a temp image file behind the virtio-mmio
// transport, driven as Linux's virtio_blk does (feature negotiation, one request queue, requests
// of header + data + status byte), checking the file and the guest buffers afterwards.
#include "devices/virtio/blk/device.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "devices/virtio/mmio.h"
#include "memory/phys.h"
#include "virtio_mmio_regs.h"
#include "virtq_driver.h"

namespace {

using namespace xvm;
using namespace xvm::devices::virtio;
using test::Buf;

// Register offsets and status bits from virtio 1.2 §4.2.2 and §2.1.
constexpr uint64_t kDevFeat = 0x010, kDevFeatSel = 0x014, kDrvFeat = 0x020, kDrvFeatSel = 0x024,
                   kQSel = 0x030, kQNumMax = 0x034, kQNum = 0x038, kQReady = 0x044,
                   kQNotify = 0x050, kIntStatus = 0x060, kIntAck = 0x064, kStatus = 0x070,
                   kQDescLo = 0x080, kQDrvLo = 0x090, kQDevLo = 0x0a0, kDevId = 0x008,
                   kConfig = 0x100;
constexpr uint32_t ACK = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 64;
// virtio-blk (§5.2.3, §5.2.6).
constexpr uint64_t F_SEG_MAX = 1 << 2, F_RO = 1 << 5, F_FLUSH = 1 << 9;
constexpr uint64_t F_VERSION_1 = uint64_t{1} << 32;
constexpr uint32_t T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11;
constexpr uint8_t S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;

constexpr uint64_t kRam = 0x40000000, kRamSize = 0x100000;
constexpr uint64_t kRing = kRam, kHdr = kRam + 0x10000, kStat = kRam + 0x11000,
                   kData = kRam + 0x20000;
constexpr uint64_t kImageSectors = 128;
constexpr uint64_t kImageBytes = kImageSectors * 512 + 100;  // a partial sector at the end

class FakeIrq : public devices::IrqLine {
 public:
  void set_level(bool high) override { level.store(high); }
  std::atomic<bool> level{false};
};

uint8_t pattern(uint64_t i) { return uint8_t(i * 7 + (i >> 9)); }

struct Fixture {
  explicit Fixture(bool read_only = false, uint64_t features = F_VERSION_1 | F_FLUSH | F_SEG_MAX) {
    path = ::testing::TempDir() + "xvm-blk-XXXXXX";
    const int fd = mkstemp(path.data());
    EXPECT_GE(fd, 0);
    std::vector<uint8_t> img(kImageBytes);
    for (uint64_t i = 0; i < img.size(); ++i) img[i] = pattern(i);
    EXPECT_EQ(write(fd, img.data(), img.size()), ssize_t(img.size()));
    close(fd);
    EXPECT_TRUE(mem.add_ram(GuestPhysAddr{kRam}, kRamSize));
    auto dev = blk::BlkDevice::open({path, read_only, "xvm-test-serial"});
    EXPECT_TRUE(dev) << dev.error();
    blk = dev->get();
    t = std::make_unique<MmioTransport>(mem, std::move(*dev), &irq);
    drv.emplace(mem, kRing, 16);
    init(features);
  }
  ~Fixture() {
    t.reset();  // joins the worker before the file goes
    unlink(path.c_str());
  }
  uint32_t rd(uint64_t off) { return uint32_t(t->read(off, 4)); }
  void wr(uint64_t off, uint32_t v) { t->write(off, 4, v); }

  // §3.1.1 and §4.2.3.2, as Linux's virtio_mmio does it.
  void init(uint64_t features) {
    ASSERT_EQ(test::mmio_negotiate(*t, features), ACK | DRIVER | FEATURES_OK);
    drv.emplace(mem, kRing, 16);
    ASSERT_GE(test::mmio_setup_queue(*t, 0, *drv), 16u);
    ASSERT_EQ(test::mmio_driver_ok(*t), ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  }

  void header(uint32_t type, uint64_t sector) {
    uint8_t h[16] = {};
    std::memcpy(h, &type, 4);
    std::memcpy(h + 8, &sector, 8);
    mem.write(GuestPhysAddr{kHdr}, h, 16);
    const uint8_t poison = 0xee;  // so that an unwritten status byte shows
    mem.write(GuestPhysAddr{kStat}, &poison, 1);
  }

  // Publishes the chain, notifies, and waits (up to 5 s) for the device to use it.
  test::UsedElem run(const std::vector<Buf>& bufs) {
    const uint16_t before = drv->used_idx();
    const uint16_t head = drv->add_chain(bufs);
    wr(kQNotify, 0);
    for (int i = 0; i < 5000 && drv->used_idx() == before; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_NE(drv->used_idx(), before) << "request not completed";
    const test::UsedElem e = drv->used(before);
    EXPECT_EQ(e.id, head);
    return e;
  }
  uint8_t status() {
    uint8_t s = 0;
    mem.read(GuestPhysAddr{kStat}, &s, 1);
    return s;
  }
  std::vector<uint8_t> file_bytes(uint64_t off, uint64_t len) {
    std::vector<uint8_t> b(len);
    const int fd = open(path.c_str(), O_RDONLY);
    EXPECT_EQ(pread(fd, b.data(), len, off_t(off)), ssize_t(len));
    close(fd);
    return b;
  }
  std::vector<uint8_t> guest_bytes(uint64_t pa, uint64_t len) {
    std::vector<uint8_t> b(len);
    mem.read(GuestPhysAddr{pa}, b.data(), len);
    return b;
  }

  std::string path;
  memory::PhysMemory mem;
  FakeIrq irq;
  blk::BlkDevice* blk = nullptr;
  std::unique_ptr<MmioTransport> t;
  std::optional<test::DriverQueue> drv;
};

TEST(VirtioBlk, IdentifiesItselfWithCapacityAndFeatures) {
  Fixture f;
  EXPECT_EQ(f.rd(kDevId), 2u);  // §5.2.1
  // capacity: le64 at config offset 0, read as two 32-bit halves (§4.2.2.2).
  const uint64_t cap = f.rd(kConfig) | uint64_t(f.rd(kConfig + 4)) << 32;
  EXPECT_EQ(cap, kImageSectors);  // the partial last sector is not counted
  EXPECT_EQ(f.rd(kConfig + 12), 254u);  // seg_max: le32 at offset 12
  f.wr(kDevFeatSel, 0);
  const uint32_t lo = f.rd(kDevFeat);
  EXPECT_TRUE(lo & F_FLUSH);
  EXPECT_TRUE(lo & F_SEG_MAX);
  EXPECT_FALSE(lo & F_RO);
  f.wr(kDevFeatSel, 1);
  EXPECT_EQ(f.rd(kDevFeat) & 1, 1u);  // VERSION_1
  Fixture ro(true);
  ro.wr(kDevFeatSel, 0);
  EXPECT_TRUE(ro.rd(kDevFeat) & F_RO);
}

TEST(VirtioBlk, ReadFillsGuestBuffersFromTheImage) {
  Fixture f;
  f.header(T_IN, 3);
  // 2 sectors split unevenly over two descriptors; header and status separate.
  const auto e = f.run({{kHdr, 16, false}, {kData, 300, true}, {kData + 0x1000, 724, true},
                        {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(e.len, 1024u + 1);  // data and status byte written
  auto want = f.file_bytes(3 * 512, 1024);
  auto got = f.guest_bytes(kData, 300);
  auto got2 = f.guest_bytes(kData + 0x1000, 724);
  got.insert(got.end(), got2.begin(), got2.end());
  EXPECT_EQ(got, want);
  // A used buffer notification: InterruptStatus bit 0 and the line high (§4.2.2).
  EXPECT_TRUE(f.irq.level.load());
  EXPECT_EQ(f.rd(kIntStatus) & 1, 1u);
  f.wr(kIntAck, 1);
  EXPECT_FALSE(f.irq.level.load());
}

TEST(VirtioBlk, HeaderSplitAcrossDescriptorsAndStatusSharingTheDataBuffer) {
  // §2.7.4.1: the device makes no assumption about the framing.
  Fixture f;
  f.header(T_IN, 0);
  // The status byte is the last byte of the one writable descriptor.
  const auto e = f.run({{kHdr, 4, false}, {kHdr + 4, 12, false}, {kData, 513, true}});
  uint8_t st = 0xff;
  f.mem.read(GuestPhysAddr{kData + 512}, &st, 1);
  EXPECT_EQ(st, S_OK);
  EXPECT_EQ(e.len, 513u);
  EXPECT_EQ(f.guest_bytes(kData, 512), f.file_bytes(0, 512));
}

TEST(VirtioBlk, WriteReachesTheFileAndFlushSucceeds) {
  Fixture f;
  std::vector<uint8_t> data(1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(0xa5 ^ i);
  f.mem.write(GuestPhysAddr{kData}, data.data(), data.size());
  f.header(T_OUT, 5);
  auto e = f.run({{kHdr, 16, false}, {kData, 1024, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(e.len, 1u);
  EXPECT_EQ(f.file_bytes(5 * 512, 1024), data);
  EXPECT_EQ(f.file_bytes(4 * 512, 512), [] {  // the sector before is untouched
    std::vector<uint8_t> b(512);
    for (int i = 0; i < 512; ++i) b[i] = pattern(4 * 512 + i);
    return b;
  }());
  f.header(T_FLUSH, 0);
  e = f.run({{kHdr, 16, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(e.len, 1u);
}

TEST(VirtioBlk, WriteWithoutNegotiatedFlushStillSucceeds) {
  // §5.2.6.2 case 1: FLUSH offered, not negotiated: writes are made stable before completion.
  Fixture f(false, F_VERSION_1);
  const std::vector<uint8_t> data(512, 0x5a);
  f.mem.write(GuestPhysAddr{kData}, data.data(), 512);
  f.header(T_OUT, kImageSectors - 1);  // the last whole sector
  f.run({{kHdr, 16, false}, {kData, 512, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(f.file_bytes((kImageSectors - 1) * 512, 512), data);
}

TEST(VirtioBlk, GetIdReturnsTheSerialNulPadded) {
  Fixture f;
  f.header(T_GET_ID, 0);
  const std::vector<uint8_t> junk(20, 0xcc);
  f.mem.write(GuestPhysAddr{kData}, junk.data(), 20);
  const auto e = f.run({{kHdr, 16, false}, {kData, 20, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(e.len, 21u);
  std::vector<uint8_t> want(20, 0);
  std::memcpy(want.data(), "xvm-test-serial", 15);
  EXPECT_EQ(f.guest_bytes(kData, 20), want);
}

TEST(VirtioBlk, ReadOnlyRefusesWritesWithIoErrAndLeavesTheFile) {
  // §5.2.6.2: with VIRTIO_BLK_F_RO offered, IOERR for a write, and no data written.
  Fixture f(true, F_VERSION_1 | F_FLUSH | F_RO);
  const std::vector<uint8_t> data(512, 0x11);
  f.mem.write(GuestPhysAddr{kData}, data.data(), 512);
  const auto before = f.file_bytes(0, 512);
  f.header(T_OUT, 0);
  f.run({{kHdr, 16, false}, {kData, 512, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  EXPECT_EQ(f.file_bytes(0, 512), before);
  f.header(T_IN, 1);  // reads still work
  f.run({{kHdr, 16, false}, {kData, 512, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(f.guest_bytes(kData, 512), f.file_bytes(512, 512));
}

TEST(VirtioBlk, SectorRangesBeyondTheCapacityFail) {
  Fixture f;
  f.header(T_IN, kImageSectors - 1);  // 2 sectors from the last one
  auto e = f.run({{kHdr, 16, false}, {kData, 1024, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  EXPECT_EQ(e.len, 0u);
  f.header(T_OUT, kImageSectors - 1);  // a write one sector past the end must not grow the file
  f.run({{kHdr, 16, false}, {kData, 1024, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  struct stat st;
  ASSERT_EQ(stat(f.path.c_str(), &st), 0);
  EXPECT_EQ(uint64_t(st.st_size), kImageBytes);
  f.header(T_OUT, ~uint64_t{0});  // sector + count overflows 64 bits
  f.run({{kHdr, 16, false}, {kData, 512, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  f.header(T_IN, uint64_t{1} << 55);  // far beyond (and sector * 512 would overflow)
  f.run({{kHdr, 16, false}, {kData, 512, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  f.header(T_IN, kImageSectors - 1);  // exactly the last sector is fine
  f.run({{kHdr, 16, false}, {kData, 512, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
}

TEST(VirtioBlk, MalformedRequestsFailAloneWithIoErrOrUnsupp) {
  Fixture f;
  f.header(T_IN, 0);
  f.run({{kHdr, 8, false}, {kData, 512, true}, {kStat, 1, true}});  // header too short
  EXPECT_EQ(f.status(), S_IOERR);
  f.header(T_IN, 0);
  f.run({{kHdr, 16, false}, {kData, 100, true}, {kStat, 1, true}});  // not a sector multiple
  EXPECT_EQ(f.status(), S_IOERR);
  f.header(T_OUT, 0);
  f.run({{kHdr, 16, false}, {kData, 511, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  f.header(T_IN, 0);  // data to read in a read request
  f.run({{kHdr, 16, false}, {kData, 512, false}, {kData, 512, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  f.header(T_GET_ID, 0);  // §5.2.6.1: GET_ID data is 20 bytes
  f.run({{kHdr, 16, false}, {kData, 16, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_IOERR);
  f.header(T_DISCARD, 0);  // not offered
  f.run({{kHdr, 16, false}, {kData, 16, false}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_UNSUPP);
  // No device-writable byte at all: nothing to report in, used with length 0.
  f.header(T_IN, 0);
  auto e = f.run({{kHdr, 16, false}});
  EXPECT_EQ(e.len, 0u);
  EXPECT_EQ(f.status(), 0xee);  // untouched
  // The device goes on: a good request after all that.
  f.header(T_IN, 2);
  f.run({{kHdr, 16, false}, {kData, 512, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(f.rd(kStatus) & NEEDS_RESET, 0u);
}

TEST(VirtioBlk, AMalformedChainNeedsResetAndTheDeviceRecoversAfterIt) {
  Fixture f;
  f.header(T_IN, 0);
  f.drv->set_desc(0, kHdr, 16, 1, 0);  // a loop
  f.drv->publish(0);
  f.wr(kQNotify, 0);
  // The worker sets NEEDS_RESET, records the reason, then notifies: wait for the
  // notification (status alone may be seen before it).
  for (int i = 0; i < 5000 && !((f.rd(kStatus) & NEEDS_RESET) && (f.rd(kIntStatus) & 2)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(f.rd(kStatus) & NEEDS_RESET, NEEDS_RESET);
  EXPECT_EQ(f.rd(kIntStatus) & 2, 2u);  // configuration change notification
  EXPECT_TRUE(f.irq.level.load());
  EXPECT_NE(f.t->last_error().find("loop"), std::string::npos) << f.t->last_error();
  // A driver resets and starts over (Linux does this on NEEDS_RESET only with help, but the
  // device must support it).
  f.init(F_VERSION_1 | F_FLUSH);
  f.header(T_IN, 1);
  f.run({{kHdr, 16, false}, {kData, 512, true}, {kStat, 1, true}});
  EXPECT_EQ(f.status(), S_OK);
  EXPECT_EQ(f.guest_bytes(kData, 512), f.file_bytes(512, 512));
}

TEST(VirtioBlk, AFullRingOfRequestsCompletes) {
  Fixture f;
  // 5 chains of 3 descriptors fill 15 of the 16 descriptors; all published before one notify.
  for (int i = 0; i < 5; ++i) {
    const uint64_t hdr = kHdr + 0x100 * i, st = kStat + i, data = kData + 0x1000 * i;
    uint8_t h[16] = {};
    const uint64_t sector = 10 + i;
    std::memcpy(h + 8, &sector, 8);  // type 0: IN
    f.mem.write(GuestPhysAddr{hdr}, h, 16);
    f.drv->add_chain({{hdr, 16, false}, {data, 512, true}, {st, 1, true}});
  }
  f.wr(kQNotify, 0);
  for (int i = 0; i < 5000 && f.drv->used_idx() != 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(f.drv->used_idx(), 5);
  for (int i = 0; i < 5; ++i) {
    uint8_t st = 0xff;
    f.mem.read(GuestPhysAddr{kStat + i}, &st, 1);
    EXPECT_EQ(st, S_OK);
    EXPECT_EQ(f.guest_bytes(kData + 0x1000 * i, 512), f.file_bytes((10 + i) * 512, 512));
  }
  EXPECT_EQ(f.blk->completed(), 5u);
}

TEST(VirtioBlk, OpenRefusesMissingFilesAndDirectories) {
  auto r = blk::BlkDevice::open({"/nonexistent/xvm-image", false, ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("/nonexistent/xvm-image"), std::string::npos);
  r = blk::BlkDevice::open({"/", true, ""});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not a regular file"), std::string::npos) << r.error();
}

}  // namespace
