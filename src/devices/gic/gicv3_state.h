// Private to devices/gic: the GICv3 model's state and the operations the register windows
// (gicv3_mmio.cpp) and the CPU interface (gicv3_cpuif.cpp) share. Everything here runs with
// State::mu held, except where noted.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include "devices/bus_device.h"
#include "devices/gic/gicv3.h"

namespace xvm::devices {

namespace gic {

// 5 implemented priority bits: priority values are multiples of 8 (GIC, priority registers:
// unimplemented low-order bits are RAZ/WI).
inline constexpr unsigned kPriBits = 5;
inline constexpr uint8_t kPriMask = static_cast<uint8_t>(0xFF << (8 - kPriBits));
// Minimum binary points (GIC, ICC_BPR0_EL1/ICC_BPR1_EL1: BPR0 min = 7 - PRIbits, BPR1 min = BPR0
// min + 1), which are also the reset values.
inline constexpr uint8_t kMinBpr0 = 7 - kPriBits;
inline constexpr uint8_t kMinBpr1 = kMinBpr0 + 1;
// GICD_IIDR/GICR_IIDR: ProductID [31:24] = 'X', Implementer [11:0] = 0 (no JEP106 code: a
// software model). Linux matches errata on IIDR (irq-gic-v3.c gic_quirks); no entry has this.
inline constexpr uint32_t kIidr = 0x5800'0000;

// One interrupt's state (GIC chapter 4, the interrupt handling state machine).
struct Irq {
  uint8_t prio = 0;
  bool enabled = false;
  bool latch = false;  // edge seen, or pending set by ISPENDR / an SGI; cleared on acknowledge
  bool line = false;   // input level
  bool active = false;
  bool group1 = false;  // IGROUPR bit (reset 0 = Group 0)
  bool edge = false;    // ICFGR: edge-triggered
  // Level-sensitive: pending while the line is high or the latch is set; edge: the latch.
  bool pending() const { return latch || (!edge && line); }
};

struct CpuIf {
  uint32_t affinity = 0;  // Aff3.Aff2.Aff1.Aff0 as in GICR_TYPER[63:32]
  bool sleep = true;      // GICR_WAKER.ProcessorSleep, reset 1 (GIC, GICR_WAKER)
  uint8_t pmr = 0;        // ICC_PMR_EL1, reset 0: everything masked
  uint8_t bpr0 = kMinBpr0, bpr1 = kMinBpr1;
  bool cbpr = false, eoimode = false;
  bool igrpen0 = false, igrpen1 = false;
  uint32_t ap0 = 0, ap1 = 0;  // ICC_AP0R0_EL1 / ICC_AP1R0_EL1: bit n = group priority n << 3
};

}  // namespace gic

struct Gicv3::State {
  explicit State(const Config& config);

  // --- interrupt state ---
  unsigned ncpu, nspi;
  std::vector<gic::Irq> priv;     // ncpu * 32: SGIs and PPIs of each CPU
  std::vector<gic::Irq> spis;     // nspi
  std::vector<uint64_t> irouter;  // GICD_IROUTER of each SPI (IRM and RES0 bits clear)
  std::vector<int> target;        // CPU the SPI is routed to, -1 = none
  std::vector<gic::CpuIf> cpus;
  bool en_grp0 = false, en_grp1 = false;  // GICD_CTLR EnableGrp0/EnableGrp1

  bool valid(unsigned intid) const { return intid < 32 + nspi; }
  gic::Irq& irq(unsigned cpu, unsigned intid) {
    return intid < 32 ? priv[cpu * 32 + intid] : spis[intid - 32];
  }
  int cpu_of_affinity(uint32_t aff) const;

  // --- delivery (gicv3.cpp) ---
  // Highest-priority pending, enabled, inactive interrupt of `group` that CPU `cpu` could take,
  // ties to the lowest INTID; kSpurious if none or the group is disabled.
  uint32_t hppi(unsigned cpu, bool group1);
  uint8_t running_priority(unsigned cpu) const;
  uint8_t group_priority_mask(unsigned cpu, bool group1) const;
  // The INTID ICC_IAR<group>_EL1 would return now (kSpurious if none).
  uint32_t signalled(unsigned cpu, bool group1);
  uint32_t acknowledge(unsigned cpu, bool group1);
  void end_of_interrupt(unsigned cpu, bool group1, uint32_t intid);
  void deactivate(unsigned cpu, uint32_t intid);
  void generate_sgi(unsigned cpu, uint64_t value, bool group1);
  void set_line(unsigned cpu, unsigned intid, bool level);

  // Marks a CPU (or all) whose IRQ line must be recomputed before the lock is released.
  void touch(unsigned cpu) { dirty[cpu] = 1; }
  void touch_all() { all_dirty = true; }
  void touch_intid(unsigned cpu, unsigned intid);
  // Recomputes the dirty CPUs' lines; returns the CPUs whose line changed in `out` (up to
  // `cap`), or sets *overflow.
  unsigned settle(unsigned* out, unsigned cap, bool* overflow);

  std::mutex mu;
  std::vector<uint8_t> dirty;
  bool all_dirty = false;
  std::unique_ptr<std::atomic<bool>[]> line;  // per CPU: the IRQ output
  std::function<void(unsigned)> kick;

  // Runs f with the lock held, then settles and kicks outside the lock.
  template <class F>
  auto locked(F&& f) {
    unsigned changed[8];
    unsigned n = 0;
    bool overflow = false;
    auto run = [&] {
      std::lock_guard lock(mu);
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        n = settle(changed, 8, &overflow);
      } else {
        auto r = f();
        n = settle(changed, 8, &overflow);
        return r;
      }
    };
    auto notify = [&] {
      if (!kick) return;
      if (overflow) {
        for (unsigned c = 0; c < ncpu; ++c) kick(c);
      } else {
        for (unsigned i = 0; i < n; ++i) kick(changed[i]);
      }
    };
    if constexpr (std::is_void_v<decltype(f())>) {
      run();
      notify();
    } else {
      auto r = run();
      notify();
      return r;
    }
  }

  // --- register windows (gicv3_mmio.cpp) ---
  class DistWindow;
  class RedistWindow;
  class SpiLine;
  std::unique_ptr<BusDevice> dist;
  std::unique_ptr<BusDevice> redist;
  std::vector<std::unique_ptr<IrqLine>> spi_lines;
  static std::unique_ptr<BusDevice> make_dist(State& s);
  static std::unique_ptr<BusDevice> make_redist(State& s);
  static std::unique_ptr<IrqLine> make_spi_line(State& s, unsigned n);
};

}  // namespace xvm::devices
