// MRS and MSR (register): the System registers an EL0 program can reach under Linux (Arm ARM
// C5.2 "Special-purpose registers", D19.2 ID registers; Linux arch/arm64/kernel/cpufeature.c
// for the trapped-and-emulated ID space). Anything else is UNDEF, as Linux's SIGILL.
#include <chrono>
#include <optional>

#include "arch/arm64/features.h"
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {
namespace {

constexpr uint32_t kNZCV = sysreg(3, 3, 4, 2, 0);
constexpr uint32_t kFPCR = sysreg(3, 3, 4, 4, 0);
constexpr uint32_t kFPSR = sysreg(3, 3, 4, 4, 1);
constexpr uint32_t kTPIDR_EL0 = sysreg(3, 3, 13, 0, 2);
constexpr uint32_t kTPIDRRO_EL0 = sysreg(3, 3, 13, 0, 3);
constexpr uint32_t kCTR = sysreg(3, 3, 0, 0, 1);
constexpr uint32_t kDCZID = sysreg(3, 3, 0, 0, 7);
constexpr uint32_t kCNTFRQ = sysreg(3, 3, 14, 0, 0);
constexpr uint32_t kCNTVCT = sysreg(3, 3, 14, 0, 2);

// CNTVCT_EL0 at CNTFRQ_EL0 = 1 GHz: the host's monotonic clock in nanoseconds
// (std::chrono::steady_clock is CLOCK_MONOTONIC on Linux).
uint64_t virtual_count() {
  static_assert(kCNTFRQ_EL0 == 1'000'000'000, "CNTVCT scaling assumes a 1 GHz counter");
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Linux's MRS emulation of op0 = 3, op1 = 0, CRn = 0 (see features.h): CRm = 0 holds only
// MIDR, MPIDR and REVIDR; CRm = 4..7 reads the table, 0 when absent; the rest is UNDEF.
std::optional<uint64_t> id_register(uint32_t key) {
  if ((key & ~uint32_t{0x3f}) == sysreg(3, 0, 0, 0, 0)) {
    const unsigned crm = (key >> 3) & 0xf, op2 = key & 7;
    if (crm == 0 && op2 != 0 && op2 != 5 && op2 != 6) return std::nullopt;
    if (crm != 0 && crm < 4) return std::nullopt;
    for (const idreg::Entry& e : idreg::kNonZero)
      if (e.key == key) return e.value;
    return 0;
  }
  return std::nullopt;
}

// System mode: an MRS/MSR the vCPU refused. At EL0, the registers EL0 may reach under
// SCTLR_EL1/CNTKCTL_EL1 control (op1 = 3: DAIF with UMA, CTR_EL0 with UCT, the generic timer's
// CNT* with CNTKCTL_EL1) trap to EL1 (EC 0x18); everything else is UNDEFINED (EC 0), as are
// the ID registers in ARMv8.0 (no FEAT_IDST).
[[noreturn]] void el0_refused(Cpu& cpu, uint32_t key, uint32_t insn) {
  const unsigned op1 = (key >> 11) & 7, crn = (key >> 7) & 15;
  if (cpu.sys->state.el == 0 && op1 == 3 &&
      (key == sysreg(3, 3, 4, 2, 1) || key == sysreg(3, 3, 0, 0, 1) || crn == 14))
    sys_trap(cpu, insn);
  undefined(cpu, insn);
}

}  // namespace

void MRS(Cpu& cpu, uint32_t insn) {
  const Fields<pat::MRS> f{insn};
  const uint32_t key = sysreg(2 + f.u<'o'>(), f.u<'p'>(), f.u<'k'>(), f.u<'m'>(), f.u<'q'>());
  uint64_t v;
  if (cpu.sys) {  // system mode: the vCPU's own registers (arch/arm64/system/system_regs.cpp)
    if (!cpu.sys->read_sysreg(cpu, key, &v)) el0_refused(cpu, key, insn);
    cpu.set_xr(f.u<'t'>(), v);
    return;
  }
  switch (key) {
    case kNZCV:
      v = cpu.nzcv & 0xf0000000u;
      break;
    case kFPCR:
      v = cpu.fpcr;
      break;
    case kFPSR:
      v = cpu.fpsr;
      break;
    case kTPIDR_EL0:
      v = cpu.tpidr_el0;
      break;
    case kTPIDRRO_EL0:
      v = cpu.tpidrro_el0;
      break;
    case kCTR:
      v = kCTR_EL0;
      break;
    case kDCZID:
      v = kDCZID_EL0;
      break;
    case kCNTFRQ:
      v = kCNTFRQ_EL0;
      break;
    case kCNTVCT:
      v = virtual_count();
      break;
    default: {
      const std::optional<uint64_t> id = id_register(key);
      if (!id) undefined(cpu, insn);
      v = *id;
    }
  }
  cpu.set_xr(f.u<'t'>(), v);  // Rt 31 is XZR: the read happens, the value is dropped
}

// Only NZCV, FPCR, FPSR and TPIDR_EL0 are writable at EL0; bits that are RES0 (or RAZ/WI
// because the feature is absent, e.g. FPCR trap enables and FZ16) do not stick.
void MSR_reg(Cpu& cpu, uint32_t insn) {
  const Fields<pat::MSR_reg> f{insn};
  const uint64_t v = cpu.xr(f.u<'t'>());
  const uint32_t key = sysreg(2 + f.u<'o'>(), f.u<'p'>(), f.u<'k'>(), f.u<'m'>(), f.u<'q'>());
  if (cpu.sys) {
    const uint64_t old_daif = cpu.sys->state.daif;
    if (!cpu.sys->write_sysreg(cpu, key, v)) el0_refused(cpu, key, insn);
    // Writes to the timer (op1 3, CRn 14) or the GIC CPU interface (op1 0, CRn 12;
    // ICC_PMR_EL1 is CRn 4) can raise an interrupt or move a deadline: the engine leaves so
    // that the machine looks. A write to DAIF does so when it unmasks a signalled interrupt.
    // Other registers leave the interrupt state alone.
    const unsigned op1 = (key >> 11) & 7, crn = (key >> 7) & 15;
    if (key == sysreg(3, 3, 4, 2, 1))
      cpu.sys->daif_written(cpu, old_daif);
    else if ((op1 == 3 && crn == 14) || (op1 == 0 && crn == 12) || key == sysreg(3, 0, 4, 6, 0))
      __atomic_fetch_or(&cpu.pending, kPendingInterrupt, __ATOMIC_RELAXED);
    return;
  }
  switch (key) {
    case kNZCV:
      cpu.nzcv = static_cast<uint32_t>(v) & 0xf0000000u;
      break;
    case kFPCR:
      cpu.fpcr = static_cast<uint32_t>(v) & fpcr::kWritable;
      break;
    case kFPSR:
      cpu.fpsr = static_cast<uint32_t>(v) & fpsr::kWritable;
      break;
    case kTPIDR_EL0:
      cpu.tpidr_el0 = v;
      break;
    default:
      undefined(cpu, insn);  // TPIDRRO_EL0, CNTFRQ_EL0, ID registers: read-only at EL0
  }
}

}  // namespace xvm::arm64::interp
