// FPAdd, FPSub, FPMul, FPMulX, FPDiv, FPMulAdd, FPSqrt (Arm ARM J1 shared/functions/float).
//
// Fast path: the host's own instruction (fpu/host.h); every case where x86 and Arm may
// differ goes to the software model (soft.h), which follows the pseudocode case by case.
#include <bit>
#include <cmath>

#include "arch/arm64/fpu/host.h"
#include "arch/arm64/fpu/soft.h"

namespace xvm::arm64::fpu {
namespace {

using namespace detail;

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

// The host fast path of a two-operand operation (host.h); `soft_call` when it cannot answer.
#define XVM_FAST2(er_fn, mx_fn, soft_call)                                                 \
  if (host::input_ok(op1, fpcr) && host::input_ok(op2, fpcr)) [[likely]] {                 \
    const host::H<T> a = std::bit_cast<host::H<T>>(op1), b = std::bit_cast<host::H<T>>(op2); \
    T r;                                                                                   \
    if (host::has_avx512f()) [[likely]] {                                                  \
      if (host::run_er<T>([&](auto m) { return host::er_fn<decltype(m)::value>(a, b); },   \
                          fpcr, r, fpsr))                                                  \
        return r;                                                                          \
    } else {                                                                               \
      uint32_t flags;                                                                      \
      r = std::bit_cast<T>(host::mx_fn(a, b, host::csr_of(fpcr), flags));                  \
      if (host::accept_mx(r, flags, fpcr, fpsr)) return r;                                 \
    }                                                                                      \
  }                                                                                        \
  return soft_call;

template <class T> T add(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  XVM_FAST2(er_add, mx_add, soft_add(op1, op2, false, fpcr, fpsr))
}
template <class T> T sub(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  XVM_FAST2(er_sub, mx_sub, soft_add(op1, op2, true, fpcr, fpsr))
}
template <class T> T mul(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  XVM_FAST2(er_mul, mx_mul, soft_mul(op1, op2, false, fpcr, fpsr))
}
// Division by zero (DZC, infinity) is left to the software model.
template <class T> T div(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  if (abs(op2) == 0) return soft_div(op1, op2, fpcr, fpsr);
  XVM_FAST2(er_div, mx_div, soft_div(op1, op2, fpcr, fpsr))
}
#undef XVM_FAST2

// FMULX differs from FMUL only for infinity * zero, which the host reports as invalid.
template <class T> T mul_x(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return soft_mul(op1, op2, true, fpcr, fpsr);
}

template <class T> T mul_add(T addend, T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  if (host::input_ok(addend, fpcr) && host::input_ok(op1, fpcr) && host::input_ok(op2, fpcr))
      [[likely]] {
    const host::H<T> c = std::bit_cast<host::H<T>>(addend), a = std::bit_cast<host::H<T>>(op1),
                     b = std::bit_cast<host::H<T>>(op2);
    T r;
    if (host::has_avx512f()) [[likely]] {
      if (host::run_er<T>([&](auto m) { return host::er_fma<decltype(m)::value>(c, a, b); }, fpcr,
                          r, fpsr))
        return r;
    } else if (host::has_fma()) {
      uint32_t flags;
      r = std::bit_cast<T>(host::mx_fma(c, a, b, host::csr_of(fpcr), flags));
      if (host::accept_mx(r, flags, fpcr, fpsr)) return r;
    }
  }
  return soft_mul_add(addend, op1, op2, fpcr, fpsr);
}

// FPSqrt. A square root never underflows or overflows, so after the special cases the host is
// exact and only Inexact remains.
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
  const host::H<T> x = std::bit_cast<host::H<T>>(op);
  T r;
  if (host::has_avx512f() &&
      host::run_er<T>([&](auto m) { return host::er_sqrt<decltype(m)::value>(x); }, fpcr, r, fpsr))
    return r;
  uint32_t flags;
  r = std::bit_cast<T>(host::mx_sqrt2(x, x, host::csr_of(fpcr), flags));
  fpsr |= (flags & host::kPE) ? fpsr::kIXC : 0;
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
