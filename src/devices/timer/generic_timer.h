// The Arm generic timer of one CPU as seen from EL1 and EL0 (Arm ARM DDI 0487, chapter D11 "The
// Generic Timer in AArch64 state", and the CNT* register descriptions): the system counter
// (CNTPCT_EL0, CNTVCT_EL0 with CNTVOFF_EL2 = 0, there is no EL2), the EL1 physical timer (CNTP_*)
// and the virtual timer (CNTV_*). No EL2/EL3 timers, no event stream, no FEAT_ECV
// (CNTPCTSS/CNTVCTSS).
//
// The counter runs at 1 GHz (kFrequencyHz, the fixed frequency ARMv8.6 mandates) so that a
// counter tick is a nanosecond of the clock the owner supplies: no scaling on the hot
// CNTVCT_EL0 path, and the same CNTFRQ_EL0 value user mode reports (arch/arm64/features.h
// kCNTFRQ_EL0). Linux reads the frequency from CNTFRQ_EL0 and accepts any value.
//
// Outputs: a timer's interrupt is asserted while ENABLE = 1, IMASK = 0 and the counter has
// reached CVAL (D11, "Operation of the timers"). The owner wires them to the GIC PPIs (virt board:
// virtual = PPI 11 = INTID 27, non-secure physical = PPI 14 = INTID 30). Levels are recomputed on
// every register access and on update(); the owner calls update() when next_deadline_ns() passes
// (e.g. when a vCPU sleeping in WFI wakes up).
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>

namespace xvm::devices {

class GenericTimer {
 public:
  static constexpr uint64_t kFrequencyHz = 1'000'000'000;

  enum class Which { kPhysical, kVirtual };
  // The system counter in nanoseconds since machine start: every CPU's timer must get the same
  // clock (the counter is system-wide). Tests pass a fake.
  using Clock = std::function<uint64_t()>;
  // Called when a timer output changes level, with the timer's lock held: it must not call
  // back into this timer (calling the GIC is fine).
  using Output = std::function<void(Which, bool level)>;

  // A Clock counting CLOCK_MONOTONIC nanoseconds from the moment this is called.
  static Clock host_clock();

  GenericTimer(Clock clock, Output output);

  // MRS/MSR of a timer register at exception level `el` (0 or 1), `cntkctl` = the CPU's
  // CNTKCTL_EL1 (EL0 access controls: EL0PCTEN [0], EL0VCTEN [1], EL0VTEN [8],
  // EL0PTEN [9]); `enc` as features.h sysreg(). false = not a register of this timer, a
  // write to a read-only register, or an EL0 access that CNTKCTL_EL1 disables (the Arm ARM
  // traps that to EL1 with EC 0x18; the caller raises whichever exception it models).
  bool read(unsigned el, uint64_t cntkctl, uint32_t enc, uint64_t* value);
  bool write(unsigned el, uint64_t cntkctl, uint32_t enc, uint64_t value);

  // The counter now (CNTPCT_EL0 = CNTVCT_EL0).
  uint64_t counter() const { return clock_(); }
  // Earliest counter time (= ns of the Clock) at which an enabled, unmasked timer's condition
  // is met; may be in the past if it already is; UINT64_MAX if no timer can fire.
  uint64_t next_deadline_ns() const;
  // Re-evaluates both timers at the current time and drives the outputs.
  void update();

 private:
  struct Timer {
    uint64_t cval = 0;  // reset value UNKNOWN (CNTV_CVAL_EL0): 0
    bool enable = false, imask = false;
    bool level = false;  // last level sent to the output
  };
  Timer& timer(Which w) { return w == Which::kPhysical ? phys_ : virt_; }
  static bool condition(const Timer& t, uint64_t now) { return t.enable && now >= t.cval; }
  void update_locked(uint64_t now);

  Clock clock_;
  Output output_;
  mutable std::mutex mu_;
  uint64_t frequency_ = kFrequencyHz;  // CNTFRQ_EL0 (writable at EL1, the highest EL here)
  Timer phys_, virt_;
};

}  // namespace xvm::devices
