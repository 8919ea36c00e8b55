// A guest driver's view of one virtio-mmio device for the rng, console and net tests: the
// initialisation sequence of §3.1.1 / §4.2.3.2 (virtio_mmio_regs.h), one DriverQueue
// (virtq_driver.h) per virtqueue, and waiting for the device's worker to use a chain. Written
// from the spec, independently of mmio.cpp.
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
#include "virtio_mmio_regs.h"
#include "virtq_driver.h"

namespace xvm::test {

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
    ASSERT_EQ(mmio_negotiate(*t, features), ACK | DRIVER | FEATURES_OK);
    q.clear();
    for (unsigned i = 0; i < nqueues; ++i) {
      q.emplace_back(mem, kRings + 0x4000 * uint64_t{i}, qsize);
      ASSERT_GE(mmio_setup_queue(*t, i, q[i]), qsize);
    }
    ASSERT_EQ(mmio_driver_ok(*t), ACK | DRIVER | FEATURES_OK | DRIVER_OK);
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
