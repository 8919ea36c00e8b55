// FPRecipEstimate, FPRSqrtEstimate, UnsignedRecipEstimate, UnsignedRSqrtEstimate,
// FPRecipStepFused, FPRSqrtStepFused, FPRecpX (Arm ARM J1 shared/functions/float and
// shared/functions/vector). The estimates are the ARMv8.0 8-bit tables (no FEAT_RPRES).
#include "arch/arm64/fpu/soft.h"

namespace xvm::arm64::fpu {
namespace {

using namespace detail;

// Arm ARM "RecipEstimate": a in [256, 512) is a fixed-point number in [0.5, 1.0).
uint32_t recip_estimate_int(uint32_t a) {
  a = a * 2 + 1;                  // round to nearest
  const uint32_t b = (1u << 19) / a;
  return (b + 1) / 2;             // in [256, 512)
}

// Arm ARM "RecipSqrtEstimate": a in [128, 512) is a fixed-point number in [0.25, 1.0).
uint32_t rsqrt_estimate_int(uint32_t a) {
  if (a < 256) {
    a = a * 2 + 1;                // units of 1/512, rounded to nearest
  } else {
    a = (a >> 1) << 1;            // discard the bottom bit
    a = (a + 1) * 2;              // units of 1/256, rounded to nearest
  }
  uint32_t b = 512;
  while (uint64_t{a} * (b + 1) * (b + 1) < (uint64_t{1} << 28)) ++b;
  return (b + 1) / 2;             // in [256, 512)
}

template <class T> constexpr int kFracShift = 52 - Fmt<T>::F;  // to a 52-bit fraction

}  // namespace

template <class T> T recip_estimate(T op, uint32_t fpcr, uint32_t& fpsr) {
  const auto u = unpack(op, fpcr, fpsr);
  switch (u.type) {
    case Type::SNaN:
    case Type::QNaN: return process_nan(u, fpcr, fpsr);
    case Type::Infinity: return zero<T>(u.sign);
    case Type::Zero:
      fpsr |= fpsr::kDZC;
      return infinity<T>(u.sign);
    case Type::Nonzero: break;
  }
  // |value| < 2^-(bias+2) (2^-128 single, 2^-1024 double): the reciprocal overflows.
  const int exponent = u.value.exp + msb128(u.value.mant);
  if (exponent < -(kBias<T> + 1)) {
    const Rounding rm = rounding_of(fpcr);
    const bool to_inf = rm == Rounding::TieEven || (rm == Rounding::PosInf && !u.sign) ||
                        (rm == Rounding::NegInf && u.sign);
    fpsr |= fpsr::kOFC | fpsr::kIXC;
    return to_inf ? infinity<T>(u.sign) : max_normal<T>(u.sign);
  }
  // |value| >= 2^(bias-1) with FZ: the reciprocal would be denormal, so it is flushed.
  if (sizeof(T) != 2 && (fpcr & fpcr::kFZ) && exponent >= kBias<T> - 1) {
    fpsr |= fpsr::kUFC;
    return zero<T>(u.sign);
  }
  uint64_t fraction = uint64_t(op & kFracMask<T>) << kFracShift<T>;
  int exp = exp_field(op);
  if (exp == 0) {
    if (!((fraction >> 51) & 1)) {
      exp = -1;
      fraction = (fraction << 2) & ((uint64_t{1} << 52) - 1);
    } else {
      fraction = (fraction << 1) & ((uint64_t{1} << 52) - 1);
    }
  }
  const uint32_t scaled = uint32_t(0x100 | (fraction >> 44));
  int result_exp = 2 * kBias<T> - 1 - exp;  // 253 - exp single, 2045 - exp double
  const uint64_t estimate = recip_estimate_int(scaled);
  fraction = (estimate & 0xff) << 44;
  if (result_exp == 0) {
    fraction = (uint64_t{1} << 51) | (fraction >> 1);
  } else if (result_exp == -1) {
    fraction = (uint64_t{1} << 50) | (fraction >> 2);
    result_exp = 0;
  }
  return T(zero<T>(u.sign) | (T(result_exp) << Fmt<T>::F) | T(fraction >> kFracShift<T>));
}

template <class T> T rsqrt_estimate(T op, uint32_t fpcr, uint32_t& fpsr) {
  const auto u = unpack(op, fpcr, fpsr);
  switch (u.type) {
    case Type::SNaN:
    case Type::QNaN: return process_nan(u, fpcr, fpsr);
    case Type::Zero:
      fpsr |= fpsr::kDZC;
      return infinity<T>(u.sign);
    case Type::Infinity:
    case Type::Nonzero: break;
  }
  if (u.sign) {
    fpsr |= fpsr::kIOC;
    return default_nan<T>();
  }
  if (u.type == Type::Infinity) return zero<T>(false);
  uint64_t fraction = uint64_t(op & kFracMask<T>) << kFracShift<T>;
  int exp = exp_field(op);
  if (exp == 0) {
    while (!((fraction >> 51) & 1)) {
      fraction <<= 1;
      --exp;
    }
    fraction = (fraction << 1) & ((uint64_t{1} << 52) - 1);
  }
  const uint32_t scaled = (exp & 1) == 0 ? uint32_t(0x100 | (fraction >> 44))
                                         : uint32_t(0x80 | (fraction >> 45));
  // (3*bias - 1 - exp) DIV 2: 380 single, 3068 double; exp may be negative, DIV rounds down.
  const int num = 3 * kBias<T> - 1 - exp;
  const int result_exp = num >= 0 ? num / 2 : -((-num + 1) / 2);
  const uint64_t estimate = rsqrt_estimate_int(scaled);
  const uint64_t frac52 = (estimate & 0xff) << 44;
  return T((T(result_exp) << Fmt<T>::F) | T(frac52 >> kFracShift<T>));
}

uint32_t unsigned_recip_estimate(uint32_t op) {
  if (!(op >> 31)) return 0xffffffffu;
  return recip_estimate_int(op >> 23) << 23;
}

uint32_t unsigned_rsqrt_estimate(uint32_t op) {
  if (!(op >> 30)) return 0xffffffffu;
  return rsqrt_estimate_int(op >> 23) << 23;
}

namespace {

// FPRecipStepFused (2 - op1*op2) and FPRSqrtStepFused ((3 - op1*op2) / 2), fused.
template <class T> T step_fused(T op1, T op2, bool rsqrt, uint32_t fpcr, uint32_t& fpsr) {
  op1 = neg(op1);  // before NaN processing: a NaN op1 comes out with its sign flipped
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  T r;
  if (process_nans(a, b, fpcr, fpsr, r)) return r;
  const bool inf1 = a.type == Type::Infinity, inf2 = b.type == Type::Infinity;
  const bool zero1 = a.type == Type::Zero, zero2 = b.type == Type::Zero;
  const Real constant{false, rsqrt ? 0 : 1, rsqrt ? u128(3) : u128(1)};  // 3 or 2
  if ((inf1 && zero2) || (zero1 && inf2)) {
    const Real result{false, rsqrt ? -1 : 1, rsqrt ? u128(3) : u128(1)};  // 1.5 or 2.0
    return round<T>(result, fpcr, Rounding::Zero, fpsr);
  }
  if (inf1 || inf2) return infinity<T>(a.sign != b.sign);
  const Real p = (zero1 || zero2) ? Real{} : real_mul(a.value, b.value);
  Real s = real_add(constant, p);
  if (s.mant == 0) return zero<T>(rounding_of(fpcr) == Rounding::NegInf);
  if (rsqrt) s.exp -= 1;
  return round<T>(s, fpcr, rounding_of(fpcr), fpsr);
}

}  // namespace

template <class T> T recip_step_fused(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return step_fused(op1, op2, false, fpcr, fpsr);
}
template <class T> T rsqrt_step_fused(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return step_fused(op1, op2, true, fpcr, fpsr);
}

// FPRecpX: the exponent inverted, fraction cleared (zeros and denormals give the largest
// normal exponent).
template <class T> T recpx(T op, uint32_t fpcr, uint32_t& fpsr) {
  const auto u = unpack(op, fpcr, fpsr);
  if (u.type == Type::QNaN || u.type == Type::SNaN) return process_nan(u, fpcr, fpsr);
  const int emask = (1 << Fmt<T>::E) - 1;
  const int exp = exp_field(op);
  const int rexp = exp == 0 ? emask - 1 : (~exp & emask);
  return T(zero<T>(u.sign) | (T(rexp) << Fmt<T>::F));
}

#define XVM_INSTANTIATE(T)                                  \
  template T recip_estimate(T, uint32_t, uint32_t&);        \
  template T rsqrt_estimate(T, uint32_t, uint32_t&);        \
  template T recip_step_fused(T, T, uint32_t, uint32_t&);   \
  template T rsqrt_step_fused(T, T, uint32_t, uint32_t&);   \
  template T recpx(T, uint32_t, uint32_t&);
XVM_INSTANTIATE(uint32_t)
XVM_INSTANTIATE(uint64_t)
#undef XVM_INSTANTIATE

}  // namespace xvm::arm64::fpu
