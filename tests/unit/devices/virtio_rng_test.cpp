// devices/virtio/rng against virtio 1.2 §5.4, driven through the virtio-mmio transport.
#include "devices/virtio/rng/device.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "virtio_mmio_driver.h"

namespace {

using namespace xvm;
using namespace xvm::test;
using devices::virtio::rng::RngDevice;

constexpr uint64_t kBuf = MmioDriver::kBuffers;

struct RngFixture : MmioDriver {
  RngFixture() {
    auto d = std::make_unique<RngDevice>();
    rng = d.get();
    attach(std::move(d));
    init(reg::F_VERSION_1, 1);
  }
  RngDevice* rng;
};

// Bytes of `b` differing from the poison value: random data leaves few equal to it (about
// 1 in 256), an untouched buffer none.
size_t changed(const std::vector<uint8_t>& b, uint8_t poison) {
  return size_t(std::count_if(b.begin(), b.end(), [&](uint8_t x) { return x != poison; }));
}

TEST(VirtioRng, IdentifiesAsEntropyDeviceWithOnlyVersion1) {
  RngFixture f;
  EXPECT_EQ(f.rd(reg::kDeviceId), 4u);  // §5.4.1
  EXPECT_EQ(f.device_features(), reg::F_VERSION_1);  // §5.4.3: no feature bits
}

TEST(VirtioRng, FillsAWritableBufferCompletely) {
  RngFixture f;
  f.fill(kBuf, 4096, 0xcc);
  const UsedElem e = f.run(0, {{kBuf, 512, true}});
  EXPECT_EQ(e.len, 512u);
  EXPECT_GT(changed(f.bytes(kBuf, 512), 0xcc), 480u);
  EXPECT_EQ(changed(f.bytes(kBuf + 512, 512), 0xcc), 0u);  // nothing past the buffer
  EXPECT_TRUE(f.irq.level.load());  // used buffer notification
  EXPECT_EQ(f.rd(reg::kIntStatus) & 1, 1u);
}

TEST(VirtioRng, FillsEverySegmentOfAChainAndSuccessiveRequestsDiffer) {
  RngFixture f;
  f.fill(kBuf, 8192, 0);
  const UsedElem e = f.run(0, {{kBuf, 100, true}, {kBuf + 0x1000, 300, true}});
  EXPECT_EQ(e.len, 400u);
  EXPECT_GT(changed(f.bytes(kBuf, 100), 0), 90u);
  EXPECT_GT(changed(f.bytes(kBuf + 0x1000, 300), 0), 280u);
  const auto first = f.bytes(kBuf, 100);
  f.run(0, {{kBuf, 100, true}});
  EXPECT_NE(f.bytes(kBuf, 100), first);
  EXPECT_EQ(f.rng->filled(), 2u);
}

TEST(VirtioRng, LargeBufferGetsAtMostTheBoundAndTheDriverSeesHowMuch) {
  // §5.4.6.2: the device MAY use less than the entire buffer; the used length says how much.
  RngFixture f;
  constexpr uint32_t big = 96 * 1024;  // more than kMaxBytesPerChain
  f.fill(kBuf, big, 0x11);
  const UsedElem e = f.run(0, {{kBuf, big, true}});
  ASSERT_EQ(e.len, devices::virtio::rng::kMaxBytesPerChain);
  EXPECT_EQ(changed(f.bytes(kBuf + e.len, big - e.len), 0x11), 0u);
}

TEST(VirtioRng, RefusesDeviceReadableChainsAndKeepsServingTheQueue) {
  // §5.4.6.1: the driver MUST NOT place device-readable buffers; such a chain is returned
  // unused (length 0) with nothing written, and the device stays usable.
  RngFixture f;
  f.fill(kBuf, 4096, 0x5a);
  UsedElem e = f.run(0, {{kBuf, 64, false}});
  EXPECT_EQ(e.len, 0u);
  EXPECT_EQ(changed(f.bytes(kBuf, 64), 0x5a), 0u);
  e = f.run(0, {{kBuf, 64, false}, {kBuf + 64, 64, true}});  // mixed: refused too
  EXPECT_EQ(e.len, 0u);
  EXPECT_EQ(changed(f.bytes(kBuf, 128), 0x5a), 0u);
  EXPECT_EQ(f.rng->refused(), 2u);
  EXPECT_EQ(f.rd(reg::kStatus) & reg::NEEDS_RESET, 0u);
  e = f.run(0, {{kBuf + 256, 32, true}});
  EXPECT_EQ(e.len, 32u);
}

TEST(VirtioRng, ManyChainsInOneNotificationAreAllServed) {
  RngFixture f;
  const uint16_t before = f.q[0].used_idx();
  for (int i = 0; i < 12; ++i) f.post(0, {{kBuf + 0x1000 * uint64_t(i), 16, true}}, false);
  f.wr(reg::kQNotify, 0);
  ASSERT_TRUE(f.wait_used(0, uint16_t(before + 12)));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(f.q[0].used(uint16_t(before + i)).len, 16u);
}

TEST(VirtioRng, MalformedChainIsADeviceErrorNotACrash) {
  // A buffer outside guest RAM (§2.7.5 via queue.cpp): DEVICE_NEEDS_RESET, nothing used.
  RngFixture f;
  f.post(0, {{0x10000000, 64, true}});
  for (int i = 0; i < 5000 && !(f.rd(reg::kStatus) & reg::NEEDS_RESET); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(f.rd(reg::kStatus) & reg::NEEDS_RESET);
  EXPECT_EQ(f.q[0].used_idx(), 0u);
  // After a reset and a new initialisation the device works again.
  f.init(reg::F_VERSION_1, 1);
  EXPECT_EQ(f.run(0, {{kBuf, 8, true}}).len, 8u);
}

}  // namespace
