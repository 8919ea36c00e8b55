// Generic timer registers and timer conditions (Arm ARM DDI 0487 D11 and the register
// descriptions of CNTFRQ_EL0, CNTPCT_EL0, CNTVCT_EL0, CNTP_CTL/CVAL/TVAL_EL0,
// CNTV_CTL/CVAL/TVAL_EL0 and CNTKCTL_EL1 in D19).
#include "devices/timer/generic_timer.h"

#include <time.h>

#include <algorithm>

#include "arch/arm64/features.h"

namespace xvm::devices {

namespace {

using arm64::sysreg;

constexpr uint32_t kCNTFRQ = sysreg(3, 3, 14, 0, 0), kCNTPCT = sysreg(3, 3, 14, 0, 1),
                   kCNTVCT = sysreg(3, 3, 14, 0, 2);
constexpr uint32_t kCNTP_TVAL = sysreg(3, 3, 14, 2, 0), kCNTP_CTL = sysreg(3, 3, 14, 2, 1),
                   kCNTP_CVAL = sysreg(3, 3, 14, 2, 2);
constexpr uint32_t kCNTV_TVAL = sysreg(3, 3, 14, 3, 0), kCNTV_CTL = sysreg(3, 3, 14, 3, 1),
                   kCNTV_CVAL = sysreg(3, 3, 14, 3, 2);

// CNTKCTL_EL1 EL0 access enables.
constexpr uint64_t kEL0PCTEN = 1u << 0, kEL0VCTEN = 1u << 1, kEL0VTEN = 1u << 8, kEL0PTEN = 1u << 9;

// CNTx_CTL_EL0 bits: ENABLE [0], IMASK [1], ISTATUS [2] (read-only).
constexpr uint64_t kEnable = 1, kImask = 2, kIstatus = 4;

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Whether EL0 may access `enc` under CNTKCTL_EL1 (D19 CNTKCTL_EL1; the register descriptions'
// accessibility pseudocode). EL1 may access every timer register.
bool el0_allowed(uint64_t cntkctl, uint32_t enc) {
  switch (enc) {
    case kCNTFRQ:
      return cntkctl & (kEL0PCTEN | kEL0VCTEN);
    case kCNTPCT:
      return cntkctl & kEL0PCTEN;
    case kCNTVCT:
      return cntkctl & kEL0VCTEN;
    case kCNTP_TVAL:
    case kCNTP_CTL:
    case kCNTP_CVAL:
      return cntkctl & kEL0PTEN;
    case kCNTV_TVAL:
    case kCNTV_CTL:
    case kCNTV_CVAL:
      return cntkctl & kEL0VTEN;
    default:
      return false;
  }
}

bool is_timer_reg(uint32_t enc) {
  switch (enc) {
    case kCNTFRQ:
    case kCNTPCT:
    case kCNTVCT:
    case kCNTP_TVAL:
    case kCNTP_CTL:
    case kCNTP_CVAL:
    case kCNTV_TVAL:
    case kCNTV_CTL:
    case kCNTV_CVAL:
      return true;
    default:
      return false;
  }
}

}  // namespace

GenericTimer::Clock GenericTimer::host_clock() {
  const uint64_t start = monotonic_ns();
  return [start] { return monotonic_ns() - start; };
}

GenericTimer::GenericTimer(Clock clock, Output output)
    : clock_(std::move(clock)), output_(std::move(output)) {}

bool GenericTimer::read(unsigned el, uint64_t cntkctl, uint32_t enc, uint64_t* value) {
  if (!is_timer_reg(enc) || (el == 0 && !el0_allowed(cntkctl, enc))) return false;
  // CNTVCT = CNTPCT - CNTVOFF_EL2, and CNTVOFF is 0 without EL2 (Arm ARM D11, "The virtual
  // counter"). Counter reads are the hot path (the vDSO's clock_gettime): no lock.
  if (enc == kCNTPCT || enc == kCNTVCT) {
    *value = clock_();
    return true;
  }
  std::lock_guard lock(mu_);
  if (enc == kCNTFRQ) {
    *value = frequency_;
    return true;
  }
  const uint64_t now = clock_();
  update_locked(now);
  const Timer& t =
      timer(enc == kCNTP_TVAL || enc == kCNTP_CTL || enc == kCNTP_CVAL ? Which::kPhysical
                                                                       : Which::kVirtual);
  switch (enc) {
    case kCNTP_CTL:
    case kCNTV_CTL:
      // ISTATUS is the timer condition, whatever IMASK says; 0 while disabled (Arm ARM D11,
      // "Operation of the timers"; CNTV_CTL_EL0).
      *value =
          (t.enable ? kEnable : 0) | (t.imask ? kImask : 0) | (condition(t, now) ? kIstatus : 0);
      return true;
    case kCNTP_CVAL:
    case kCNTV_CVAL:
      *value = t.cval;
      return true;
    default:
      // TVAL: TimerValue [31:0] = (CVAL - counter)[31:0], a signed 32-bit down-counter;
      // bits [63:32] RES0 (Arm ARM, CNTP_TVAL_EL0 / CNTV_TVAL_EL0).
      *value = static_cast<uint32_t>(t.cval - now);
      return true;
  }
}

bool GenericTimer::write(unsigned el, uint64_t cntkctl, uint32_t enc, uint64_t value) {
  if (!is_timer_reg(enc) || (el == 0 && !el0_allowed(cntkctl, enc))) return false;
  // The counters are read-only; CNTFRQ_EL0 is writable only at the highest implemented EL,
  // which is EL1 on this machine (there is no EL2 or EL3).
  if (enc == kCNTPCT || enc == kCNTVCT) return false;
  if (enc == kCNTFRQ) {
    if (el == 0) return false;
    std::lock_guard lock(mu_);
    frequency_ = static_cast<uint32_t>(value);  // CNTFRQ_EL0 [63:32] RES0
    return true;
  }
  std::lock_guard lock(mu_);
  const uint64_t now = clock_();
  Timer& t = timer(enc == kCNTP_TVAL || enc == kCNTP_CTL || enc == kCNTP_CVAL ? Which::kPhysical
                                                                              : Which::kVirtual);
  switch (enc) {
    case kCNTP_CTL:
    case kCNTV_CTL:
      t.enable = value & kEnable;
      t.imask = value & kImask;
      break;
    case kCNTP_CVAL:
    case kCNTV_CVAL:
      t.cval = value;
      break;
    default:
      // TVAL write: CVAL = counter + SignExtend(value[31:0]) (Arm ARM, CNTV_TVAL_EL0 write).
      t.cval = now + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(value)));
      break;
  }
  update_locked(now);
  return true;
}

uint64_t GenericTimer::next_deadline_ns() const {
  std::lock_guard lock(mu_);
  uint64_t d = UINT64_MAX;
  for (const Timer* t : {&phys_, &virt_})
    if (t->enable && !t->imask) d = std::min(d, t->cval);
  return d;
}

void GenericTimer::update() {
  std::lock_guard lock(mu_);
  update_locked(clock_());
}

void GenericTimer::update_locked(uint64_t now) {
  for (Which w : {Which::kPhysical, Which::kVirtual}) {
    Timer& t = timer(w);
    const bool level = condition(t, now) && !t.imask;
    if (level == t.level) continue;
    t.level = level;
    if (output_) output_(w, level);
  }
}

}  // namespace xvm::devices
