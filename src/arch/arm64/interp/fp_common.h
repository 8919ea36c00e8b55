// Shared by the scalar floating-point handlers (interp/fp_*.cpp): scalar register access and
// the ftype field of Arm ARM C4.1.96. Private to the interpreter.
#pragma once
#include <cstdint>
#include <cstring>

#include "arch/arm64/fpu/fpu.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp::fp {

// The low sizeof(T) bytes of V[n] (Arm ARM "V[n]" read of an H, S or D register).
template <class T> inline T vget(const Cpu& cpu, unsigned n) {
  T v;
  std::memcpy(&v, &cpu.v[n], sizeof(T));
  return v;
}

// A scalar write to H, S or D: the rest of the 128-bit register becomes zero (Arm ARM "V[n]"
// assignment of a narrower value zero-extends).
template <class T> inline void vset(Cpu& cpu, unsigned n, T value) {
  cpu.v[n] = VReg{};
  std::memcpy(&cpu.v[n], &value, sizeof(T));
}

// Runs f(T{}) with T the type of ftype `t`: 00 single, 01 double. 11 (half) is FEAT_FP16
// arithmetic, absent from ARMv8.0, and 10 is unallocated: both UNDEF.
template <class F> inline void by_ftype(Cpu& cpu, uint32_t insn, unsigned t, F&& f) {
  switch (t) {
    case 0: f(uint32_t{}); break;
    case 1: f(uint64_t{}); break;
    default: undefined(cpu, insn);
  }
}

}  // namespace xvm::arm64::interp::fp
