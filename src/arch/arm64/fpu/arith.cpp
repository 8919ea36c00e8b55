// FPAdd, FPSub, FPMul, FPMulX, FPDiv, FPMulAdd, FPSqrt (Arm ARM J1 shared/functions/float).
//
// Fast path: the host's SSE/FMA instruction under an MXCSR with the guest's rounding mode, all
// exceptions masked, no FTZ/DAZ. IEEE 754 fixes the result and flags of these operations, so
// x86 and Arm agree except where Arm makes its own choices; those cases go to the software
// model (soft.h): any NaN operand (Arm propagates signalling NaNs first and its default NaN is
// positive), FPCR.FZ with a denormal operand or a tiny result, an invalid operation (default
// NaN), and every inexact result at or below the smallest normal (Arm detects tininess before
// rounding, x86 after).
#include <bit>
#include <cmath>

#include "arch/arm64/fpu/soft.h"

namespace xvm::arm64::fpu {
namespace {

using namespace detail;

// MXCSR: all exceptions masked (bits 7..12), rounding control in bits 13..14 (00 nearest,
// 01 down, 10 up, 11 toward zero). FPCR.RMode is 0 RN, 1 RP, 2 RM, 3 RZ.
inline uint32_t host_csr(uint32_t fpcr) {
  static constexpr uint32_t kRc[4] = {0u << 13, 2u << 13, 1u << 13, 3u << 13};
  return 0x1f80u | kRc[(fpcr >> 22) & 3];
}

enum HostFlags : uint32_t { kIE = 1, kDE = 2, kZE = 4, kOE = 8, kUE = 16, kPE = 32 };

// One host instruction between loading the guest's MXCSR and restoring the host's, all in one
// asm statement so that the compiler cannot move arithmetic across the mode switch.
#define XVM_HOST_OP2(name, type, insn)                                                      \
  inline type name(type a, type b, uint32_t csr, uint32_t& flags) {                         \
    uint32_t save = 0;                                                                      \
    flags = 0;                                                                              \
    asm volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t" insn " %[b], %[a]\n\t"             \
                 "stmxcsr %[flags]\n\tldmxcsr %[save]"                                      \
                 : [a] "+x"(a), [save] "+m"(save), [flags] "+m"(flags)                      \
                 : [b] "x"(b), [csr] "m"(csr));                                             \
    return a;                                                                               \
  }
XVM_HOST_OP2(host_add, float, "addss")
XVM_HOST_OP2(host_add, double, "addsd")
XVM_HOST_OP2(host_sub, float, "subss")
XVM_HOST_OP2(host_sub, double, "subsd")
XVM_HOST_OP2(host_mul, float, "mulss")
XVM_HOST_OP2(host_mul, double, "mulsd")
XVM_HOST_OP2(host_div, float, "divss")
XVM_HOST_OP2(host_div, double, "divsd")
XVM_HOST_OP2(host_sqrt, float, "sqrtss")
XVM_HOST_OP2(host_sqrt, double, "sqrtsd")
#undef XVM_HOST_OP2

// acc + a * b, fused.
#define XVM_HOST_FMA(type, insn)                                                            \
  inline type host_fma(type acc, type a, type b, uint32_t csr, uint32_t& flags) {           \
    uint32_t save = 0;                                                                      \
    flags = 0;                                                                              \
    asm volatile("stmxcsr %[save]\n\tldmxcsr %[csr]\n\t" insn " %[b], %[a], %[acc]\n\t"     \
                 "stmxcsr %[flags]\n\tldmxcsr %[save]"                                      \
                 : [acc] "+x"(acc), [save] "+m"(save), [flags] "+m"(flags)                  \
                 : [a] "x"(a), [b] "x"(b), [csr] "m"(csr));                                 \
    return acc;                                                                             \
  }
XVM_HOST_FMA(float, "vfmadd231ss")
XVM_HOST_FMA(double, "vfmadd231sd")
#undef XVM_HOST_FMA

bool host_has_fma() {
  static const bool has = __builtin_cpu_supports("fma");
  return has;
}

template <class T> using HostT = std::conditional_t<sizeof(T) == 4, float, double>;

// An operand the host handles as Arm does: not a NaN, and not a denormal that FZ flushes.
template <class T> inline bool host_input_ok(T op, uint32_t fpcr) {
  return !is_nan(op) && !((fpcr & fpcr::kFZ) && is_denormal(op));
}

// The host result is Arm's unless the operation was invalid or the result is near underflow
// (exponent field 0 or 1) and either inexact or to be flushed by FZ.
template <class T> inline bool host_result_ok(T r, uint32_t flags, uint32_t fpcr) {
  if (flags & kIE) return false;
  if (exp_field(r) <= 1 && ((flags & kPE) || ((fpcr & fpcr::kFZ) && abs(r) != 0))) return false;
  return true;
}

inline uint32_t arm_flags(uint32_t flags) {
  return ((flags & kZE) ? fpsr::kDZC : 0) | ((flags & kOE) ? fpsr::kOFC : 0) |
         ((flags & kPE) ? fpsr::kIXC : 0);
}

// Zero from an exact cancellation: +0 except when rounding toward minus infinity.
template <class T> inline T cancel_zero(uint32_t fpcr) {
  return zero<T>(rounding_of(fpcr) == Rounding::NegInf);
}

}  // namespace

namespace detail {

template <class T> T soft_add(T op1, T op2, bool negate2, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  auto b = unpack(op2, fpcr, fpsr);
  T r;
  if (process_nans(a, b, fpcr, fpsr, r)) return r;  // FPSub propagates op2 un-negated
  if (negate2) b.sign = b.value.sign = !b.sign;
  const bool inf1 = a.type == Type::Infinity, inf2 = b.type == Type::Infinity;
  if (inf1 && inf2 && a.sign != b.sign) {
    fpsr |= fpsr::kIOC;
    return default_nan<T>();
  }
  if ((inf1 && !a.sign) || (inf2 && !b.sign)) return infinity<T>(false);
  if ((inf1 && a.sign) || (inf2 && b.sign)) return infinity<T>(true);
  const bool zero1 = a.type == Type::Zero, zero2 = b.type == Type::Zero;
  if (zero1 && zero2 && a.sign == b.sign) return zero<T>(a.sign);
  const Real s = real_add(a.value, b.value);
  if (s.mant == 0) return cancel_zero<T>(fpcr);
  return round<T>(s, fpcr, rounding_of(fpcr), fpsr);
}

template <class T> T soft_mul(T op1, T op2, bool mulx, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  T r;
  if (process_nans(a, b, fpcr, fpsr, r)) return r;
  const bool inf1 = a.type == Type::Infinity, inf2 = b.type == Type::Infinity;
  const bool zero1 = a.type == Type::Zero, zero2 = b.type == Type::Zero;
  const bool sign = a.sign != b.sign;
  if ((inf1 && zero2) || (zero1 && inf2)) {
    if (mulx) {  // FPMulX: FPTwo(sign)
      const Real two{sign, 1, 1};
      return round<T>(two, fpcr, Rounding::Zero, fpsr);
    }
    fpsr |= fpsr::kIOC;
    return default_nan<T>();
  }
  if (inf1 || inf2) return infinity<T>(sign);
  if (zero1 || zero2) return zero<T>(sign);
  return round<T>(real_mul(a.value, b.value), fpcr, rounding_of(fpcr), fpsr);
}

template <class T> T soft_div(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  T r;
  if (process_nans(a, b, fpcr, fpsr, r)) return r;
  const bool inf1 = a.type == Type::Infinity, inf2 = b.type == Type::Infinity;
  const bool zero1 = a.type == Type::Zero, zero2 = b.type == Type::Zero;
  const bool sign = a.sign != b.sign;
  if ((inf1 && inf2) || (zero1 && zero2)) {
    fpsr |= fpsr::kIOC;
    return default_nan<T>();
  }
  if (inf1 || zero2) {
    if (!inf1) fpsr |= fpsr::kDZC;
    return infinity<T>(sign);
  }
  if (zero1 || inf2) return zero<T>(sign);
  return round<T>(real_div(a.value, b.value), fpcr, rounding_of(fpcr), fpsr);
}

template <class T> T soft_mul_add(T addend, T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  const auto c = unpack(addend, fpcr, fpsr);
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  const bool inf1 = a.type == Type::Infinity, inf2 = b.type == Type::Infinity;
  const bool zero1 = a.type == Type::Zero, zero2 = b.type == Type::Zero;
  T r;
  const bool done = process_nans3(c, a, b, fpcr, fpsr, r);
  // A quiet-NaN addend does not hide the invalid 0 * infinity (FPMulAdd).
  if (c.type == Type::QNaN && ((inf1 && zero2) || (zero1 && inf2))) {
    fpsr |= fpsr::kIOC;
    return default_nan<T>();
  }
  if (done) return r;
  const bool infa = c.type == Type::Infinity, zeroa = c.type == Type::Zero;
  const bool signp = a.sign != b.sign, infp = inf1 || inf2, zerop = zero1 || zero2;
  if ((inf1 && zero2) || (zero1 && inf2) || (infa && infp && c.sign != signp)) {
    fpsr |= fpsr::kIOC;
    return default_nan<T>();
  }
  if ((infa && !c.sign) || (infp && !signp)) return infinity<T>(false);
  if ((infa && c.sign) || (infp && signp)) return infinity<T>(true);
  if (zeroa && zerop && c.sign == signp) return zero<T>(c.sign);
  const Real p = zerop ? Real{} : real_mul(a.value, b.value);
  const Real s = real_add(zeroa ? Real{} : c.value, p);
  if (s.mant == 0) return cancel_zero<T>(fpcr);
  return round<T>(s, fpcr, rounding_of(fpcr), fpsr);
}

template uint32_t soft_add(uint32_t, uint32_t, bool, uint32_t, uint32_t&);
template uint64_t soft_add(uint64_t, uint64_t, bool, uint32_t, uint32_t&);
template uint32_t soft_mul(uint32_t, uint32_t, bool, uint32_t, uint32_t&);
template uint64_t soft_mul(uint64_t, uint64_t, bool, uint32_t, uint32_t&);
template uint32_t soft_div(uint32_t, uint32_t, uint32_t, uint32_t&);
template uint64_t soft_div(uint64_t, uint64_t, uint32_t, uint32_t&);
template uint32_t soft_mul_add(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t&);
template uint64_t soft_mul_add(uint64_t, uint64_t, uint64_t, uint32_t, uint32_t&);

}  // namespace detail

// The fast path of a two-operand operation; falls back to `soft` when the host can't tell.
#define XVM_FAST2(host_fn, soft_call)                                                  \
  if (host_input_ok(op1, fpcr) && host_input_ok(op2, fpcr)) [[likely]] {               \
    uint32_t flags;                                                                    \
    const T r = std::bit_cast<T>(host_fn(std::bit_cast<HostT<T>>(op1),                 \
                                         std::bit_cast<HostT<T>>(op2), host_csr(fpcr), flags)); \
    if (host_result_ok(r, flags, fpcr)) [[likely]] {                                   \
      fpsr |= arm_flags(flags);                                                        \
      return r;                                                                        \
    }                                                                                  \
  }                                                                                    \
  return soft_call;

template <class T> T add(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  XVM_FAST2(host_add, soft_add(op1, op2, false, fpcr, fpsr))
}
template <class T> T sub(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  XVM_FAST2(host_sub, soft_add(op1, op2, true, fpcr, fpsr))
}
template <class T> T mul(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  XVM_FAST2(host_mul, soft_mul(op1, op2, false, fpcr, fpsr))
}
template <class T> T div(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  XVM_FAST2(host_div, soft_div(op1, op2, fpcr, fpsr))
}
#undef XVM_FAST2

// FMULX differs from FMUL only for infinity * zero, which the host reports as invalid.
template <class T> T mul_x(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return soft_mul(op1, op2, true, fpcr, fpsr);
}

template <class T> T mul_add(T addend, T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  if (host_has_fma() && host_input_ok(addend, fpcr) && host_input_ok(op1, fpcr) &&
      host_input_ok(op2, fpcr)) [[likely]] {
    uint32_t flags;
    const T r = std::bit_cast<T>(host_fma(std::bit_cast<HostT<T>>(addend),
                                          std::bit_cast<HostT<T>>(op1),
                                          std::bit_cast<HostT<T>>(op2), host_csr(fpcr), flags));
    if (host_result_ok(r, flags, fpcr)) [[likely]] {
      fpsr |= arm_flags(flags);
      return r;
    }
  }
  return soft_mul_add(addend, op1, op2, fpcr, fpsr);
}

// FPSqrt. A square root never underflows, so after the special cases the host is exact.
template <class T> T sqrt(T op, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op, fpcr, fpsr);
  switch (a.type) {
    case Type::SNaN:
    case Type::QNaN: return process_nan(a, fpcr, fpsr);
    case Type::Zero: return zero<T>(a.sign);
    case Type::Infinity:
      if (!a.sign) return op;
      break;
    case Type::Nonzero: break;
  }
  if (a.sign) {
    fpsr |= fpsr::kIOC;
    return default_nan<T>();
  }
  uint32_t flags;
  const HostT<T> x = std::bit_cast<HostT<T>>(op);
  const T r = std::bit_cast<T>(host_sqrt(x, x, host_csr(fpcr), flags));
  fpsr |= arm_flags(flags);
  return r;
}

#define XVM_INSTANTIATE(T)                                        \
  template T add(T, T, uint32_t, uint32_t&);                      \
  template T sub(T, T, uint32_t, uint32_t&);                      \
  template T mul(T, T, uint32_t, uint32_t&);                      \
  template T div(T, T, uint32_t, uint32_t&);                      \
  template T mul_x(T, T, uint32_t, uint32_t&);                    \
  template T mul_add(T, T, T, uint32_t, uint32_t&);               \
  template T sqrt(T, uint32_t, uint32_t&);
XVM_INSTANTIATE(uint32_t)
XVM_INSTANTIATE(uint64_t)
#undef XVM_INSTANTIATE

}  // namespace xvm::arm64::fpu
