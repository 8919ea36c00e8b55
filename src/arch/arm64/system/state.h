// System-mode state of one AArch64 vCPU beyond what user mode needs (arch/arm64/cpu.h): the
// exception level and the rest of PSTATE, the banked stack pointers and the EL1 system
// registers Linux uses. The emulated CPU implements EL0 and EL1 only (no EL2/EL3: the ID
// registers say so), AArch64 only.
#pragma once
#include <cstdint>

namespace xvm::arm64::sys {

// PSTATE.{D,A,I,F} as MRS DAIF shows them (bits 9..6), and SPSR_EL1 fields (Arm ARM "SPSR_EL1,
// Saved Program Status Register (EL1)", AArch64 state).
namespace spsr {
constexpr uint64_t kF = 1u << 6, kI = 1u << 7, kA = 1u << 8, kD = 1u << 9;
constexpr uint64_t kDaif = kD | kA | kI | kF;
constexpr uint64_t kIL = 1u << 20, kSS = 1u << 21;
constexpr uint64_t kNzcv = 0xfull << 28;
constexpr uint64_t kM = 0x1f;  // M[4:0]: M[4] = 1 is AArch32; M[3:2] the EL; M[0] SPSel
constexpr uint64_t kEL0t = 0b00000, kEL1t = 0b00100, kEL1h = 0b00101;
}  // namespace spsr

struct SysState {
  // PSTATE beyond NZCV (which stays in Cpu::nzcv).
  unsigned el = 1;        // current exception level: 0 or 1
  bool sp_sel = true;     // PSTATE.SP: at EL1, true = SP_EL1, false = SP_EL0
  uint64_t daif = spsr::kDaif;  // masked at reset
  bool il = false;        // PSTATE.IL: an illegal exception return happened
  bool ss = false;        // PSTATE.SS (software step; no debug support yet)
  // The stack pointer not currently selected: Cpu::x[31] holds the selected one.
  uint64_t sp_el0 = 0, sp_el1 = 0;

  // Exception registers.
  uint64_t elr_el1 = 0, spsr_el1 = 0, esr_el1 = 0, far_el1 = 0, vbar_el1 = 0;
  // Memory system.
  uint64_t sctlr_el1 = 0x30d00800;  // RES1 bits of SCTLR_EL1, MMU and caches off
  uint64_t tcr_el1 = 0, ttbr0_el1 = 0, ttbr1_el1 = 0, mair_el1 = 0, amair_el1 = 0;
  uint64_t par_el1 = 0, contextidr_el1 = 0;
  // Other EL1 state.
  uint64_t cpacr_el1 = 0, tpidr_el1 = 0, mdscr_el1 = 0, cntkctl_el1 = 0, csselr_el1 = 0;
  uint64_t afsr0_el1 = 0, afsr1_el1 = 0;
  // DBGBVR0, DBGBCR0, DBGWVR0, DBGWCR0, then the same for breakpoint/watchpoint 1: storage
  // only (ID_AA64DFR0_EL1 says 2 of each; no debug events are generated).
  uint64_t dbg[8] = {};
};

}  // namespace xvm::arm64::sys
