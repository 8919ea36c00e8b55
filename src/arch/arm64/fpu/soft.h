// Private to fpu/: the software model of Arm's floating-point pseudocode (Arm ARM J1
// "shared/functions/float"): FPUnpack, FPProcessNaN(s), FPRound, and exact arithmetic on
// unrounded values. The host fast paths in arith.cpp fall back to it for every case where x86
// and Arm differ (NaNs, flush-to-zero, tininess); the unit tests compare both.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>

#include "arch/arm64/cpu.h"
#include "arch/arm64/fpu/fpu.h"

namespace xvm::arm64::fpu::detail {

using u128 = unsigned __int128;

// Format parameters: E exponent bits, F fraction bits (Arm ARM J1 "FPRoundBase").
template <class T> struct Fmt;
template <> struct Fmt<uint16_t> { static constexpr int E = 5, F = 10; };
template <> struct Fmt<uint32_t> { static constexpr int E = 8, F = 23; };
template <> struct Fmt<uint64_t> { static constexpr int E = 11, F = 52; };

template <class T> constexpr int kBits = int(sizeof(T) * 8);
template <class T> constexpr int kBias = (1 << (Fmt<T>::E - 1)) - 1;
template <class T> constexpr int kEmin = 1 - kBias<T>;  // exponent of the smallest normal
template <class T> constexpr T kFracMask = T((T(1) << Fmt<T>::F) - 1);
template <class T> constexpr T kQuietBit = T(T(1) << (Fmt<T>::F - 1));
template <class T> constexpr T kInf = T(T((1 << Fmt<T>::E) - 1) << Fmt<T>::F);
template <class T> constexpr T kMinNormal = T(T(1) << Fmt<T>::F);

template <class T> constexpr T zero(bool sign) { return sign ? sign_bit<T>() : T(0); }
template <class T> constexpr T infinity(bool sign) { return T(zero<T>(sign) | kInf<T>); }
template <class T> constexpr T max_normal(bool sign) {
  return T(zero<T>(sign) | (kInf<T> - kMinNormal<T>) | kFracMask<T>);
}
template <class T> constexpr bool is_nan(T op) { return abs(op) > kInf<T>; }
template <class T> constexpr bool is_denormal(T op) { return abs(op) != 0 && abs(op) < kMinNormal<T>; }
template <class T> constexpr int exp_field(T op) { return int((op >> Fmt<T>::F) & ((1 << Fmt<T>::E) - 1)); }

// Arm ARM J1 "FPType".
enum class Type : uint8_t { Zero, Nonzero, Infinity, QNaN, SNaN };

// An unrounded real value (-1)^sign * mant * 2^exp. Bit 0 of mant may be a sticky bit standing
// for "something nonzero below": the producers keep it far below any rounding position.
struct Real {
  bool sign = false;
  int exp = 0;
  u128 mant = 0;
};

template <class T> struct Unpacked {
  Type type;
  bool sign;
  Real value;  // for Nonzero: mant in [2^F, 2^(F+1))
  T bits;
};

inline int msb128(u128 v) {
  const uint64_t hi = uint64_t(v >> 64);
  return hi ? 127 - std::countl_zero(hi) : 63 - std::countl_zero(uint64_t(v));
}

// Arm ARM J1 "FPUnpack" (and FPUnpackCV: half precision is never flushed on ARMv8.0, FZ16 being
// zero). With `ahp`, half precision has no infinities or NaNs (FPCR.AHP, Arm ARM A1.4.2).
template <class T>
inline Unpacked<T> unpack(T op, uint32_t fpcr, uint32_t& fpsr, bool ahp = false) {
  constexpr int F = Fmt<T>::F;
  Unpacked<T> u;
  u.bits = op;
  u.sign = (op >> (kBits<T> - 1)) & 1;
  u.value.sign = u.sign;
  const int e = exp_field(op);
  const T frac = T(op & kFracMask<T>);
  if (e == 0) {
    if (frac == 0 || (sizeof(T) != 2 && (fpcr & fpcr::kFZ))) {
      if (frac != 0) fpsr |= fpsr::kIDC;
      u.type = Type::Zero;
      return u;
    }
    u.type = Type::Nonzero;
    const int sh = F - (std::bit_width(uint64_t(frac)) - 1);
    u.value.mant = u128(frac) << sh;
    u.value.exp = kEmin<T> - F - sh;
    return u;
  }
  if (e == (1 << Fmt<T>::E) - 1 && !(sizeof(T) == 2 && ahp)) {
    u.type = frac == 0 ? Type::Infinity : (frac & kQuietBit<T>) ? Type::QNaN : Type::SNaN;
    return u;
  }
  u.type = Type::Nonzero;
  u.value.mant = u128(frac) | (u128(1) << F);
  u.value.exp = e - kBias<T> - F;
  return u;
}

// Arm ARM J1 "FPProcessNaN".
template <class T> inline T process_nan(const Unpacked<T>& u, uint32_t fpcr, uint32_t& fpsr) {
  T r = u.bits;
  if (u.type == Type::SNaN) {
    r = T(r | kQuietBit<T>);
    fpsr |= fpsr::kIOC;
  }
  return (fpcr & fpcr::kDN) ? default_nan<T>() : r;
}

// Arm ARM J1 "FPProcessNaNs": signalling NaNs first, then quiet ones, each in operand order.
template <class T>
inline bool process_nans(const Unpacked<T>& a, const Unpacked<T>& b, uint32_t fpcr,
                         uint32_t& fpsr, T& out) {
  if (a.type == Type::SNaN) return out = process_nan(a, fpcr, fpsr), true;
  if (b.type == Type::SNaN) return out = process_nan(b, fpcr, fpsr), true;
  if (a.type == Type::QNaN) return out = process_nan(a, fpcr, fpsr), true;
  if (b.type == Type::QNaN) return out = process_nan(b, fpcr, fpsr), true;
  return false;
}

// Arm ARM J1 "FPProcessNaNs3".
template <class T>
inline bool process_nans3(const Unpacked<T>& a, const Unpacked<T>& b, const Unpacked<T>& c,
                          uint32_t fpcr, uint32_t& fpsr, T& out) {
  if (a.type == Type::SNaN) return out = process_nan(a, fpcr, fpsr), true;
  if (b.type == Type::SNaN) return out = process_nan(b, fpcr, fpsr), true;
  if (c.type == Type::SNaN) return out = process_nan(c, fpcr, fpsr), true;
  if (a.type == Type::QNaN) return out = process_nan(a, fpcr, fpsr), true;
  if (b.type == Type::QNaN) return out = process_nan(b, fpcr, fpsr), true;
  if (c.type == Type::QNaN) return out = process_nan(c, fpcr, fpsr), true;
  return false;
}

// Where the bits shifted out of an integer lie relative to one unit: 0 exact, 1 below half,
// 2 exactly half, 3 above half (the "error" of Arm's RoundDown).
enum Err : int { kExact = 0, kBelow = 1, kHalf = 2, kAbove = 3 };

inline u128 shift_right_err(u128 m, int sh, int& err) {
  if (sh <= 0) {
    err = kExact;
    return m << -sh;
  }
  if (sh > 128) {
    err = m ? kBelow : kExact;
    return 0;
  }
  const u128 rem = sh == 128 ? m : m & ((u128(1) << sh) - 1);
  const u128 half = u128(1) << (sh - 1);
  err = rem == 0 ? kExact : rem < half ? kBelow : rem == half ? kHalf : kAbove;
  return sh == 128 ? 0 : m >> sh;
}

// Whether rounding a magnitude with fraction class `err` and integer part `q` goes up
// (Arm ARM J1 "FPRoundBase" / "FPRoundInt" / "FPToFixed", written on magnitudes).
inline bool round_up(Rounding r, bool sign, int err, u128 q) {
  switch (r) {
    case Rounding::TieEven: return err == kAbove || (err == kHalf && (q & 1));
    case Rounding::PosInf: return err != kExact && !sign;
    case Rounding::NegInf: return err != kExact && sign;
    case Rounding::TieAway: return err >= kHalf;
    default: return false;  // Zero, Odd
  }
}

// Arm ARM J1 "FPRoundBase" for a nonzero value. Tininess is detected before rounding; FPCR.FZ
// flushes tiny single/double results to zero (UFC, no IXC); with `ahp` a half-precision result
// saturates with IOC instead of overflowing (FPCR.AHP).
template <class T>
inline T round(const Real& v, uint32_t fpcr, Rounding rm, uint32_t& fpsr, bool ahp = false) {
  constexpr int E = Fmt<T>::E, F = Fmt<T>::F;
  const int exponent = v.exp + msb128(v.mant);  // value = 1.xxx * 2^exponent
  if (sizeof(T) != 2 && (fpcr & fpcr::kFZ) && exponent < kEmin<T>) {
    fpsr |= fpsr::kUFC;
    return zero<T>(v.sign);
  }
  int biased = std::max(exponent - kEmin<T> + 1, 0);
  int err;
  u128 m = shift_right_err(v.mant, (biased == 0 ? kEmin<T> : exponent) - F - v.exp, err);
  if (biased == 0 && err != kExact) fpsr |= fpsr::kUFC;
  if (round_up(rm, v.sign, err, m)) {
    ++m;
    if (m == (u128(1) << F)) biased = 1;  // a denormal rounded up to the smallest normal
    if (m == (u128(1) << (F + 1))) {
      ++biased;
      m >>= 1;
    }
  }
  if (rm == Rounding::Odd && err != kExact) m |= 1;
  T r;
  if (!(sizeof(T) == 2 && ahp)) {
    if (biased >= (1 << E) - 1) {
      const bool to_inf = rm == Rounding::TieEven || rm == Rounding::TieAway ||
                          (rm == Rounding::PosInf && !v.sign) || (rm == Rounding::NegInf && v.sign);
      fpsr |= fpsr::kOFC | fpsr::kIXC;
      return to_inf ? infinity<T>(v.sign) : max_normal<T>(v.sign);
    }
  } else if (biased >= (1 << E)) {
    fpsr |= fpsr::kIOC;
    return T(zero<T>(v.sign) | T(~sign_bit<T>()));
  }
  r = T(zero<T>(v.sign) | (T(biased) << F) | (T(m) & kFracMask<T>));
  if (err != kExact) fpsr |= fpsr::kIXC;
  return r;
}

// Exact sum of two reals (mant 0 means zero). The larger is normalised to bit 125 and the
// smaller shifted with a sticky bit: when they differ in exponent by 2 or more, cancellation
// loses at most one bit, so the sticky bit stays ~120 bits below the rounding position.
inline Real real_add(Real a, Real b) {
  if (a.mant == 0) return b;
  if (b.mant == 0) return a;
  auto norm = [](Real& r) {
    const int sh = 125 - msb128(r.mant);
    r.mant <<= sh;
    r.exp -= sh;
  };
  norm(a);
  norm(b);
  if (b.exp > a.exp || (b.exp == a.exp && b.mant > a.mant)) std::swap(a, b);
  const int d = a.exp - b.exp;
  u128 bm = d >= 126 ? u128(1) : (b.mant >> d) | u128((b.mant & ((u128(1) << d) - 1)) != 0);
  Real r;
  r.sign = a.sign;
  r.exp = a.exp;
  r.mant = a.sign == b.sign ? a.mant + bm : a.mant - bm;
  return r;  // mant == 0: exact cancellation, the caller picks the zero's sign
}

inline Real real_mul(const Real& a, const Real& b) {
  return Real{bool(a.sign ^ b.sign), a.exp + b.exp, a.mant * b.mant};
}

// a / b for mantissas of at most 53 bits: a 64-bit-wider quotient plus a sticky bit.
inline Real real_div(const Real& a, const Real& b) {
  const u128 n = a.mant << 64;
  const u128 q = n / b.mant;
  const bool sticky = (n % b.mant) != 0;
  return Real{bool(a.sign ^ b.sign), a.exp - b.exp - 65, (q << 1) | u128(sticky)};
}

// Software versions of the arithmetic, following the pseudocode case by case. The public
// functions use them whenever the host fast path cannot give Arm's answer.
template <class T> T soft_add(T op1, T op2, bool negate2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T soft_mul(T op1, T op2, bool mulx, uint32_t fpcr, uint32_t& fpsr);
template <class T> T soft_div(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T soft_mul_add(T addend, T op1, T op2, uint32_t fpcr, uint32_t& fpsr);

}  // namespace xvm::arm64::fpu::detail
