// MRS/MSR and SYS in system mode: the EL1 registers Linux uses, the ID registers of the
// emulated core, EL0's view of the EL0-accessible registers, TLB maintenance and address
// translation instructions. Register encodings and fields: Arm ARM D19 ("AArch64 System
// register descriptions"), in features.h's sysreg(op0, op1, CRn, CRm, op2) form.
#include <cstdio>

#include "arch/arm64/features.h"
#include "arch/arm64/system/exception.h"
#include "arch/arm64/system/system.h"

namespace xvm::arm64::sys {
namespace {

constexpr uint32_t R(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return sysreg(op0, op1, crn, crm, op2);
}

// Identification of the emulated core: a Cortex-A57 r1p3 by MIDR (Linux knows its errata and
// its Spectre/Meltdown status from that), ARMv8.0 with what xvm implements (features.h): FP,
// AdvSIMD, AES+PMULL, SHA1, SHA256, CRC32, LSE. EL0 and EL1 only, AArch64 only.
constexpr uint64_t kMidr = 0x411fd073;
// ID_AA64PFR0_EL1: EL0 [3:0] = EL1 [7:4] = 1 (AArch64 only), EL2 = EL3 = 0, FP = AdvSIMD = 0
// (implemented), GIC [27:24] = 1 (system register CPU interface), CSV2 [59:56] = 1 and CSV3
// [63:60] = 1: an interpreter does not speculate, so neither branch-target injection nor
// Meltdown applies (Linux then skips KPTI and the branch predictor hardening).
constexpr uint64_t kPfr0 = 0x1100'0000'0100'0011;
// ID_AA64DFR0_EL1: DebugVer = 6 (ARMv8.0), BRPs [15:12] = 1 and WRPs [23:20] = 1 (two of
// each; their registers are storage only: no debug events), PMUVer = 0 (no PMU).
constexpr uint64_t kDfr0 = 0x0010'1006;
// ID_AA64MMFR0_EL1: PARange [3:0] = 2 (40 bits), ASIDBits [7:4] = 2 (16), TGran16 [23:20] = 0
// (not implemented), TGran64 [27:24] = 0xF (not implemented), TGran4 [31:28] = 0.
constexpr uint64_t kMmfr0 = 0x0f00'0022;

// Cache geometry (CLIDR_EL1: L1 separate I/D, L2 unified, LoUU = LoC = level 2) and
// CCSIDR_EL1 per CSSELR_EL1 (64-byte lines: 32 KiB 2-way D, 48 KiB 3-way I, 2 MiB 16-way L2).
// Only cacheinfo and DC maintenance loops read them; nothing is cached.
constexpr uint64_t kClidr = 0x0a20'0023;
uint64_t ccsidr(uint64_t csselr) {
  const auto enc = [](unsigned sets, unsigned ways) {
    return (uint64_t(sets - 1) << 13) | (uint64_t(ways - 1) << 3) | 2;  // LineSize 2 = 64 bytes
  };
  switch (csselr & 0xf) {
    case 0: return enc(256, 2);    // L1 D
    case 1: return enc(256, 3);    // L1 I
    case 2: return enc(2048, 16);  // L2
    default: return 0;
  }
}

uint64_t id_register(uint32_t enc) {
  switch (enc) {
    case R(3, 0, 0, 4, 0): return kPfr0;
    case R(3, 0, 0, 5, 0): return kDfr0;
    case R(3, 0, 0, 6, 0): return idreg::kID_AA64ISAR0;  // the same instruction set as EL0 sees
    case R(3, 0, 0, 7, 0): return kMmfr0;
    default: return 0;  // every other ID register of ARMv8.0 and later: feature absent
  }
}

void report_unknown(const char* what, uint32_t enc, uint64_t pc) {
  // Once per encoding would need a set; a short rate limit is enough to name the register.
  static thread_local unsigned reported = 0;
  if (reported++ < 16)
    std::fprintf(stderr, "xvm: %s of unimplemented system register S%u_%u_C%u_C%u_%u at 0x%llx\n",
                 what, (enc >> 14) & 3, (enc >> 11) & 7, (enc >> 7) & 15, (enc >> 3) & 15,
                 enc & 7, static_cast<unsigned long long>(pc));
}

}  // namespace

bool System::read_sysreg(Cpu& cpu, uint32_t enc, uint64_t* v) {
  SysState& s = state;
  const unsigned el = s.el;
  // EL0-accessible registers first (Arm ARM: NZCV, FPCR, FPSR, TPIDR_EL0 always; TPIDRRO_EL0
  // read-only; DAIF with SCTLR_EL1.UMA; CTR_EL0 with SCTLR_EL1.UCT; DCZID_EL0 always).
  switch (enc) {
    case R(3, 3, 4, 2, 0): *v = cpu.nzcv; return true;
    case R(3, 3, 4, 4, 0): *v = cpu.fpcr; return true;
    case R(3, 3, 4, 4, 1): *v = cpu.fpsr; return true;
    case R(3, 3, 13, 0, 2): *v = cpu.tpidr_el0; return true;
    case R(3, 3, 13, 0, 3): *v = cpu.tpidrro_el0; return true;
    case R(3, 3, 0, 0, 7): *v = kDCZID_EL0; return true;
    case R(3, 3, 4, 2, 1):
      if (el == 0 && !((s.sctlr_el1 >> 9) & 1)) return false;  // UMA
      *v = s.daif;
      return true;
    case R(3, 3, 0, 0, 1):
      if (el == 0 && !((s.sctlr_el1 >> 15) & 1)) return false;  // UCT
      *v = kCTR_EL0;
      return true;
    default: break;
  }
  if (hooks_ && hooks_->read(el, enc, v)) return true;  // timer, GIC CPU interface
  if (el == 0) return false;
  // ID space: op0 = 3, op1 = 0, CRn = 0. Unallocated encodings in CRm = 1..7 read as zero
  // at EL1 (Arm ARM "Reserved encodings in the System register space": RAZ for the ID range).
  if ((enc >> 7) == (R(3, 0, 0, 0, 0) >> 7)) {
    const unsigned crm = (enc >> 3) & 15, op2 = enc & 7;
    if (crm == 0) {
      switch (op2) {
        case 0: case 4: case 7: *v = kMidr; return true;  // 4 and 7 are MIDR aliases
        case 5: *v = (uint64_t{1} << 31) | mpidr_aff_; return true;  // MPIDR (bit 31 RES1)
        case 6: *v = 0; return true;  // REVIDR
        default: return false;
      }
    }
    if (crm <= 7) {
      *v = id_register(enc);
      return true;
    }
  }
  switch (enc) {
    case R(3, 0, 1, 0, 0): *v = s.sctlr_el1; return true;
    case R(3, 0, 1, 0, 1): *v = 0; return true;  // ACTLR_EL1: IMPLEMENTATION DEFINED, nothing
    case R(3, 0, 1, 0, 2): *v = s.cpacr_el1; return true;
    case R(3, 0, 2, 0, 0): *v = s.ttbr0_el1; return true;
    case R(3, 0, 2, 0, 1): *v = s.ttbr1_el1; return true;
    case R(3, 0, 2, 0, 2): *v = s.tcr_el1; return true;
    case R(3, 0, 4, 0, 0): *v = s.spsr_el1; return true;
    case R(3, 0, 4, 0, 1): *v = s.elr_el1; return true;
    case R(3, 0, 4, 1, 0):  // SP_EL0: the live SP when PSTATE.SP = 0
      if (!s.sp_sel) return false;  // UNDEFINED when SP_EL0 is the current stack pointer
      *v = s.sp_el0;
      return true;
    case R(3, 0, 4, 2, 0): *v = s.sp_sel ? 1 : 0; return true;  // SPSel
    case R(3, 0, 4, 2, 2): *v = uint64_t{s.el} << 2; return true;  // CurrentEL
    case R(3, 0, 5, 1, 0): *v = s.afsr0_el1; return true;
    case R(3, 0, 5, 1, 1): *v = s.afsr1_el1; return true;
    case R(3, 0, 5, 2, 0): *v = s.esr_el1; return true;
    case R(3, 0, 6, 0, 0): *v = s.far_el1; return true;
    case R(3, 0, 7, 4, 0): *v = s.par_el1; return true;
    case R(3, 0, 10, 2, 0): *v = s.mair_el1; return true;
    case R(3, 0, 10, 3, 0): *v = s.amair_el1; return true;
    case R(3, 0, 12, 0, 0): *v = s.vbar_el1; return true;
    case R(3, 0, 13, 0, 1): *v = s.contextidr_el1; return true;
    case R(3, 0, 13, 0, 4): *v = s.tpidr_el1; return true;
    case R(3, 0, 14, 1, 0): *v = s.cntkctl_el1; return true;
    case R(3, 1, 0, 0, 0): *v = ccsidr(s.csselr_el1); return true;
    case R(3, 1, 0, 0, 1): *v = kClidr; return true;
    case R(3, 1, 0, 0, 7): *v = 0; return true;  // AIDR_EL1
    case R(3, 2, 0, 0, 0): *v = s.csselr_el1; return true;
    // Debug (op0 = 2): MDSCR_EL1 and the OS lock; the breakpoint and watchpoint registers are
    // plain storage (no debug events are generated).
    case R(2, 0, 0, 2, 2): *v = s.mdscr_el1; return true;
    case R(2, 0, 0, 2, 0): *v = 0; return true;   // MDCCINT_EL1
    case R(2, 0, 1, 1, 4): *v = 0b1000; return true;  // OSLSR_EL1: OSLM = 0b10, unlocked
    case R(2, 0, 1, 3, 4): *v = 0; return true;   // OSDLR_EL1
    default: break;
  }
  if ((enc & ~(R(0, 0, 0, 15, 3))) == R(2, 0, 0, 0, 4) && ((enc >> 3) & 15) < 2) {
    *v = s.dbg[((enc >> 3) & 15) * 4 + (enc & 3)];  // DBGB/W{V,C}R0..1_EL1
    return true;
  }
  report_unknown("MRS", enc, cpu.pc);
  return false;
}

bool System::write_sysreg(Cpu& cpu, uint32_t enc, uint64_t v) {
  SysState& s = state;
  const unsigned el = s.el;
  switch (enc) {
    case R(3, 3, 4, 2, 0): cpu.nzcv = uint32_t(v) & 0xf000'0000u; return true;
    case R(3, 3, 4, 4, 0): cpu.fpcr = uint32_t(v) & fpcr::kWritable; return true;
    case R(3, 3, 4, 4, 1): cpu.fpsr = uint32_t(v) & fpsr::kWritable; return true;
    case R(3, 3, 13, 0, 2): cpu.tpidr_el0 = v; return true;
    case R(3, 3, 4, 2, 1):
      if (el == 0 && !((s.sctlr_el1 >> 9) & 1)) return false;
      s.daif = v & spsr::kDaif;
      return true;
    default: break;
  }
  if (hooks_ && hooks_->write(el, enc, v)) return true;
  if (el == 0) return false;
  switch (enc) {
    case R(3, 3, 13, 0, 3): cpu.tpidrro_el0 = v; return true;
    case R(3, 0, 1, 0, 0):  // SCTLR_EL1: M, WXN … change translation: drop the TLB
      s.sctlr_el1 = v;
      flush_tlb();
      return true;
    case R(3, 0, 1, 0, 1): return true;  // ACTLR_EL1
    case R(3, 0, 1, 0, 2): s.cpacr_el1 = v; return true;
    case R(3, 0, 2, 0, 0):  // TTBRx: ASID-tagged TLB entries need no flush
      s.ttbr0_el1 = v;
      translation_changed();
      return true;
    case R(3, 0, 2, 0, 1):
      s.ttbr1_el1 = v;
      translation_changed();
      return true;
    case R(3, 0, 2, 0, 2):
      s.tcr_el1 = v;
      translation_changed();
      flush_tlb();
      return true;
    case R(3, 0, 4, 0, 0): s.spsr_el1 = v; return true;
    case R(3, 0, 4, 0, 1): s.elr_el1 = v; return true;
    case R(3, 0, 4, 1, 0):
      if (!s.sp_sel) return false;
      s.sp_el0 = v;
      return true;
    case R(3, 0, 4, 2, 0): switch_stack(cpu, s, 1, v & 1); return true;  // SPSel
    case R(3, 0, 5, 1, 0): s.afsr0_el1 = v; return true;
    case R(3, 0, 5, 1, 1): s.afsr1_el1 = v; return true;
    case R(3, 0, 5, 2, 0): s.esr_el1 = v; return true;
    case R(3, 0, 6, 0, 0): s.far_el1 = v; return true;
    case R(3, 0, 7, 4, 0): s.par_el1 = v; return true;
    case R(3, 0, 10, 2, 0): s.mair_el1 = v; return true;
    case R(3, 0, 10, 3, 0): s.amair_el1 = v; return true;
    case R(3, 0, 12, 0, 0): s.vbar_el1 = v & ~uint64_t{0x7ff}; return true;
    case R(3, 0, 13, 0, 1): s.contextidr_el1 = v; return true;
    case R(3, 0, 13, 0, 4): s.tpidr_el1 = v; return true;
    case R(3, 0, 14, 1, 0): s.cntkctl_el1 = v; return true;
    case R(3, 2, 0, 0, 0): s.csselr_el1 = v & 0xf; return true;
    case R(2, 0, 0, 2, 2): s.mdscr_el1 = v; return true;
    case R(2, 0, 0, 2, 0): return true;  // MDCCINT_EL1
    case R(2, 0, 1, 0, 4): return true;  // OSLAR_EL1: the OS lock stays unlocked
    case R(2, 0, 1, 3, 4): return true;  // OSDLR_EL1
    default: break;
  }
  if ((enc & ~(R(0, 0, 0, 15, 3))) == R(2, 0, 0, 0, 4) && ((enc >> 3) & 15) < 2) {
    s.dbg[((enc >> 3) & 15) * 4 + (enc & 3)] = v;
    return true;
  }
  report_unknown("MSR", enc, cpu.pc);
  return false;
}

// SYS: TLBI (op1 = 0, CRn = 8), AT (CRn = 7, CRm = 8), DC/IC (CRn = 7).
bool System::sys_op(Cpu& cpu, uint32_t enc, uint64_t xt) {
  const unsigned op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15, crm = (enc >> 3) & 15,
                 op2 = enc & 7;
  if (state.el == 0) {
    // EL0: DC ZVA (with SCTLR_EL1.DZE), DC CVAU/CVAC/CIVAC and IC IVAU (with UCI). The caller
    // runs them as in user mode; everything else is UNDEFINED.
    return false;
  }
  if (op1 == 0 && crn == 8) {
    // TLBI, EL1 forms (Arm ARM C5.5): VMALLE1(IS), ASIDE1(IS) drop everything (the ASID
    // filter is an optimisation we skip); VAE1/VALE1/VAAE1/VAALE1(IS) take VA[55:12] in
    // Xt[43:0] and drop that page. The inner-shareable forms (CRm = 3) reach every vCPU:
    // the others drop their whole TLB before their next translation.
    if (crm == 3 && peers_)
      for (System* p : *peers_)
        if (p != this) p->request_flush();
    switch (op2) {
      case 0: case 2: flush_tlb(); return true;  // VMALLE1(IS), ASIDE1(IS)
      case 1: case 3: case 5: case 7: {          // VAE1, VAAE1, VALE1, VAALE1 (+IS)
        uint64_t va = (xt & ((uint64_t{1} << 44) - 1)) << 12;
        if ((va >> 55) & 1) va |= 0xff00'0000'0000'0000;  // sign-extend from bit 55
        flush_tlb_page(va);
        return true;
      }
      default: return false;
    }
  }
  if (op1 == 0 && crn == 7 && crm == 8 && op2 <= 3) {
    // AT S1E1R/S1E1W/S1E0R/S1E0W: translate Xt as a read/write at EL1/EL0 into PAR_EL1
    // (success: PA[47:12] and attributes; failure: F = 1 and the fault status in FST).
    const WalkResult w = walk_va(xt);
    Fault f = w.fault;
    if (!f) f = check(w, (op2 & 1) ? Access::Write : Access::Read, (op2 & 2) ? 0 : 1);
    // PAR_EL1 (Arm ARM, PAR_EL1): bit 11 is RES1 in both formats. Success: ATTR [63:56] from
    // MAIR, PA [47:12], SH [8:7] from the descriptor, except that Device and Normal
    // Non-cacheable memory report Outer Shareable (0b10). Fault: F [0], FST [6:1].
    constexpr uint64_t kRes1 = uint64_t{1} << 11;
    if (f) {
      state.par_el1 = kRes1 | 1 | (uint64_t(f.status()) << 1);
    } else {
      const uint64_t attr = (state.mair_el1 >> (8 * w.attr_index)) & 0xff;
      const bool device = (attr & 0xf0) == 0, non_cacheable = attr == 0x44;
      const uint64_t sh = device || non_cacheable ? 0b10 : w.shareability;
      // NS [9] is UNKNOWN for the Non-secure EL1&0 regime; 1 (what QEMU reports) says what
      // it is: every access here is Non-secure.
      state.par_el1 = (attr << 56) | (w.pa & 0xff'ffff'f000) | kRes1 | (uint64_t{1} << 9) |
                      (sh << 7);
    }
    return true;
  }
  if (crn == 7) {
    // IC IALLUIS (0, 7, 1, 0), IC IALLU (0, 7, 5, 0), IC IVAU (3, 7, 5, 1); DC by set/way or
    // VA: nothing is cached (the host keeps data coherent).
    if (op1 == 0 && (crm == 1 || crm == 5) && op2 == 0) {
      if (code_versions_) code_versions_->bump_all();
    } else if (op1 == 3 && crm == 5 && op2 == 1) {
      invalidate_code(xt);
    }
    return true;
  }
  (void)cpu;
  return false;
}

}  // namespace xvm::arm64::sys
