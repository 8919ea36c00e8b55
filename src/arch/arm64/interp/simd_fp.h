// Private helpers of the Advanced SIMD floating-point handlers (simd_fp_*.cpp): typed lane
// access and the element loops of the encoding classes. Each loop instantiates the lane
// operation for single (uint32_t) and double (uint64_t) lanes, as the pseudocode's esize, and
// calls the FP library (fpu/fpu.h) with FPCR as is: in AArch64, Advanced SIMD uses the FPCR
// (StandardFPSCRValue is AArch32-only). Flags accumulate into FPSR lane by lane.
#pragma once
#include <type_traits>

#include "arch/arm64/fpu/fpu.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp::simdfp {

// Field C of pattern P (for templates that take the pattern).
template <const Pattern& P, char C>
inline unsigned fld(uint32_t insn) {
  return Fields<P>{insn}.template u<C>();
}

// Element i of a register as T (uint16_t, uint32_t or uint64_t): Arm ARM Elem[].
template <class T>
inline T get(const VReg& v, unsigned i) {
  if constexpr (sizeof(T) == 2)
    return v.h[i];
  else if constexpr (sizeof(T) == 4)
    return v.s[i];
  else
    return v.d[i];
}

template <class T>
inline void put(VReg& v, unsigned i, T x) {
  if constexpr (sizeof(T) == 2)
    v.h[i] = x;
  else if constexpr (sizeof(T) == 4)
    v.s[i] = x;
  else
    v.d[i] = x;
}

// Calls f(T{}) with T = uint32_t for sz = 0 (single) and uint64_t for sz = 1 (double).
template <class F>
inline void with_size(unsigned sz, F&& f) {
  if (sz)
    f(uint64_t{});
  else
    f(uint32_t{});
}

// Lanes of a vector with 32 << sz bit elements. sz = 1 with Q = 0 (the 1D arrangement) is
// reserved in every Advanced SIMD FP vector form: the caller checks that first.
inline unsigned lanes(unsigned sz, unsigned q) {
  return (q ? 4u : 2u) >> sz;
}

inline void need_vec(Cpu& cpu, uint32_t insn, unsigned sz, unsigned q) {
  if (sz && !q) undefined(cpu, insn);
}

// A comparison's lane result: all ones for true (Arm ARM "Ones(esize)"), zero for false.
template <class T, class R>
inline T lane_result(R r) {
  if constexpr (std::is_same_v<R, bool>)
    return r ? T(~T(0)) : T(0);
  else
    return r;
}

// The lane loop of the "same size" forms: lane e of Vd becomes op(n[e], m[e]) -- or
// op(n[e], m[e], d[e]) for the accumulating forms (FMLA, FMLS) -- for `count` lanes, every
// other bit of Vd zero (the upper half of a 64-bit vector, the rest of a scalar). op gets the
// Cpu for FPCR/FPSR and returns T or bool (comparisons).
template <class T, class Op>
inline void map2(Cpu& cpu, unsigned d, const VReg& n, const VReg& m, unsigned count, Op op) {
  const VReg acc = cpu.v[d];
  VReg r{};
  for (unsigned e = 0; e < count; ++e) {
    if constexpr (std::is_invocable_v<Op, T, T, T, Cpu&>)
      put<T>(r, e, op(get<T>(n, e), get<T>(m, e), get<T>(acc, e), cpu));
    else
      put<T>(r, e, lane_result<T>(op(get<T>(n, e), get<T>(m, e), cpu)));
  }
  cpu.v[d] = r;
}

// One-operand lane loop (two-register miscellaneous): lane e of Vd becomes op(n[e]).
template <class T, class Op>
inline void map1(Cpu& cpu, unsigned d, const VReg& n, unsigned count, Op op) {
  VReg r{};
  for (unsigned e = 0; e < count; ++e) put<T>(r, e, lane_result<T>(op(get<T>(n, e), cpu)));
  cpu.v[d] = r;
}

// Vm's element `index` in every lane: the by-element forms then run map2.
template <class T>
inline VReg broadcast(const VReg& m, unsigned index) {
  VReg r{};
  for (unsigned e = 0; e < 16 / sizeof(T); ++e) put<T>(r, e, get<T>(m, index));
  return r;
}

// Lane operations shared by the vector, scalar, pairwise, reduction and by-element forms. Each
// calls the Arm ARM function named in its comment with FPCR as is.
inline constexpr auto kAdd = [](auto a, auto b, Cpu& c) { return fpu::add(a, b, c.fpcr, c.fpsr); };
inline constexpr auto kSub = [](auto a, auto b, Cpu& c) { return fpu::sub(a, b, c.fpcr, c.fpsr); };
inline constexpr auto kMul = [](auto a, auto b, Cpu& c) { return fpu::mul(a, b, c.fpcr, c.fpsr); };
inline constexpr auto kDiv = [](auto a, auto b, Cpu& c) { return fpu::div(a, b, c.fpcr, c.fpsr); };
inline constexpr auto kMax = [](auto a, auto b, Cpu& c) { return fpu::max(a, b, c.fpcr, c.fpsr); };
inline constexpr auto kMin = [](auto a, auto b, Cpu& c) { return fpu::min(a, b, c.fpcr, c.fpsr); };
inline constexpr auto kMaxNum = [](auto a, auto b, Cpu& c) {
  return fpu::max_num(a, b, c.fpcr, c.fpsr);
};
inline constexpr auto kMinNum = [](auto a, auto b, Cpu& c) {
  return fpu::min_num(a, b, c.fpcr, c.fpsr);
};
inline constexpr auto kMulX = [](auto a, auto b, Cpu& c) {
  return fpu::mul_x(a, b, c.fpcr, c.fpsr);
};
// FABD: FPAbs(FPSub(...)); the sign of a NaN difference is cleared too.
inline constexpr auto kAbd = [](auto a, auto b, Cpu& c) {
  return fpu::abs(fpu::sub(a, b, c.fpcr, c.fpsr));
};
inline constexpr auto kRecpS = [](auto a, auto b, Cpu& c) {
  return fpu::recip_step_fused(a, b, c.fpcr, c.fpsr);
};
inline constexpr auto kRsqrtS = [](auto a, auto b, Cpu& c) {
  return fpu::rsqrt_step_fused(a, b, c.fpcr, c.fpsr);
};
inline constexpr auto kCmEq = [](auto a, auto b, Cpu& c) {
  return fpu::compare_eq(a, b, c.fpcr, c.fpsr);
};
inline constexpr auto kCmGe = [](auto a, auto b, Cpu& c) {
  return fpu::compare_ge(a, b, c.fpcr, c.fpsr);
};
inline constexpr auto kCmGt = [](auto a, auto b, Cpu& c) {
  return fpu::compare_gt(a, b, c.fpcr, c.fpsr);
};
// FACGE/FACGT compare FPAbs of both operands (a NaN stays a NaN: the comparison still fails).
inline constexpr auto kAcGe = [](auto a, auto b, Cpu& c) {
  return fpu::compare_ge(fpu::abs(a), fpu::abs(b), c.fpcr, c.fpsr);
};
inline constexpr auto kAcGt = [](auto a, auto b, Cpu& c) {
  return fpu::compare_gt(fpu::abs(a), fpu::abs(b), c.fpcr, c.fpsr);
};
// FMLA/FMLS (vector): FPMulAdd(d, n, m), one rounding; FMLS negates n first with FPNeg.
inline constexpr auto kMla = [](auto n, auto m, auto d, Cpu& c) {
  return fpu::mul_add(d, n, m, c.fpcr, c.fpsr);
};
inline constexpr auto kMls = [](auto n, auto m, auto d, Cpu& c) {
  return fpu::mul_add(d, fpu::neg(n), m, c.fpcr, c.fpsr);
};

}  // namespace xvm::arm64::interp::simdfp
