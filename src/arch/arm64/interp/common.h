// Shared helpers of the interpreter handlers: guest memory access, flags, conditions.
// Private to arch/arm64 (not part of the subsystem's public header).
#pragma once
#include <cstdint>
#include <cstring>

#include "arch/arm64/cpu.h"
#include "arch/arm64/decoder.h"
#include "arch/arm64/system/system.h"
#include "base/bits.h"

namespace xvm::arm64::interp {

[[noreturn]] inline void undefined(Cpu& cpu, uint32_t insn) {
  Stop s;
  s.kind = StopKind::Undefined;
  s.insn = insn;
  raise_stop(cpu, s);
}

[[noreturn]] inline void data_abort(Cpu& cpu, uint64_t addr, bool write) {
  Stop s;
  s.kind = StopKind::DataAbort;
  s.addr = addr;
  s.write = write;
  raise_stop(cpu, s);
}

// System mode: an EL0 MSR, MRS or system instruction that SCTLR_EL1 (UMA, UCT, DZE, UCI) or
// CNTKCTL_EL1 traps to EL1, EC 0x18. Its ISS is the instruction's own fields (Arm ARM, "ISS
// encoding for an exception from MSR, MRS, or System instruction execution"): Op0 [21:20],
// Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] (1 = read).
[[noreturn]] inline void sys_trap(Cpu& cpu, uint32_t insn) {
  const uint32_t op0 = (insn >> 19) & 3, op1 = (insn >> 16) & 7, crn = (insn >> 12) & 15,
                 crm = (insn >> 8) & 15, op2 = (insn >> 5) & 7, rt = insn & 31,
                 read = (insn >> 21) & 1;
  Stop s;
  s.kind = StopKind::SysTrap;
  s.insn = op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | read;
  raise_stop(cpu, s);
}

[[noreturn]] inline void alignment_fault(Cpu& cpu, uint64_t addr, bool write) {
  Stop s;
  s.kind = StopKind::Alignment;
  s.addr = addr;
  s.write = write;
  raise_stop(cpu, s);
}

// Host pointer for an access of n bytes at guest address a; a data abort if any byte lies
// outside the arena. Pages inside the arena without the needed host permission fault on the
// host, and the engine's fault handler turns that into the same data abort. In system mode
// (cpu.sys) the address is translated (RAM only; see sys::System::host_ptr): callers whose
// range may cross a page use read_bytes/write_bytes instead.
inline uint8_t* host_ptr(Cpu& cpu, uint64_t a, uint64_t n, bool write) {
  if (cpu.sys) [[unlikely]]
    return cpu.sys->host_ptr(cpu, a, n, write);
  if (a > cpu.mem_size - n) [[unlikely]]
    data_abort(cpu, a, write);
  return cpu.mem_base + a;
}

template <class T>
inline T load(Cpu& cpu, uint64_t a) {
  T v;
  if (cpu.sys) [[unlikely]] {
    if constexpr (sizeof(T) <= 8) {
      const uint64_t r = cpu.sys->load(cpu, a, sizeof(T));
      std::memcpy(&v, &r, sizeof(T));
    } else {
      cpu.sys->read_bytes(cpu, a, &v, sizeof(T));
    }
    return v;
  }
  std::memcpy(&v, host_ptr(cpu, a, sizeof(T), false), sizeof(T));
  return v;
}

template <class T>
inline void store(Cpu& cpu, uint64_t a, T v) {
  if (cpu.sys) [[unlikely]] {
    if constexpr (sizeof(T) <= 8) {
      uint64_t r = 0;
      std::memcpy(&r, &v, sizeof(T));
      cpu.sys->store(cpu, a, sizeof(T), r);
    } else {
      cpu.sys->write_bytes(cpu, a, &v, sizeof(T));
    }
    return;
  }
  std::memcpy(host_ptr(cpu, a, sizeof(T), true), &v, sizeof(T));
}

// n bytes (any alignment) from guest address a.
inline void read_bytes(Cpu& cpu, uint64_t a, void* dst, uint64_t n) {
  if (cpu.sys) [[unlikely]]
    return cpu.sys->read_bytes(cpu, a, dst, n);
  std::memcpy(dst, host_ptr(cpu, a, n, false), n);
}

inline bool condition_holds(const Cpu& cpu, unsigned cond) {
  return arm64::condition_holds(cpu.nzcv, cond);
}

inline uint32_t make_nzcv(bool n, bool z, bool c, bool v) {
  return (uint32_t{n} << 31) | (uint32_t{z} << 30) | (uint32_t{c} << 29) | (uint32_t{v} << 28);
}

// Arm ARM J1 "AddWithCarry" for 64- or 32-bit operands; returns the result and sets *nzcv.
inline uint64_t add_with_carry(uint64_t x, uint64_t y, bool carry_in, bool is64, uint32_t* nzcv) {
  if (is64) {
    const unsigned __int128 usum = (unsigned __int128)x + y + carry_in;
    const uint64_t r = static_cast<uint64_t>(usum);
    const bool c = (usum >> 64) != 0;
    const bool v = ((~(x ^ y) & (x ^ r)) >> 63) & 1;
    if (nzcv) *nzcv = make_nzcv(r >> 63, r == 0, c, v);
    return r;
  }
  const uint32_t x32 = static_cast<uint32_t>(x), y32 = static_cast<uint32_t>(y);
  const uint64_t usum = uint64_t{x32} + y32 + carry_in;
  const uint32_t r = static_cast<uint32_t>(usum);
  const bool c = (usum >> 32) != 0;
  const bool v = ((~(x32 ^ y32) & (x32 ^ r)) >> 31) & 1;
  if (nzcv) *nzcv = make_nzcv(r >> 31, r == 0, c, v);
  return r;
}

}  // namespace xvm::arm64::interp
