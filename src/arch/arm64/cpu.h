// Architectural state of one AArch64 vCPU (user level, EL0) and how the interpreter leaves it.
// The Cpu owns no memory and no thread: the engine points it at guest memory and runs it.
#pragma once
#include <csetjmp>
#include <cstdint>

namespace xvm::arm64 {

namespace sys {
class System;  // system mode (arch/arm64/system/system.h)
}

// One 128-bit SIMD&FP register, V0..V31. Lanes are little-endian as in the Arm ARM (element 0
// is the least significant). GCC defines union type punning, which the handlers rely on.
union alignas(16) VReg {
  uint8_t b[16];
  uint16_t h[8];
  uint32_t s[4];
  uint64_t d[2];
  int8_t sb[16];
  int16_t sh[8];
  int32_t ss[4];
  int64_t sd[2];
  float f[4];
  double fd[2];
  unsigned __int128 q;
};

// Why the interpreter stopped. The engine turns this into an Exit for the owner (linux/ or
// machine/); the Cpu itself never decides what an exit means.
enum class StopKind : uint8_t {
  None,
  Syscall,       // SVC #imm; pc already points after the SVC (ELR_EL1 semantics)
  Undefined,     // UNDEF: unallocated or unimplemented encoding; pc at the instruction
  Breakpoint,    // BRK #imm; pc at the instruction
  DataAbort,     // access outside the arena or to a page without the needed permission
  Alignment,     // misaligned exclusive / acquire-release / atomic access
  InsnAbort,     // fetch from a page that is not executable
  Interrupt,     // an asynchronous request (signal, stop) noticed between blocks
  // System mode only (Cpu::sys set): for the machine to act on.
  Hvc,           // HVC #imm at EL1 (the firmware call: PSCI); pc already after it
  Wfi,           // WFI at EL1: wait for an interrupt; pc already after it
  SysTrap,       // an EL0 MSR/MRS/system instruction trapped to EL1 (EC 0x18); insn = ISS
  PcAlignment,   // the pc is not a multiple of 4 (after BR/RET/ERET to such an address)
  IllegalState,  // PSTATE.IL is set (after an illegal exception return): EC 0x0E
};

struct Stop {
  StopKind kind = StopKind::None;
  bool write = false;        // DataAbort: the access was a write
  bool unimplemented = false;// Undefined: no decode-table entry matched (vs. reserved encoding)
  uint32_t insn = 0;         // Undefined/Breakpoint: the encoding; Syscall/Breakpoint: imm16
  uint64_t addr = 0;         // DataAbort/Alignment/InsnAbort: faulting address
  uint8_t fault_status = 0;  // system mode DataAbort/InsnAbort: the DFSC/IFSC of ESR_EL1
};

enum PendingBits : uint32_t {
  kPendingInterrupt = 1u << 0,  // stop with StopKind::Interrupt (signals, exit of the process)
  kPendingFlushCode = 1u << 1,  // guest code may have changed: drop decoded blocks
  kPendingBroadcastFlush = 1u << 2,  // IC IVAU: as above, and tell every other vCPU too
  kPendingCodeWritten = 1u << 3,  // a store hit a write-watched code page (memory/code_watch.h)
};

// FPCR fields (Arm ARM D17.2.48).
namespace fpcr {
constexpr uint32_t kIOE = 1u << 8, kDZE = 1u << 9, kOFE = 1u << 10, kUFE = 1u << 11,
                   kIXE = 1u << 12, kIDE = 1u << 15;
constexpr uint32_t kFZ16 = 1u << 19;
constexpr unsigned kRModeShift = 22;  // 0 RN, 1 RP, 2 RM, 3 RZ
constexpr uint32_t kFZ = 1u << 24, kDN = 1u << 25, kAHP = 1u << 26;
// Bits a user can set on an ARMv8.0 core without trapped exceptions: AHP, DN, FZ, RMode.
constexpr uint32_t kWritable = kAHP | kDN | kFZ | (3u << kRModeShift);
}  // namespace fpcr

// FPSR cumulative exception flags (Arm ARM D17.2.51).
namespace fpsr {
constexpr uint32_t kIOC = 1u << 0, kDZC = 1u << 1, kOFC = 1u << 2, kUFC = 1u << 3,
                   kIXC = 1u << 4, kIDC = 1u << 7, kQC = 1u << 27;
constexpr uint32_t kWritable = kIOC | kDZC | kOFC | kUFC | kIXC | kIDC | kQC | (0xfu << 28);
}  // namespace fpsr

// Arm ARM J1 "ConditionHolds": does condition `cond` (0..15) hold for NZCV in bits 31..28?
constexpr bool condition_holds(uint32_t nzcv, unsigned cond) {
  const bool n = (nzcv >> 31) & 1, z = (nzcv >> 30) & 1, c = (nzcv >> 29) & 1,
             v = (nzcv >> 28) & 1;
  bool r;
  switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: r = true; break;
  }
  if ((cond & 1) && cond != 15) r = !r;
  return r;
}

struct Cpu {
  // X0..X30, and SP in slot 31. Register 31 means XZR or SP depending on the encoding; the
  // accessors below make the choice explicit at each use.
  uint64_t x[32] = {};
  uint64_t pc = 0;
  uint32_t nzcv = 0;  // N Z C V in bits 31..28, as MRS NZCV shows them
  uint32_t fpcr = 0;
  uint32_t fpsr = 0;
  VReg v[32] = {};
  uint64_t tpidr_el0 = 0;
  uint64_t tpidrro_el0 = 0;

  // Local exclusive monitor (Arm ARM B2.9). The value loaded is remembered so that the store
  // can be a host compare-and-swap: another thread's write in between makes it fail.
  uint64_t excl_addr = 0;
  unsigned __int128 excl_value = 0;
  uint8_t excl_size = 0;  // bytes covered, 0 = open (no reservation)

  // Guest memory as the interpreter sees it: guest address g is host mem_base + g, for
  // g + size <= mem_size. Anything else is a data abort (ARCHITECTURE.md, the arena).
  uint8_t* mem_base = nullptr;
  uint64_t mem_size = 0;
  // System mode with the JIT: the fast TLB of the current EL (sys::System::fast_tlb).
  void* jit_tlb = nullptr;

  Stop stop;
  uint64_t icount = 0;        // guest instructions retired (approximate across faults)
  // Counted by translated code under --stats only: direct exits taken and of those the ones
  // that went to the dispatcher (not linked yet, or a request pending); indirect branches and
  // of those the ones found in the lookup table.
  uint64_t jit_exits = 0, jit_exit_misses = 0, jit_indirect = 0, jit_indirect_hits = 0;
  // Requests noticed between blocks (PendingBits); set by handlers (IC IVAU), other threads and
  // host signal handlers.
  volatile uint32_t pending = 0;
  sigjmp_buf* unwind = nullptr;  // where a guest exception inside a handler returns to
  // System mode (EL1 and EL0 behind an MMU, arch/arm64/system/): the vCPU's system registers,
  // TLB and physical bus. Null in user mode, where guest memory is the arena above.
  sys::System* sys = nullptr;

  // --- register access (Arm ARM: "X[n]" vs "SP"-capable operands) ---
  uint64_t xr(unsigned n) const { return n == 31 ? 0 : x[n]; }        // Rn as XZR
  uint64_t xsp(unsigned n) const { return x[n]; }                     // Rn as SP
  uint32_t wr(unsigned n) const { return static_cast<uint32_t>(xr(n)); }
  void set_xr(unsigned n, uint64_t v) { if (n != 31) x[n] = v; }
  void set_xsp(unsigned n, uint64_t v) { x[n] = v; }
  void set_wr(unsigned n, uint32_t v) { set_xr(n, v); }  // W writes zero the upper half
  uint64_t sp() const { return x[31]; }
};

// Leaves the current instruction with a guest exception. Handlers keep only trivially
// destructible locals, so unwinding with siglongjmp is safe (no C++ exceptions cross handlers).
[[noreturn]] void raise_stop(Cpu& cpu, const Stop& stop);

}  // namespace xvm::arm64
