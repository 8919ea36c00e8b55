// Exception generation and system instructions (Arm ARM C6.2: SVC, BRK, HVC/SMC/HLT/DCPS,
// hints, barriers, CLREX, MSR (immediate), SYS: DC/IC). MRS/MSR (register) are in
// system_regs.cpp. xvm runs user programs at EL0 under a Linux-like kernel: what that kernel
// traps and refuses here becomes UNDEF (the guest's SIGILL).
#include <atomic>

#include "arch/arm64/features.h"
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"
#include "arch/arm64/system/exception.h"

namespace xvm::arm64::interp {
namespace {

// A spin-wait hint for the host core (YIELD, WFE): guests spin on these in lock loops.
inline void host_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

void SVC(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SVC> f{insn};
  cpu.stop.kind = StopKind::Syscall;
  cpu.stop.insn = f.u<'i'>();
  cpu.pc += 4;  // the preferred return address of an SVC is the next instruction
}

// HVC and SMC are UNDEF at EL0 (Arm ARM C6.2 HVC/SMC), HLT without an external debugger
// (halting disabled) and DCPS1/2/3 outside Debug state likewise. In system mode at EL1, HVC
// is the call to the "hypervisor" the machine emulates (PSCI, SMCCC); SMC stays UNDEF (no
// EL3).
void HVC(Cpu& cpu, uint32_t insn) {
  if (!cpu.sys || cpu.sys->state.el == 0) undefined(cpu, insn);
  const Fields<pat::HVC> f{insn};
  cpu.stop.kind = StopKind::Hvc;
  cpu.stop.insn = f.u<'i'>();
  cpu.pc += 4;  // the preferred return address of an HVC is the next instruction
}

// ERET (Arm ARM C6.2 ERET): system mode at EL1 only.
void ERET(Cpu& cpu, uint32_t insn) {
  if (!cpu.sys || cpu.sys->state.el == 0) undefined(cpu, insn);
  const uint64_t old_daif = cpu.sys->state.daif;
  sys::exception_return(cpu, cpu.sys->state);
  // PSTATE.IL is set only by an exception return (an illegal one, or SPSR.IL): the
  // instruction at the return address then raises an Illegal Execution state exception
  // instead of executing (Arm ARM "The Illegal Execution state exception").
  if (cpu.sys->state.il) {
    Stop s;
    s.kind = StopKind::IllegalState;
    raise_stop(cpu, s);
  }
  // PSTATE.DAIF may have unmasked a signalled interrupt: then the machine takes it.
  cpu.sys->daif_written(cpu, old_daif);
}
void SMC(Cpu& cpu, uint32_t insn) {
  undefined(cpu, insn);
}
void HLT(Cpu& cpu, uint32_t insn) {
  undefined(cpu, insn);
}
void DCPS(Cpu& cpu, uint32_t insn) {
  undefined(cpu, insn);
}

// BRK: a Breakpoint Instruction exception, whose preferred return address is the BRK itself,
// so pc stays at the instruction. Linux turns it into SIGTRAP.
void BRK(Cpu& cpu, uint32_t insn) {
  const Fields<pat::BRK> f{insn};
  Stop s;
  s.kind = StopKind::Breakpoint;
  s.insn = f.u<'i'>();
  raise_stop(cpu, s);
}

// Hints. A user-mode emulator has nothing to wait for or signal: WFI/WFE may complete at any
// time (the Arm ARM's WFE/WFI wake-up events allow spurious wake-ups), SEV/SEVL only feed WFE.
void NOP(Cpu&, uint32_t) {}
void YIELD(Cpu&, uint32_t) {
  host_pause();
}
void WFE(Cpu&, uint32_t) {
  host_pause();
}
// In system mode at EL1, WFI stops the vCPU until an interrupt (the machine waits). At EL0
// Linux leaves SCTLR_EL1.nTWI = 0, so WFI would trap to EL1, whose handler skips it: a NOP.
void WFI(Cpu& cpu, uint32_t) {
  if (cpu.sys && cpu.sys->state.el == 1) cpu.stop.kind = StopKind::Wfi;
}
void SEV(Cpu&, uint32_t) {}
void SEVL(Cpu&, uint32_t) {}
// Every other hint-space encoding executes as NOP (Arm ARM C6.2 HINT).
void HINT(Cpu&, uint32_t) {}

// CLREX: clears the local exclusive monitor (Arm ARM B2, the local exclusives monitor).
void CLREX(Cpu& cpu, uint32_t) {
  cpu.excl_size = 0;
}

// DMB/DSB order every memory access of this thread against the others. The option field
// (domain and access types) only ever weakens the barrier, so a full host fence is always
// correct. DSB also waits for cache and TLB maintenance, which is synchronous here.
void DSB(Cpu&, uint32_t) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}
void DMB(Cpu&, uint32_t) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

// ISB: context synchronisation -- instructions after it are fetched again (Arm ARM C6.2 ISB;
// B2 gives DC CVAU, DSB, IC IVAU, DSB, ISB as the sequence that makes modified code visible).
// It ends its block, so the engine honours a pending code flush (set by IC IVAU) before
// decoding what follows, even when the modified code directly follows the ISB in one page.
void ISB(Cpu& cpu, uint32_t) {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  cpu.pc += 4;
}

// MSR (immediate) writes PSTATE fields. In ARMv8.0-A only SPSel, DAIFSet and DAIFClr exist;
// SPSel is EL1-only and DAIFSet/DAIFClr trap from EL0 unless SCTLR_EL1.UMA = 1. PAN, UAO, DIT,
// SSBS, TCO, CFINV … belong to features xvm does not implement. In user mode (EL0 under a
// Linux that never sets UMA) every form is UNDEF for the guest; in system mode the three exist.
void MSR_imm(Cpu& cpu, uint32_t insn) {
  sys::System* s = cpu.sys;
  if (!s) undefined(cpu, insn);
  const Fields<pat::MSR_imm> f{insn};
  const unsigned op1 = f.u<'p'>(), op2 = f.u<'q'>(), crm = f.u<'m'>();
  const bool el0_daif_ok = (s->state.sctlr_el1 >> 9) & 1;  // SCTLR_EL1.UMA
  const bool daif_form = op1 == 3 && (op2 == 6 || op2 == 7);
  if (daif_form && s->state.el == 0 && !el0_daif_ok) sys_trap(cpu, insn);
  if (daif_form) {
    // DAIFSet / DAIFClr: CRm bits 3..0 are D, A, I, F (PSTATE bits 9..6).
    const uint64_t bits = uint64_t{crm} << 6, old = s->state.daif;
    if (op2 == 6) {
      s->state.daif |= bits;
    } else {
      s->state.daif &= ~bits;
      s->daif_written(cpu, old);
    }
    return;
  }
  if (op1 == 0 && op2 == 5 && s->state.el == 1) {  // SPSel
    sys::switch_stack(cpu, s->state, 1, crm & 1);
    return;
  }
  undefined(cpu, insn);  // PAN, UAO, DIT, SSBS, TCO …: not implemented
}

// SYS (op0 = 1): the cache maintenance operations EL0 may execute under Linux
// (SCTLR_EL1.UCI = 1, SCTLR_EL1.DZE = 1). Everything else (AT, TLBI, DC ISW, IC IALLU ...)
// is EL1-only: UNDEF.
void SYS(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SYS> f{insn};
  const uint64_t addr = cpu.xr(f.u<'t'>());
  const uint32_t enc = sysreg(1, f.u<'p'>(), f.u<'k'>(), f.u<'m'>(), f.u<'q'>());
  // System mode at EL1: TLBI, AT and every DC/IC form (sys::System::sys_op; IC IVAU and IC
  // IALLU reach the JIT through sys::CodeVersions); DC ZVA as below.
  if (cpu.sys && cpu.sys->state.el == 1 && enc != sysreg(1, 3, 7, 4, 1)) {
    if (!cpu.sys->sys_op(cpu, enc, addr)) undefined(cpu, insn);
    return;
  }
  if (cpu.sys && cpu.sys->state.el == 0) {
    // EL0 cache maintenance under SCTLR_EL1 control: DC ZVA needs DZE [14], DC CVAU/CVAC/
    // CIVAC and IC IVAU need UCI [26]; otherwise they trap to EL1.
    const uint64_t sctlr = cpu.sys->state.sctlr_el1;
    const bool zva = enc == sysreg(1, 3, 7, 4, 1);
    if (zva ? !((sctlr >> 14) & 1) : !((sctlr >> 26) & 1)) {
      switch (enc) {
        case sysreg(1, 3, 7, 4, 1): case sysreg(1, 3, 7, 5, 1): case sysreg(1, 3, 7, 10, 1):
        case sysreg(1, 3, 7, 11, 1): case sysreg(1, 3, 7, 14, 1):
          sys_trap(cpu, insn);
        default:
          break;
      }
    }
  }
  switch (enc) {
    case sysreg(1, 3, 7, 4, 1): {  // DC ZVA: zero the naturally aligned block holding addr
      const uint64_t base = addr & ~uint64_t{kDczvaBytes - 1};
      // The block never crosses a page, so the first store faults if any would, and a fault
      // leaves memory untouched (precise, as the architecture requires).
      for (unsigned i = 0; i < kDczvaBytes; i += 8) store<uint64_t>(cpu, base + i, 0);
      return;
    }
    case sysreg(1, 3, 7, 5, 1):  // IC IVAU: code may have changed; drop decoded blocks
      if (cpu.sys) {  // system mode (EL0 here): the page's translations go
        cpu.sys->invalidate_code(addr);
        return;
      }
      // Invalidation is broadcast to the inner-shareable domain (Arm ARM D7.5.9): every
      // thread's decoded blocks go, not only this one's.
      __atomic_fetch_or(&cpu.pending, kPendingBroadcastFlush, __ATOMIC_SEQ_CST);
      return;
    // DC CVAC, DC CVAU, DC CVAP, DC CIVAC: clean/invalidate to a point of coherency,
    // unification or persistence. The host keeps data coherent; nothing to do.
    case sysreg(1, 3, 7, 10, 1):
    case sysreg(1, 3, 7, 11, 1):
    case sysreg(1, 3, 7, 12, 1):
    case sysreg(1, 3, 7, 14, 1):
      return;
    default:
      undefined(cpu, insn);
  }
}

void UDF(Cpu& cpu, uint32_t insn) { undefined(cpu, insn); }

}  // namespace xvm::arm64::interp
