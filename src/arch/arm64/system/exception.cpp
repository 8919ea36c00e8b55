#include "arch/arm64/system/exception.h"

namespace xvm::arm64::sys {

uint64_t saved_pstate(const Cpu& cpu, const SysState& s) {
  const uint64_t mode = s.el == 0 ? spsr::kEL0t : (s.sp_sel ? spsr::kEL1h : spsr::kEL1t);
  return (uint64_t{cpu.nzcv} & spsr::kNzcv) | (s.daif & spsr::kDaif) | (s.il ? spsr::kIL : 0) |
         (s.ss ? spsr::kSS : 0) | mode;
}

void switch_stack(Cpu& cpu, SysState& s, unsigned el, bool sp_sel) {
  // Which bank holds the live SP before and after: EL0 always uses SP_EL0; EL1 uses SP_EL1
  // when PSTATE.SP is 1.
  const bool was_el1_sp = s.el == 1 && s.sp_sel;
  const bool is_el1_sp = el == 1 && sp_sel;
  if (was_el1_sp != is_el1_sp) {
    (was_el1_sp ? s.sp_el1 : s.sp_el0) = cpu.x[31];
    cpu.x[31] = is_el1_sp ? s.sp_el1 : s.sp_el0;
  }
  s.el = el;
  s.sp_sel = el == 1 && sp_sel;
}

void take_exception(Cpu& cpu, SysState& s, Vector kind, uint64_t syndrome, uint64_t return_pc,
                    bool set_far, uint64_t far) {
  const uint64_t group = s.el == 0 ? 0x400 : (s.sp_sel ? 0x200 : 0x000);
  s.spsr_el1 = saved_pstate(cpu, s);
  s.elr_el1 = return_pc;
  if (kind == Vector::Sync || kind == Vector::SError) s.esr_el1 = syndrome;
  if (set_far) s.far_el1 = far;
  switch_stack(cpu, s, 1, true);
  s.daif = spsr::kDaif;
  s.il = false;
  s.ss = false;
  cpu.pc = s.vbar_el1 + group + 0x80 * uint64_t(kind);
}

bool take_stop_exception(Cpu& cpu, SysState& s, const Stop& stop) {
  const bool lower = s.el == 0;
  switch (stop.kind) {
    case StopKind::Syscall:  // pc is already after the SVC
      take_exception(cpu, s, Vector::Sync, esr(Ec::Svc64, stop.insn), cpu.pc);
      return true;
    case StopKind::Undefined:
      take_exception(cpu, s, Vector::Sync, esr(Ec::Unknown, 0), cpu.pc);
      return true;
    case StopKind::Breakpoint:
      take_exception(cpu, s, Vector::Sync, esr(Ec::Brk64, stop.insn), cpu.pc);
      return true;
    case StopKind::DataAbort:
    case StopKind::Alignment: {
      // ISS: WnR [6], DFSC [5:0] (alignment fault 0b100001); ISV = 0 (no instruction syndrome).
      const uint32_t dfsc = stop.kind == StopKind::Alignment ? 0x21 : stop.fault_status;
      const uint32_t iss = (stop.write ? 1u << 6 : 0) | dfsc;
      take_exception(cpu, s, Vector::Sync,
                     esr(lower ? Ec::DataAbortLower : Ec::DataAbortSame, iss), cpu.pc, true,
                     stop.addr);
      return true;
    }
    case StopKind::InsnAbort:
      take_exception(cpu, s, Vector::Sync,
                     esr(lower ? Ec::InsnAbortLower : Ec::InsnAbortSame, stop.fault_status),
                     cpu.pc, true, stop.addr);
      return true;
    case StopKind::SysTrap:  // ISS as the interpreter built it (sys_trap)
      take_exception(cpu, s, Vector::Sync, esr(Ec::SysRegTrap, stop.insn), cpu.pc);
      return true;
    case StopKind::PcAlignment:  // EC 0x22, FAR = the misaligned pc (Arm ARM "PC alignment")
      take_exception(cpu, s, Vector::Sync, esr(Ec::PcAlignment, 0), cpu.pc, true, cpu.pc);
      return true;
    case StopKind::IllegalState:  // EC 0x0E, at the instruction that was to run
      take_exception(cpu, s, Vector::Sync, esr(Ec::IllegalState, 0), cpu.pc);
      return true;
    case StopKind::None:
    case StopKind::Interrupt:
    case StopKind::Hvc:
    case StopKind::Wfi:
      return false;
  }
  return false;
}

void exception_return(Cpu& cpu, SysState& s) {
  const uint64_t saved = s.spsr_el1;
  const uint64_t m = saved & spsr::kM;
  const bool legal = (m == spsr::kEL0t || m == spsr::kEL1t || m == spsr::kEL1h) &&
                     ((m >> 2) & 3) <= s.el;
  cpu.nzcv = uint32_t(saved & spsr::kNzcv);
  s.daif = saved & spsr::kDaif;
  s.ss = saved & spsr::kSS;
  if (legal) {
    s.il = saved & spsr::kIL;
    switch_stack(cpu, s, unsigned((m >> 2) & 3), m & 1);
  } else {
    s.il = true;
  }
  cpu.pc = s.elr_el1;
  cpu.excl_size = 0;  // ClearExclusiveLocal on exception return
}

}  // namespace xvm::arm64::sys
