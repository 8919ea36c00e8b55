// Private to fpu/: the host (x86-64) fast path of the IEEE operations. IEEE 754 fixes the
// result and flags of add, sub, mul, div, fma and sqrt, so the host answers for Arm except in
// the cases that the callers send to the software model (soft.h) before or after: NaN operands,
// FZ with a denormal operand, invalid operations (Arm's default NaN is positive), division by
// zero, and results at or below the smallest normal that are inexact or to be flushed (Arm
// detects tininess before rounding, x86 after).
//
// Two ways to run one operation in the guest's rounding mode and learn its flags:
//  - AVX-512F (preferred): the operation with embedded rounding ({rn,ru,rd,rz}-sae) in the
//    guest's mode, plus the same operation rounded up and down: equal up/down results mean
//    exact, and an inexact infinite result means overflow. No MXCSR traffic, which costs
//    ~12 ns per LDMXCSR on the AMD EPYC host we measured.
//  - otherwise: LDMXCSR with the guest's mode, the SSE/FMA instruction, STMXCSR for the flags.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "arch/arm64/fpu/soft.h"

namespace xvm::arm64::fpu::host {

using fpu::abs;
using detail::exp_field;
using detail::is_denormal;
using detail::is_nan;

template <class T> using H = std::conditional_t<sizeof(T) == 4, float, double>;

inline bool has_avx512f() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
inline bool has_fma() {
  static const bool has = __builtin_cpu_supports("fma");
  return has;
}

// An operand the host handles as Arm does: not a NaN, and not a denormal that FZ flushes.
template <class T> inline bool input_ok(T op, uint32_t fpcr) {
  return !is_nan(op) && !((fpcr & fpcr::kFZ) && is_denormal(op));
}

// --- AVX-512 embedded rounding. M is FPCR.RMode: 0 nearest, 1 up, 2 down, 3 toward zero. ---

#define XVM_ER_MODES(insn, operands, outs, ins)                            \
  if constexpr (M == 0) asm(insn " %{rn-sae%}, " operands : outs : ins);     \
  else if constexpr (M == 1) asm(insn " %{ru-sae%}, " operands : outs : ins); \
  else if constexpr (M == 2) asm(insn " %{rd-sae%}, " operands : outs : ins); \
  else asm(insn " %{rz-sae%}, " operands : outs : ins);

#define XVM_ER2(name, type, insn)                                                          \
  template <int M> inline type name(type a, type b) {                                     \
    type r;                                                                                \
    XVM_ER_MODES(insn, "%[b], %[a], %[r]", [r] "=v"(r), XVM_ER_IN2)                        \
    return r;                                                                              \
  }
#define XVM_ER_IN2 [a] "v"(a), [b] "v"(b)
XVM_ER2(er_add, float, "vaddss")
XVM_ER2(er_add, double, "vaddsd")
XVM_ER2(er_sub, float, "vsubss")
XVM_ER2(er_sub, double, "vsubsd")
XVM_ER2(er_mul, float, "vmulss")
XVM_ER2(er_mul, double, "vmulsd")
XVM_ER2(er_div, float, "vdivss")
XVM_ER2(er_div, double, "vdivsd")
#undef XVM_ER2
#undef XVM_ER_IN2

#define XVM_ER_SQRT(type, insn)                                                            \
  template <int M> inline type er_sqrt(type a) {                                           \
    type r;                                                                                \
    XVM_ER_MODES(insn, "%[a], %[a], %[r]", [r] "=v"(r), [a] "v"(a))                        \
    return r;                                                                              \
  }
XVM_ER_SQRT(float, "vsqrtss")
XVM_ER_SQRT(double, "vsqrtsd")
#undef XVM_ER_SQRT

// double -> single, rounded in mode M.
template <int M> inline float er_cvt(double a) {
  float r;
  XVM_ER_MODES("vcvtsd2ss", "%[a], %[a], %[r]", [r] "=v"(r), [a] "v"(a))
  return r;
}

// acc + a * b, fused.
#define XVM_ER_FMA(type, insn)                                                             \
  template <int M> inline type er_fma(type acc, type a, type b) {                          \
    XVM_ER_MODES(insn, "%[b], %[a], %[acc]", [acc] "+v"(acc), XVM_ER_IN2)                  \
    return acc;                                                                            \
  }
#define XVM_ER_IN2 [a] "v"(a), [b] "v"(b)
XVM_ER_FMA(float, "vfmadd231ss")
XVM_ER_FMA(double, "vfmadd231sd")
#undef XVM_ER_FMA
#undef XVM_ER_IN2
#undef XVM_ER_MODES

// Runs f(std::integral_constant<int, M>) in the guest's mode and rounded up and down; on
// success stores the result, ORs IXC/OFC into fpsr and returns true.
template <class T, class F> inline bool run_er(F f, uint32_t fpcr, T& out, uint32_t& fpsr) {
  using HT = H<T>;
  HT r;
  switch ((fpcr >> 22) & 3) {
    case 0: r = f(std::integral_constant<int, 0>{}); break;
    case 1: r = f(std::integral_constant<int, 1>{}); break;
    case 2: r = f(std::integral_constant<int, 2>{}); break;
    default: r = f(std::integral_constant<int, 3>{}); break;
  }
  const HT up = f(std::integral_constant<int, 1>{}), down = f(std::integral_constant<int, 2>{});
  const T bits = std::bit_cast<T>(r);
  if (is_nan(bits)) return false;  // invalid: Arm's default NaN
  const bool inexact = !(up == down);
  if (exp_field(bits) <= 1 && (inexact || ((fpcr & fpcr::kFZ) && abs(bits) != 0))) return false;
  if (inexact) {
    // Overflow is judged in the guest's mode: an infinite result is one; the largest normal
    // may be one (directed rounding toward it) or not, which the software model decides.
    if (abs(bits) == detail::max_normal<T>(false)) return false;
    fpsr |= std::isinf(r) ? fpsr::kIXC | fpsr::kOFC : fpsr::kIXC;
  }
  out = bits;
  return true;
}

// --- MXCSR fallback ---

// MXCSR: all exceptions masked (bits 7..12), rounding control in bits 13..14 (00 nearest,
// 01 down, 10 up, 11 toward zero).
inline uint32_t csr_of(uint32_t fpcr) {
  static constexpr uint32_t kRc[4] = {0u << 13, 2u << 13, 1u << 13, 3u << 13};
  return 0x1f80u | kRc[(fpcr >> 22) & 3];
}

enum MxcsrFlags : uint32_t { kIE = 1, kDE = 2, kZE = 4, kOE = 8, kUE = 16, kPE = 32 };

// One host instruction between loading the guest's MXCSR and restoring the host's, all in one
// asm statement so that the compiler cannot move arithmetic across the mode switch.
#define XVM_MX2(name, type, insn)                                                        \
  inline type name(type a, type b, uint32_t csr, uint32_t& flags) {                      \
    uint32_t save = 0;                                                                   \
    flags = 0;                                                                           \
    asm volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t" insn " %[b], %[a]\n\t"          \
                 "stmxcsr %[flags]\n\tldmxcsr %[save]"                                   \
                 : [a] "+x"(a), [save] "+m"(save), [flags] "+m"(flags)                   \
                 : [b] "x"(b), [csr] "m"(csr));                                          \
    return a;                                                                            \
  }
XVM_MX2(mx_add, float, "addss")
XVM_MX2(mx_add, double, "addsd")
XVM_MX2(mx_sub, float, "subss")
XVM_MX2(mx_sub, double, "subsd")
XVM_MX2(mx_mul, float, "mulss")
XVM_MX2(mx_mul, double, "mulsd")
XVM_MX2(mx_div, float, "divss")
XVM_MX2(mx_div, double, "divsd")
XVM_MX2(mx_sqrt2, float, "sqrtss")
XVM_MX2(mx_sqrt2, double, "sqrtsd")
#undef XVM_MX2

#define XVM_MX_FMA(type, insn)                                                           \
  inline type mx_fma(type acc, type a, type b, uint32_t csr, uint32_t& flags) {          \
    uint32_t save = 0;                                                                   \
    flags = 0;                                                                           \
    asm volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t" insn " %[b], %[a], %[acc]\n\t"  \
                 "stmxcsr %[flags]\n\tldmxcsr %[save]"                                   \
                 : [acc] "+x"(acc), [save] "+m"(save), [flags] "+m"(flags)               \
                 : [a] "x"(a), [b] "x"(b), [csr] "m"(csr));                              \
    return acc;                                                                          \
  }
XVM_MX_FMA(float, "vfmadd231ss")
XVM_MX_FMA(double, "vfmadd231sd")
#undef XVM_MX_FMA

// Checks an MXCSR-path result as run_er does; on success ORs the Arm flags into fpsr.
template <class T> inline bool accept_mx(T r, uint32_t flags, uint32_t fpcr, uint32_t& fpsr) {
  if (flags & (kIE | kZE)) return false;
  if (exp_field(r) <= 1 && ((flags & kPE) || ((fpcr & fpcr::kFZ) && abs(r) != 0))) return false;
  fpsr |= ((flags & kOE) ? fpsr::kOFC : 0) | ((flags & kPE) ? fpsr::kIXC : 0);
  return true;
}

}  // namespace xvm::arm64::fpu::host
