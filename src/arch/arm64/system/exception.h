// Taking exceptions to EL1 and returning from them (Arm ARM D1 "The AArch64 Exception Model":
// "Exception entry", "Exception return", "Exception vectors"), and the ESR_EL1 syndromes of
// the exceptions the system-mode CPU raises.
#pragma once
#include <cstdint>

#include "arch/arm64/cpu.h"
#include "arch/arm64/system/state.h"

namespace xvm::arm64::sys {

// Exception classes (ESR_ELx.EC, Arm ARM "ESR_EL1, Exception Syndrome Register (EL1)").
enum class Ec : uint8_t {
  Unknown = 0x00,         // UNDEFINED instruction, among others
  WfiWfe = 0x01,
  FpAccess = 0x07,        // SIMD/FP access trapped by CPACR_EL1.FPEN
  IllegalState = 0x0e,    // execution with PSTATE.IL set
  Svc64 = 0x15,
  Hvc64 = 0x16,
  Smc64 = 0x17,
  SysRegTrap = 0x18,      // MSR/MRS/system instruction trapped
  InsnAbortLower = 0x20,
  InsnAbortSame = 0x21,
  PcAlignment = 0x22,
  DataAbortLower = 0x24,
  DataAbortSame = 0x25,
  SpAlignment = 0x26,
  FpException = 0x2c,
  SError = 0x2f,
  Brk64 = 0x3c,
};

// ESR value: EC, IL = 1 (a 32-bit instruction; every A64 instruction is), ISS.
constexpr uint64_t esr(Ec ec, uint32_t iss) {
  return (uint64_t(ec) << 26) | (uint64_t{1} << 25) | (iss & 0x1ffffff);
}

// The four entries of each vector group (Arm ARM "Exception vectors"): offsets 0x000, 0x080,
// 0x100, 0x180 within the group.
enum class Vector : uint8_t { Sync = 0, Irq = 1, Fiq = 2, SError = 3 };

// PSTATE as SPSR_EL1 saves it (AArch64 state).
uint64_t saved_pstate(const Cpu& cpu, const SysState& s);

// Moves to exception level `el` with stack pointer selection `sp_sel`, keeping Cpu::x[31]
// the selected stack pointer and the other in its bank.
void switch_stack(Cpu& cpu, SysState& s, unsigned el, bool sp_sel);

// Takes an exception to EL1 (the only target: no EL2/EL3): SPSR_EL1 = PSTATE, ELR_EL1 =
// `return_pc`, ESR_EL1 = `syndrome` for synchronous exceptions and SErrors (IRQ and FIQ leave
// it alone), FAR_EL1 = `far` when `set_far`; then EL1 with SP_EL1, all of DAIF masked, IL and
// SS clear, and the pc at the vector: VBAR_EL1 + group + 0x80 * kind, the group being 0x000
// (from EL1 with SP_EL0), 0x200 (from EL1 with SP_EL1) or 0x400 (from EL0, AArch64).
void take_exception(Cpu& cpu, SysState& s, Vector kind, uint64_t syndrome, uint64_t return_pc,
                    bool set_far = false, uint64_t far = 0);

// Turns a synchronous stop of the interpreter (SVC, UNDEFINED, BRK, data/instruction abort,
// alignment fault) into the exception it is architecturally, taken to EL1 with its syndrome.
// Returns false for stops that are not exceptions (HVC, WFI, interrupts: the machine's).
bool take_stop_exception(Cpu& cpu, SysState& s, const Stop& stop);

// ERET from EL1: PSTATE from SPSR_EL1, pc from ELR_EL1, the local exclusive monitor cleared.
// A return to a mode that does not exist here (AArch32, EL2, EL3) or to a higher level is an
// illegal exception return (Arm ARM "Illegal return events from AArch64 state"): the EL and
// the stack selection stay, PSTATE.IL is set, the other PSTATE fields come from SPSR_EL1.
void exception_return(Cpu& cpu, SysState& s);

}  // namespace xvm::arm64::sys
