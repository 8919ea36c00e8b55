// A guest driver's view of one virtio-mmio device for the rng, console and net tests: the
// register offsets of virtio 1.2 §4.2.2, the initialisation sequence of §3.1.1 / §4.2.3.2 as
// Linux's virtio_mmio performs it, one DriverQueue (virtq_driver.h) per virtqueue, and waiting
// for the device's worker to use a chain. Written from the spec, independently of mmio.cpp.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "devices/virtio/mmio.h"
#include "memory/phys.h"
#include "virtq_driver.h"

namespace xvm::test {

namespace reg {
constexpr uint64_t kDeviceId = 0x008, kDevFeat = 0x010, kDevFeatSel = 0x014, kDrvFeat = 0x020,
                   kDrvFeatSel = 0x024, kQSel = 0x030, kQNumMax = 0x034, kQNum = 0x038,
                   kQReady = 0x044, kQNotify = 0x050, kIntStatus = 0x060, kIntAck = 0x064,
                   kStatus = 0x070, kQDescLo = 0x080, kQDescHi = 0x084, kQDrvLo = 0x090,
                   kQDrvHi = 0x094, kQDevLo = 0x0a0, kQDevHi = 0x0a4, kConfig = 0x100;
constexpr uint32_t ACK = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 64;
constexpr uint64_t F_VERSION_1 = uint64_t{1} << 32;
}  // namespace reg

class LevelIrq : public devices::IrqLine {
 public:
  void set_level(bool high) override { level.store(high); }
  std::atomic<bool> level{false};
};

// Guest RAM: 1 MiB at 0x40000000; the queues' rings from kRings on, 16 KiB apart; the rest
// of RAM is for the tests' buffers.
class MmioDriver {
 public:
  static constexpr uint64_t kRam = 0x40000000, kRamSize = 0x100000;
  static constexpr uint64_t kRings = kRam, kBuffers = kRam + 0x40000;

  MmioDriver() { EXPECT_TRUE(mem.add_ram(GuestPhysAddr{kRam}, kRamSize)); }
  ~MmioDriver() { t.reset(); }  // the device's threads stop before RAM goes

  void attach(std::unique_ptr<devices::virtio::VirtioDevice> dev) {
    t = std::make_unique<devices::virtio::MmioTransport>(mem, std::move(dev), &irq);
  }
  uint32_t rd(uint64_t off) { return uint32_t(t->read(off, 4)); }
  void wr(uint64_t off, uint32_t v) { t->write(off, 4, v); }
  uint64_t device_features() {
    wr(reg::kDevFeatSel, 0);
    const uint64_t lo = rd(reg::kDevFeat);
    wr(reg::kDevFeatSel, 1);
    return lo | uint64_t(rd(reg::kDevFeat)) << 32;
  }

  // Negotiates `features`, sets up `nqueues` queues of `qsize` and sets DRIVER_OK.
  void init(uint64_t features, unsigned nqueues, uint16_t qsize = 16) {
    using namespace reg;
    wr(kStatus, 0);
    wr(kStatus, ACK);
    wr(kStatus, ACK | DRIVER);
    wr(kDrvFeatSel, 0);
    wr(kDrvFeat, uint32_t(features));
    wr(kDrvFeatSel, 1);
    wr(kDrvFeat, uint32_t(features >> 32));
    wr(kStatus, ACK | DRIVER | FEATURES_OK);
    ASSERT_EQ(rd(kStatus), ACK | DRIVER | FEATURES_OK);
    q.clear();
    for (unsigned i = 0; i < nqueues; ++i) {
      q.emplace_back(mem, kRings + 0x4000 * uint64_t{i}, qsize);
      wr(kQSel, i);
      ASSERT_GE(rd(kQNumMax), qsize);
      wr(kQNum, qsize);
      wr(kQDescLo, uint32_t(q[i].desc_addr()));
      wr(kQDrvLo, uint32_t(q[i].avail_addr()));
      wr(kQDevLo, uint32_t(q[i].used_addr()));
      wr(kQReady, 1);
    }
    wr(kStatus, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ASSERT_EQ(rd(kStatus), ACK | DRIVER | FEATURES_OK | DRIVER_OK);
  }

  // Publishes a chain on queue `qi` and notifies; returns its head.
  uint16_t post(unsigned qi, const std::vector<Buf>& bufs, bool notify = true) {
    const uint16_t head = q[qi].add_chain(bufs);
    if (notify) wr(reg::kQNotify, qi);
    return head;
  }
  // Waits (up to `ms`) until queue qi's used idx reaches `idx`; false on timeout.
  bool wait_used(unsigned qi, uint16_t idx, int ms = 5000) {
    for (int i = 0; i < ms && uint16_t(q[qi].used_idx() - idx) > 0x8000; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return uint16_t(q[qi].used_idx() - idx) <= 0x8000;
  }
  // Posts, notifies and waits for that one chain to be used; returns its used element.
  UsedElem run(unsigned qi, const std::vector<Buf>& bufs) {
    const uint16_t before = q[qi].used_idx();
    const uint16_t head = post(qi, bufs);
    EXPECT_TRUE(wait_used(qi, uint16_t(before + 1))) << "chain not used";
    const UsedElem e = q[qi].used(before);
    EXPECT_EQ(e.id, head);
    return e;
  }
  std::vector<uint8_t> bytes(uint64_t pa, uint64_t len) {
    std::vector<uint8_t> b(len);
    mem.read(GuestPhysAddr{pa}, b.data(), len);
    return b;
  }
  void fill(uint64_t pa, uint64_t len, uint8_t v) {
    std::vector<uint8_t> b(len, v);
    mem.write(GuestPhysAddr{pa}, b.data(), len);
  }

  memory::PhysMemory mem;
  LevelIrq irq;
  std::unique_ptr<devices::virtio::MmioTransport> t;
  std::vector<DriverQueue> q;
};

}  // namespace xvm::test
