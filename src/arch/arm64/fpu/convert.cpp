// FPRoundInt, FPToFixed, FixedToFP, FPConvert (Arm ARM J1 shared/functions/float). Integer
// work on the unpacked mantissa: exact, and cheap enough to need no host fast path.
#include "arch/arm64/fpu/host.h"
#include "arch/arm64/fpu/soft.h"

namespace xvm::arm64::fpu {

using namespace detail;

template <class T>
T round_int(T op, Rounding rounding, bool exact, uint32_t fpcr, uint32_t& fpsr) {
  const auto u = unpack(op, fpcr, fpsr);
  switch (u.type) {
    case Type::SNaN:
    case Type::QNaN: return process_nan(u, fpcr, fpsr);
    case Type::Infinity: return infinity<T>(u.sign);
    case Type::Zero: return zero<T>(u.sign);
    case Type::Nonzero: break;
  }
  if (u.value.exp >= 0) return op;  // already an integer
  int err;
  u128 q = shift_right_err(u.value.mant, -u.value.exp, err);
  if (round_up(rounding, u.sign, err, q)) ++q;
  if (exact && err != kExact) fpsr |= fpsr::kIXC;
  if (q == 0) return zero<T>(u.sign);  // the sign survives (-0.3 rounds to -0)
  uint32_t ignored = 0;  // an integer no larger than the operand: exact
  return round<T>(Real{u.sign, 0, q}, fpcr, Rounding::Zero, ignored);
}

template <class T>
uint64_t to_fixed(T op, unsigned fbits, bool is_unsigned, unsigned width, Rounding rounding,
                  uint32_t fpcr, uint32_t& fpsr) {
  const auto u = unpack(op, fpcr, fpsr);
  const uint64_t mask = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  // Saturation bounds of SatQ, as magnitudes: [0, 2^w - 1] unsigned, [-2^(w-1), 2^(w-1) - 1].
  const u128 max_pos = is_unsigned ? u128(mask) : u128(mask >> 1);
  const u128 max_neg = is_unsigned ? 0 : u128(mask >> 1) + 1;
  auto saturate = [&](bool negative) -> uint64_t {
    fpsr |= fpsr::kIOC;
    if (negative) return is_unsigned ? 0 : (uint64_t(0) - uint64_t(max_neg)) & mask;
    return uint64_t(max_pos);
  };
  switch (u.type) {
    case Type::SNaN:
    case Type::QNaN:
      fpsr |= fpsr::kIOC;
      return 0;
    case Type::Infinity: return saturate(u.sign);
    case Type::Zero: return 0;
    case Type::Nonzero: break;
  }
  const int e2 = u.value.exp + int(fbits);
  u128 mag;
  int err = kExact;
  if (e2 >= 0) {
    if (e2 + msb128(u.value.mant) >= 66) return saturate(u.sign);
    mag = u.value.mant << e2;
  } else {
    mag = shift_right_err(u.value.mant, -e2, err);
  }
  if (round_up(rounding, u.sign, err, mag)) ++mag;
  if (u.sign ? mag > max_neg : mag > max_pos) return saturate(u.sign);
  if (err != kExact) fpsr |= fpsr::kIXC;
  const uint64_t m = uint64_t(mag);
  return (u.sign ? uint64_t(0) - m : m) & mask;
}

template <class T>
T fixed_to_fp(uint64_t op, unsigned fbits, bool is_unsigned, Rounding rounding, uint32_t fpcr,
              uint32_t& fpsr) {
  const bool sign = !is_unsigned && (op >> 63);
  const uint64_t mag = sign ? uint64_t(0) - op : op;
  if (mag == 0) return zero<T>(false);
  return round<T>(Real{sign, -int(fbits), mag}, fpcr, rounding, fpsr);
}

template <class To, class From>
To convert(From op, Rounding rounding, uint32_t fpcr, uint32_t& fpsr) {
  // Fast paths: single -> double of a normal number is exact; double -> single on the host
  // (fpu/host.h) when it can answer for Arm.
  if constexpr (sizeof(From) == 4 && sizeof(To) == 8) {
    const int e = exp_field(op);
    if (e != 0 && e != 0xff) [[likely]]
      return To((uint64_t(op >> 31) << 63) | (uint64_t(e - 127 + 1023) << 52) |
                (uint64_t(op & kFracMask<From>) << 29));
  }
  if constexpr (sizeof(From) == 8 && sizeof(To) == 4) {
    if (host::has_avx512f() && host::input_ok(op, fpcr) && rounding == rounding_of(fpcr))
        [[likely]] {
      const double x = std::bit_cast<double>(op);
      To r;
      if (host::run_er<To>([&](auto m) { return host::er_cvt<decltype(m)::value>(x); }, fpcr, r,
                           fpsr))
        return r;
    }
  }
  const bool ahp = (fpcr & fpcr::kAHP) != 0;
  const bool alt_out = sizeof(To) == 2 && ahp;
  const auto u = unpack(op, fpcr, fpsr, ahp);
  switch (u.type) {
    case Type::SNaN:
    case Type::QNaN: {
      if (u.type == Type::SNaN || alt_out) fpsr |= fpsr::kIOC;
      if (alt_out) return zero<To>(u.sign);
      if (fpcr & fpcr::kDN) return default_nan<To>();
      // FPConvertNaN: sign and the top fraction bits, made quiet.
      constexpr int fs = Fmt<From>::F, ft = Fmt<To>::F;
      const uint64_t frac = uint64_t(op & kFracMask<From>);
      const uint64_t f = fs >= ft ? frac >> (fs - ft) : frac << (ft - fs);
      return To(infinity<To>(u.sign) | kQuietBit<To> | To(f & kFracMask<To>));
    }
    case Type::Infinity:
      if (alt_out) {
        fpsr |= fpsr::kIOC;
        return To(zero<To>(u.sign) | To(~sign_bit<To>()));
      }
      return infinity<To>(u.sign);
    case Type::Zero: return zero<To>(u.sign);
    case Type::Nonzero: break;
  }
  return round<To>(u.value, fpcr, rounding, fpsr, ahp);
}

#define XVM_INSTANTIATE(T)                                                                  \
  template T round_int(T, Rounding, bool, uint32_t, uint32_t&);                             \
  template uint64_t to_fixed(T, unsigned, bool, unsigned, Rounding, uint32_t, uint32_t&);   \
  template T fixed_to_fp<T>(uint64_t, unsigned, bool, Rounding, uint32_t, uint32_t&);
XVM_INSTANTIATE(uint16_t)
XVM_INSTANTIATE(uint32_t)
XVM_INSTANTIATE(uint64_t)
#undef XVM_INSTANTIATE

#define XVM_CONVERT(To, From) template To convert<To, From>(From, Rounding, uint32_t, uint32_t&);
XVM_CONVERT(uint16_t, uint32_t)
XVM_CONVERT(uint16_t, uint64_t)
XVM_CONVERT(uint32_t, uint16_t)
XVM_CONVERT(uint32_t, uint64_t)
XVM_CONVERT(uint64_t, uint16_t)
XVM_CONVERT(uint64_t, uint32_t)
// Same-format "conversions" (quieten NaNs, flush per FZ) keep generic callers linkable.
XVM_CONVERT(uint16_t, uint16_t)
XVM_CONVERT(uint32_t, uint32_t)
XVM_CONVERT(uint64_t, uint64_t)
#undef XVM_CONVERT

}  // namespace xvm::arm64::fpu
