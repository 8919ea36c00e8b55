// devices/virtio/mmio.h against virtio 1.2 §4.2 (the virtio-mmio register layout) and the
// status and feature rules of §2.1, §2.2 and §3.1, driven through the BusDevice interface as a
// guest driver would (32-bit register accesses at the §4.2.2 offsets, spelled out here).
#include "devices/virtio/mmio.h"

#include <gtest/gtest.h>

#include <vector>

#include "memory/phys.h"
#include "virtio_mmio_regs.h"
#include "virtq_driver.h"

namespace {

using namespace xvm;
using namespace xvm::devices::virtio;

// Register offsets as numbers from the spec's table, not the header's names, so that a wrong
// constant in mmio.h would show here.
constexpr uint64_t kMagic = 0x000, kVersion = 0x004, kDevId = 0x008, kDevFeat = 0x010,
                   kDevFeatSel = 0x014, kDrvFeat = 0x020, kDrvFeatSel = 0x024, kQSel = 0x030,
                   kQNumMax = 0x034, kQNum = 0x038, kQReady = 0x044, kQNotify = 0x050,
                   kIntStatus = 0x060, kIntAck = 0x064, kStatus = 0x070, kQDescLo = 0x080,
                   kQDescHi = 0x084, kQDrvLo = 0x090, kQDrvHi = 0x094, kQDevLo = 0x0a0,
                   kQDevHi = 0x0a4, kShmLenLo = 0x0b0, kConfigGen = 0x0fc, kConfig = 0x100;
// Status bits (§2.1).
constexpr uint32_t ACK = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 64,
                   FAILED = 128;
constexpr uint64_t kVersion1 = uint64_t{1} << 32;  // VIRTIO_F_VERSION_1 (§6)

class FakeIrq : public devices::IrqLine {
 public:
  void set_level(bool high) override { level = high; }
  bool level = false;
};

// A device with two queues (max 16 and 8), features bits 0 and 5 plus VERSION_1, and an
// 8-byte config space 0x0706050403020100.
class FakeDevice : public VirtioDevice {
 public:
  const char* name() const override { return "fake"; }
  uint32_t device_id() const override { return 42; }
  uint64_t features() const override { return kVersion1 | 1 | (1 << 5); }
  unsigned num_queues() const override { return 2; }
  uint32_t queue_max_size(unsigned i) const override { return i == 0 ? 16 : 8; }
  uint64_t read_config(uint64_t off, unsigned size) override {
    static const uint8_t cfg[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    return read_config_bytes(cfg, off, size);
  }
  void write_config(uint64_t off, unsigned size, uint64_t v) override { config_writes++; }
  std::expected<void, std::string> activate(Transport& t, uint64_t f) override {
    transport = &t;
    negotiated = f;
    ++activations;
    if (fail_activation) return std::unexpected("refused");
    return {};
  }
  void notify(unsigned i) override { notified.push_back(i); }
  void reset() override { ++resets; }

  Transport* transport = nullptr;
  uint64_t negotiated = 0;
  int activations = 0, resets = 0, config_writes = 0;
  bool fail_activation = false;
  std::vector<unsigned> notified;
};

constexpr uint64_t kRam = 0x40000000;

struct Fixture {
  Fixture() {
    EXPECT_TRUE(mem.add_ram(GuestPhysAddr{kRam}, 0x100000));
    auto d = std::make_unique<FakeDevice>();
    dev = d.get();
    t = std::make_unique<MmioTransport>(mem, std::move(d), &irq);
  }
  uint32_t rd(uint64_t off) { return uint32_t(t->read(off, 4)); }
  void wr(uint64_t off, uint32_t v) { t->write(off, 4, v); }
  // §3.1.1 steps 1-6 with the given driver features; returns the status read back.
  uint32_t negotiate(uint64_t features) { return test::mmio_negotiate(*t, features); }
  // §4.2.3.2 for queue `q` laid out by `drv`.
  void setup_queue(uint32_t q, const test::DriverQueue& drv) {
    test::mmio_setup_queue(*t, q, drv);
  }
  memory::PhysMemory mem;
  FakeIrq irq;
  FakeDevice* dev;
  std::unique_ptr<MmioTransport> t;
};

TEST(VirtioMmio, IdentificationRegistersMatchTheSpec) {
  Fixture f;
  EXPECT_EQ(f.rd(kMagic), 0x74726976u);  // "virt"
  EXPECT_EQ(f.rd(kVersion), 2u);         // non-legacy
  EXPECT_EQ(f.rd(kDevId), 42u);
  EXPECT_EQ(f.rd(kStatus), 0u);
  EXPECT_EQ(f.rd(kShmLenLo), 0xffffffffu);  // no shared memory region: length -1
  // §4.2.2.2: control registers are 32-bit accesses; others read as zero here.
  EXPECT_EQ(f.t->read(kMagic, 1), 0u);
  EXPECT_EQ(f.t->read(kMagic + 2, 4), 0u);
  EXPECT_STREQ(f.t->name(), "fake");
}

TEST(VirtioMmio, DeviceFeaturesAreSelectedBy32BitWord) {
  Fixture f;
  f.wr(kDevFeatSel, 0);
  EXPECT_EQ(f.rd(kDevFeat), 0x21u);  // bits 0 and 5
  f.wr(kDevFeatSel, 1);
  EXPECT_EQ(f.rd(kDevFeat), 1u);  // VERSION_1 is bit 32
  f.wr(kDevFeatSel, 2);
  EXPECT_EQ(f.rd(kDevFeat), 0u);
}

TEST(VirtioMmio, FeaturesOkWithASubsetIncludingVersion1) {
  Fixture f;
  EXPECT_EQ(f.negotiate(kVersion1 | 1), ACK | DRIVER | FEATURES_OK);
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  EXPECT_EQ(f.dev->activations, 1);
  EXPECT_EQ(f.dev->negotiated, kVersion1 | 1);
}

TEST(VirtioMmio, FeaturesOkRefusedWithoutVersion1OrWithUnofferedBits) {
  Fixture f;
  EXPECT_EQ(f.negotiate(1), ACK | DRIVER);                        // no VERSION_1
  EXPECT_EQ(f.negotiate(kVersion1 | (1 << 3)), ACK | DRIVER);     // bit 3 not offered
  EXPECT_EQ(f.negotiate(kVersion1 | (uint64_t{1} << 40)), ACK | DRIVER);
  // A bit in word 2 (features 64-95), which no device offers.
  f.negotiate(0);
  f.wr(kDrvFeatSel, 1);
  f.wr(kDrvFeat, 1);
  f.wr(kDrvFeatSel, 2);
  f.wr(kDrvFeat, 1);
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK);
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER);
  // DRIVER_OK cannot follow a refused FEATURES_OK.
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER);
  EXPECT_EQ(f.dev->activations, 0);
}

TEST(VirtioMmio, FeaturesAreFrozenAfterFeaturesOk) {
  Fixture f;
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  f.wr(kDrvFeatSel, 0);
  f.wr(kDrvFeat, 0x21);  // §3.1.1 step 5: no new features after FEATURES_OK
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  EXPECT_EQ(f.dev->negotiated, kVersion1);
}

TEST(VirtioMmio, StatusStepsMustComeInOrderAndBitsCannotBeCleared) {
  Fixture f;
  f.wr(kStatus, DRIVER);  // DRIVER without ACKNOWLEDGE
  EXPECT_EQ(f.rd(kStatus), 0u);
  f.wr(kStatus, ACK);
  f.wr(kStatus, ACK | DRIVER | DRIVER_OK);  // DRIVER_OK without FEATURES_OK
  EXPECT_EQ(f.rd(kStatus), ACK);
  f.wr(kStatus, ACK | DRIVER);
  f.wr(kStatus, DRIVER);  // clears ACKNOWLEDGE: ignored (§2.1.1)
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER);
  f.wr(kStatus, ACK | DRIVER | NEEDS_RESET);  // the device's bit, not the driver's
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER);
  f.wr(kStatus, ACK | DRIVER | FAILED);
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER | FAILED);
  EXPECT_EQ(f.dev->activations, 0);
}

TEST(VirtioMmio, QueueRegistersAndReadiness) {
  Fixture f;
  f.wr(kQSel, 0);
  EXPECT_EQ(f.rd(kQNumMax), 16u);
  EXPECT_EQ(f.rd(kQReady), 0u);
  f.wr(kQSel, 1);
  EXPECT_EQ(f.rd(kQNumMax), 8u);
  f.wr(kQSel, 2);
  EXPECT_EQ(f.rd(kQNumMax), 0u);  // §4.2.2: zero for a queue that is not available
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  test::DriverQueue drv(f.mem, kRam + 0x10000, 16);
  f.setup_queue(0, drv);
  EXPECT_EQ(f.rd(kQReady), 1u);
  Queue& q = f.t->queue(0);
  EXPECT_EQ(q.size(), 16u);
  EXPECT_EQ(q.desc().value, drv.desc_addr());
  EXPECT_EQ(q.driver().value, drv.avail_addr());
  EXPECT_EQ(q.device().value, drv.used_addr());
  // §4.2.2.2: no queue configuration while ready; the device ignores such writes.
  f.wr(kQNum, 8);
  f.wr(kQDescLo, 0);
  EXPECT_EQ(q.size(), 16u);
  EXPECT_EQ(q.desc().value, drv.desc_addr());
  // The high halves reach bits 32-63.
  f.wr(kQSel, 1);
  f.wr(kQDescHi, 0x12);
  EXPECT_EQ(f.t->queue(1).desc().value, uint64_t{0x12} << 32);
  EXPECT_EQ(f.rd(kStatus) & NEEDS_RESET, 0u);
}

TEST(VirtioMmio, AnInvalidQueueIsADeviceErrorWithoutInterruptBeforeDriverOk) {
  Fixture f;
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  test::DriverQueue drv(f.mem, kRam + 0x10000, 16);
  f.wr(kQSel, 0);
  f.wr(kQNum, 12);  // not a power of 2
  f.wr(kQDescLo, uint32_t(drv.desc_addr()));
  f.wr(kQDrvLo, uint32_t(drv.avail_addr()));
  f.wr(kQDevLo, uint32_t(drv.used_addr()));
  f.wr(kQReady, 1);
  EXPECT_EQ(f.rd(kQReady), 0u);
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER | FEATURES_OK | NEEDS_RESET);
  EXPECT_EQ(f.rd(kIntStatus), 0u);  // §2.1.2: the notification is owed only after DRIVER_OK
  EXPECT_FALSE(f.irq.level);
  EXPECT_NE(f.t->last_error().find("power of 2"), std::string::npos) << f.t->last_error();
  // DRIVER_OK is accepted as a status bit but the device stays inactive.
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  EXPECT_EQ(f.dev->activations, 0);
  f.wr(kStatus, 0);
  EXPECT_EQ(f.rd(kStatus), 0u);
  EXPECT_TRUE(f.t->last_error().empty());
}

TEST(VirtioMmio, NotificationsReachTheDeviceOnlyWhenLive) {
  Fixture f;
  f.wr(kQNotify, 0);  // before DRIVER_OK (§3.1.1: the driver must not; dropped)
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  f.wr(kQNotify, 0);
  EXPECT_TRUE(f.dev->notified.empty());
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  f.wr(kQNotify, 1);
  f.wr(kQNotify, 2);  // no such queue
  ASSERT_EQ(f.dev->notified.size(), 1u);
  EXPECT_EQ(f.dev->notified[0], 1u);
}

TEST(VirtioMmio, InterruptStatusAndAcknowledgeDriveTheLine) {
  Fixture f;
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  ASSERT_NE(f.dev->transport, nullptr);
  EXPECT_FALSE(f.irq.level);
  f.dev->transport->signal_used(0);
  EXPECT_EQ(f.rd(kIntStatus), 1u);  // bit 0: used buffer
  EXPECT_TRUE(f.irq.level);
  const uint32_t gen = f.rd(kConfigGen);
  f.dev->transport->config_changed();
  EXPECT_EQ(f.rd(kIntStatus), 3u);  // bit 1: configuration change
  EXPECT_NE(f.rd(kConfigGen), gen);
  f.wr(kIntAck, 1);
  EXPECT_EQ(f.rd(kIntStatus), 2u);
  EXPECT_TRUE(f.irq.level);  // still one event pending
  f.wr(kIntAck, 2);
  EXPECT_EQ(f.rd(kIntStatus), 0u);
  EXPECT_FALSE(f.irq.level);
}

TEST(VirtioMmio, DeviceErrorAfterDriverOkSetsNeedsResetAndNotifies) {
  Fixture f;
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  f.dev->transport->device_error("test");
  EXPECT_EQ(f.rd(kStatus), ACK | DRIVER | FEATURES_OK | DRIVER_OK | NEEDS_RESET);
  EXPECT_EQ(f.rd(kIntStatus), 2u);  // §2.1.2: a configuration change notification
  EXPECT_TRUE(f.irq.level);
  f.wr(kQNotify, 0);
  EXPECT_TRUE(f.dev->notified.empty());  // a broken device is not asked to do more
  // Reset (§4.2.2.1): status, interrupt status and queue readiness cleared, device reset.
  const int resets = f.dev->resets;
  f.wr(kStatus, 0);
  EXPECT_EQ(f.dev->resets, resets + 1);
  EXPECT_EQ(f.rd(kStatus), 0u);
  EXPECT_EQ(f.rd(kIntStatus), 0u);
  EXPECT_FALSE(f.irq.level);
}

TEST(VirtioMmio, FailedActivationIsADeviceError) {
  Fixture f;
  f.dev->fail_activation = true;
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  f.wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  EXPECT_EQ(f.rd(kStatus) & NEEDS_RESET, NEEDS_RESET);
  EXPECT_EQ(f.rd(kIntStatus), 2u);
}

TEST(VirtioMmio, ResetClearsQueues) {
  Fixture f;
  ASSERT_EQ(f.negotiate(kVersion1), ACK | DRIVER | FEATURES_OK);
  test::DriverQueue drv(f.mem, kRam + 0x10000, 16);
  f.setup_queue(0, drv);
  ASSERT_EQ(f.rd(kQReady), 1u);
  f.wr(kStatus, 0);
  f.wr(kQSel, 0);
  EXPECT_EQ(f.rd(kQReady), 0u);
  EXPECT_EQ(f.t->queue(0).size(), 0u);
}

TEST(VirtioMmio, ConfigSpaceIsTheDevicesFromOffset0x100) {
  Fixture f;
  EXPECT_EQ(f.t->read(kConfig, 1), 0u);
  EXPECT_EQ(f.t->read(kConfig + 1, 1), 1u);
  EXPECT_EQ(f.t->read(kConfig + 2, 2), 0x0302u);
  EXPECT_EQ(f.t->read(kConfig + 4, 4), 0x07060504u);
  EXPECT_EQ(f.t->read(kConfig + 8, 4), 0u);  // past the device's config: zero
  f.t->write(kConfig + 4, 4, 1);
  EXPECT_EQ(f.dev->config_writes, 1);
}

}  // namespace
