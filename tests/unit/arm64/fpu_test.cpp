// The FP library (src/arch/arm64/fpu) against independent answers:
//  - random operands: the software model (fpu/soft.h) and the public fast path against the
//    host's own IEEE 754 arithmetic, run through <cfenv> in the same rounding mode, wherever
//    IEEE 754 fixes Arm's answer (no NaNs, no flush-to-zero, not at the underflow boundary
//    where Arm detects tininess before rounding and x86 after);
//  - hand-derived cases from the Arm ARM pseudocode (J1 shared/functions/float) for everything
//    Arm decides itself: NaN propagation order, default NaN, FZ, tininess, AHP, estimates.
#include <gtest/gtest.h>

#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <random>

#include "arch/arm64/cpu.h"
#include "arch/arm64/fpu/fpu.h"
#include "arch/arm64/fpu/host.h"
#include "arch/arm64/fpu/soft.h"

namespace xvm::arm64::fpu {
namespace {

constexpr uint32_t kRN = 0, kRP = 1u << 22, kRM = 2u << 22, kRZ = 3u << 22;
constexpr uint32_t kFZ = fpcr::kFZ, kDN = fpcr::kDN, kAHP = fpcr::kAHP;
constexpr int kHostModes[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

uint32_t f2u(float f) { return std::bit_cast<uint32_t>(f); }
uint64_t d2u(double d) { return std::bit_cast<uint64_t>(d); }

// Host flags -> FPSR bits (underflow left out: x86 detects tininess after rounding).
uint32_t host_fpsr() {
  uint32_t r = 0;
  if (std::fetestexcept(FE_INVALID)) r |= fpsr::kIOC;
  if (std::fetestexcept(FE_DIVBYZERO)) r |= fpsr::kDZC;
  if (std::fetestexcept(FE_OVERFLOW)) r |= fpsr::kOFC;
  if (std::fetestexcept(FE_INEXACT)) r |= fpsr::kIXC;
  return r;
}

enum class Op { Add, Sub, Mul, Div, Fma, Sqrt };

// The host's IEEE answer for op in rounding mode `mode` (volatile keeps the compiler from
// folding or moving the arithmetic across fesetround).
template <class H> H host(Op op, H a, H b, H c, int mode, uint32_t& flags) {
  volatile H va = a, vb = b, vc = c;
  std::feclearexcept(FE_ALL_EXCEPT);
  std::fesetround(mode);
  H r;
  switch (op) {
    case Op::Add: r = va + vb; break;
    case Op::Sub: r = va - vb; break;
    case Op::Mul: r = va * vb; break;
    case Op::Div: r = va / vb; break;
    case Op::Fma: r = std::fma(vb, vc, va); break;
    default: r = std::sqrt(va); break;
  }
  volatile H vr = r;
  flags = host_fpsr();
  std::fesetround(FE_TONEAREST);
  return vr;
}

template <class T> T soft(Op op, T a, T b, T c, uint32_t fpcr, uint32_t& fpsr) {
  switch (op) {
    case Op::Add: return detail::soft_add(a, b, false, fpcr, fpsr);
    case Op::Sub: return detail::soft_add(a, b, true, fpcr, fpsr);
    case Op::Mul: return detail::soft_mul(a, b, false, fpcr, fpsr);
    case Op::Div: return detail::soft_div(a, b, fpcr, fpsr);
    case Op::Fma: return detail::soft_mul_add(a, b, c, fpcr, fpsr);
    default: return sqrt(a, fpcr, fpsr);
  }
}

template <class T> T fast(Op op, T a, T b, T c, uint32_t fpcr, uint32_t& fpsr) {
  switch (op) {
    case Op::Add: return add(a, b, fpcr, fpsr);
    case Op::Sub: return sub(a, b, fpcr, fpsr);
    case Op::Mul: return mul(a, b, fpcr, fpsr);
    case Op::Div: return div(a, b, fpcr, fpsr);
    case Op::Fma: return mul_add(a, b, c, fpcr, fpsr);
    default: return sqrt(a, fpcr, fpsr);
  }
}

// Random non-NaN operands with many exponents near each other (cancellation), denormals,
// zeros and infinities.
template <class T> T random_operand(std::mt19937_64& rng) {
  using namespace detail;
  const T bits = T(rng());
  switch (rng() % 8) {
    case 0: return T((bits & (kMinNormal<T> - 1)) | (bits & sign_bit<T>()));  // denormal/zero
    case 1: return T((bits & sign_bit<T>()) | (rng() % 2 ? kInf<T> : 0));
    case 2: {  // exponent near the bias (results near 1)
      const T e = T(kBias<T> - 4 + rng() % 8);
      return T((bits & (sign_bit<T>() | kFracMask<T>)) | (e << Fmt<T>::F));
    }
    case 3: {  // exponent near the bottom (results near underflow)
      const T e = T(1 + rng() % 30);
      return T((bits & (sign_bit<T>() | kFracMask<T>)) | (e << Fmt<T>::F));
    }
    case 4: {  // the top of the range, fractions near all-ones (overflow, largest normal)
      const T e = T(((1 << Fmt<T>::E) - 2) - rng() % 3);
      const T f = rng() % 2 ? T(kFracMask<T> - rng() % 4) : T(bits & kFracMask<T>);
      return T((bits & sign_bit<T>()) | (e << Fmt<T>::F) | f);
    }
    default: return is_nan(bits) ? T(bits & ~kInf<T>) : bits;
  }
}

template <class T, class H> void check_against_host(Op op, int iterations) {
  using namespace detail;
  std::mt19937_64 rng(1234 + int(op));
  for (int i = 0; i < iterations; ++i) {
    const T a = random_operand<T>(rng), b = random_operand<T>(rng), c = random_operand<T>(rng);
    const unsigned mode = rng() % 4;
    const uint32_t fpcr = mode << 22;
    uint32_t hflags;
    const T expect = std::bit_cast<T>(host<H>(op, std::bit_cast<H>(a), std::bit_cast<H>(b),
                                              std::bit_cast<H>(c), kHostModes[mode], hflags));
    uint32_t sflags = 0, fflags = 0;
    T got_soft, got_fast;
    // For Fma, Arm's FPMulAdd(addend=a, b, c) is the host's fma(b, c, a).
    got_soft = soft(op, a, b, c, fpcr, sflags);
    got_fast = fast(op, a, b, c, fpcr, fflags);
    if (is_nan(expect)) {  // invalid: Arm gives its default NaN
      EXPECT_EQ(got_soft, default_nan<T>()) << i;
      EXPECT_EQ(got_fast, default_nan<T>()) << i;
      EXPECT_TRUE(sflags & fpsr::kIOC);
      continue;
    }
    ASSERT_EQ(got_soft, expect) << "op " << int(op) << " #" << i << std::hex << " a=" << a
                                << " b=" << b << " c=" << c << " mode " << mode;
    ASSERT_EQ(got_fast, expect) << "op " << int(op) << " #" << i;
    // Flags agree except Arm's before-rounding underflow, which only the boundary shows.
    const uint32_t mask = ~fpsr::kUFC;
    EXPECT_EQ(sflags & mask, hflags & mask) << "op " << int(op) << " #" << i;
    EXPECT_EQ(fflags, sflags) << "op " << int(op) << " #" << i << std::hex << " a=" << a
                              << " b=" << b << " c=" << c << " mode " << mode;
  }
}

TEST(FpuHost, SingleArithmeticMatchesIeee) {
  for (Op op : {Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Fma, Op::Sqrt})
    check_against_host<uint32_t, float>(op, 200000);
}

TEST(FpuHost, DoubleArithmeticMatchesIeee) {
  for (Op op : {Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Fma, Op::Sqrt})
    check_against_host<uint64_t, double>(op, 200000);
}

TEST(FpuNaN, SignallingBeforeQuietFirstOperandFirst) {
  uint32_t f = 0;
  const uint32_t q1 = 0x7fc00001, q2 = 0xffc00002, s2 = 0x7f800003;
  EXPECT_EQ(add(q1, q2, kRN, f), q1);
  EXPECT_EQ(f, 0u);
  EXPECT_EQ(add(q1, s2, kRN, f), 0x7fc00003u);  // the SNaN wins, quietened
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_EQ(mul(q2, q1, kDN, f), 0x7fc00000u);  // default NaN is positive
  EXPECT_EQ(f, 0u);
  // FPSub propagates op2 without negating it.
  EXPECT_EQ(sub(0x3f800000u, q2, kRN, f), q2);
  // FPMulAdd: addend first; a quiet-NaN addend with 0 * inf is still invalid.
  f = 0;
  EXPECT_EQ(mul_add(q1, 0x7f800000u, 0u, kRN, f), 0x7fc00000u);
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_EQ(mul_add(q1, s2, 0x3f800000u, kRN, f), 0x7fc00003u);
  EXPECT_EQ(f, fpsr::kIOC);
}

TEST(FpuNaN, InvalidGivesPositiveDefaultNaN) {
  uint32_t f = 0;
  EXPECT_EQ(add(0x7f800000u, 0xff800000u, kRN, f), 0x7fc00000u);  // x86 gives 0xffc00000
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_EQ(sqrt(uint64_t{0xbff0000000000000}, kRN, f), 0x7ff8000000000000u);
  EXPECT_EQ(f, fpsr::kIOC);
}

TEST(FpuFlush, DenormalInputsFlushWithIdc) {
  uint32_t f = 0;
  // 2^-149 + 2^-149 = 2^-148 exactly without FZ; with FZ both inputs are zeros.
  EXPECT_EQ(add(1u, 1u, kRN, f), 2u);
  EXPECT_EQ(f, 0u);
  EXPECT_EQ(add(1u, 1u, kFZ, f), 0u);
  EXPECT_EQ(f, fpsr::kIDC);
  f = 0;
  EXPECT_EQ(add(0x80000001u, 0x00000001u, kFZ | kRM, f), 0x80000000u);  // -0 + +0 in RM
}

TEST(FpuFlush, TinyResultsFlushWithUfcAndNoIxc) {
  uint32_t f = 0;
  // 2^-100 * 2^-30 = 2^-130: exact denormal without FZ, +0 with UFC (no IXC) with FZ.
  EXPECT_EQ(mul(0x0d800000u, 0x30800000u, kRN, f), 0x00080000u);
  EXPECT_EQ(f, 0u);
  EXPECT_EQ(mul(0x0d800000u, 0x30800000u, kFZ, f), 0u);
  EXPECT_EQ(f, fpsr::kUFC);
}

TEST(FpuUnderflow, TininessIsDetectedBeforeRounding) {
  // (1 - 2^-24) * 2^-126 lies below the smallest normal and rounds (to nearest) up to it:
  // Arm raises UFC (tiny before rounding, inexact); x86 would not.
  uint32_t f = 0;
  EXPECT_EQ(mul(0x3f7fffffu, 0x00800000u, kRN, f), 0x00800000u);
  EXPECT_EQ(f, fpsr::kUFC | fpsr::kIXC);
  f = 0;
  EXPECT_EQ(mul(0x3f7fffffu, 0x00800000u, kFZ, f), 0u);  // flushed: it was tiny
  EXPECT_EQ(f, fpsr::kUFC);
  f = 0;
  EXPECT_EQ(mul(0x3f7fffffu, 0x00800000u, kRZ, f), 0x007fffffu);
  EXPECT_EQ(f, fpsr::kUFC | fpsr::kIXC);
}

TEST(FpuOverflow, InfinityOrMaxNormalByRounding) {
  uint32_t f = 0;
  const uint32_t big = 0x7f000000;  // 2^127
  EXPECT_EQ(mul(big, 0x40000000u, kRN, f), 0x7f800000u);
  EXPECT_EQ(f, fpsr::kOFC | fpsr::kIXC);
  EXPECT_EQ(mul(big, 0x40000000u, kRZ, f), 0x7f7fffffu);
  EXPECT_EQ(mul(big, 0xc0000000u, kRP, f), 0xff7fffffu);
  EXPECT_EQ(mul(big, 0xc0000000u, kRM, f), 0xff800000u);
}

TEST(FpuMinMax, ZerosAndNaNs) {
  uint32_t f = 0;
  EXPECT_EQ(max(0x80000000u, 0u, kRN, f), 0u);
  EXPECT_EQ(min(0x80000000u, 0u, kRN, f), 0x80000000u);
  EXPECT_EQ(max(0x7fc00000u, 0x3f800000u, kRN, f), 0x7fc00000u);
  EXPECT_EQ(max_num(0x7fc00000u, 0x3f800000u, kRN, f), 0x3f800000u);
  EXPECT_EQ(min_num(0xbf800000u, 0x7fc00000u, kRN, f), 0xbf800000u);
  EXPECT_EQ(f, 0u);
  EXPECT_EQ(max_num(0x7fc00000u, 0x7f800001u, kRN, f), 0x7fc00001u);  // SNaN still wins
  EXPECT_EQ(f, fpsr::kIOC);
}

TEST(FpuCompare, NzcvAndSignalling) {
  uint32_t f = 0;
  EXPECT_EQ(compare(0x3f800000u, 0x40000000u, false, kRN, f), 0x8u << 28);  // less: N
  EXPECT_EQ(compare(0x40000000u, 0x3f800000u, false, kRN, f), 0x2u << 28);  // greater: C
  EXPECT_EQ(compare(0x80000000u, 0u, false, kRN, f), 0x6u << 28);           // equal: ZC
  EXPECT_EQ(compare(0x7fc00000u, 0u, false, kRN, f), 0x3u << 28);           // unordered
  EXPECT_EQ(f, 0u);
  EXPECT_EQ(compare(0x7fc00000u, 0u, true, kRN, f), 0x3u << 28);  // FCMPE signals
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_FALSE(compare_ge(0x7fc00000u, 0u, kRN, f));
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_FALSE(compare_eq(0x7fc00000u, 0u, kRN, f));
  EXPECT_EQ(f, 0u);
}

TEST(FpuRoundInt, AllModes) {
  uint32_t f = 0;
  const uint32_t x25 = f2u(2.5f), m25 = f2u(-2.5f), m03 = f2u(-0.3f);
  EXPECT_EQ(round_int(x25, Rounding::TieEven, false, 0, f), f2u(2.0f));
  EXPECT_EQ(round_int(x25, Rounding::TieAway, false, 0, f), f2u(3.0f));
  EXPECT_EQ(round_int(m25, Rounding::TieAway, false, 0, f), f2u(-3.0f));
  EXPECT_EQ(round_int(m25, Rounding::PosInf, false, 0, f), f2u(-2.0f));
  EXPECT_EQ(round_int(m25, Rounding::NegInf, false, 0, f), f2u(-3.0f));
  EXPECT_EQ(round_int(m25, Rounding::Zero, false, 0, f), f2u(-2.0f));
  EXPECT_EQ(f, 0u);  // FRINTx other than FRINTX do not raise Inexact
  EXPECT_EQ(round_int(m03, Rounding::TieEven, true, 0, f), 0x80000000u);  // -0 keeps its sign
  EXPECT_EQ(f, fpsr::kIXC);
}

TEST(FpuToFixed, RoundingAndSaturation) {
  uint32_t f = 0;
  EXPECT_EQ(to_fixed(f2u(-2.5f), 0, false, 32, Rounding::TieEven, 0, f), 0xfffffffeu);
  EXPECT_EQ(to_fixed(f2u(-2.5f), 0, false, 32, Rounding::TieAway, 0, f), 0xfffffffdu);
  EXPECT_EQ(to_fixed(f2u(2.5f), 1, false, 32, Rounding::Zero, 0, f), 5u);  // fbits
  EXPECT_EQ(f, fpsr::kIXC);
  f = 0;
  EXPECT_EQ(to_fixed(f2u(3e9f), 0, false, 32, Rounding::Zero, 0, f), 0x7fffffffu);
  EXPECT_EQ(f, fpsr::kIOC);
  EXPECT_EQ(to_fixed(f2u(-1.0f), 0, true, 64, Rounding::Zero, 0, f), 0u);
  EXPECT_EQ(to_fixed(d2u(-9.3e18), 0, false, 64, Rounding::Zero, 0, f), 0x8000000000000000u);
  f = 0;
  EXPECT_EQ(to_fixed(f2u(-0.5f), 0, true, 32, Rounding::Zero, 0, f), 0u);  // rounds to -0
  EXPECT_EQ(f, fpsr::kIXC);
  f = 0;
  EXPECT_EQ(to_fixed(0x7fc00000u, 0, false, 32, Rounding::Zero, 0, f), 0u);
  EXPECT_EQ(f, fpsr::kIOC);
}

TEST(FpuFixedToFp, Rounding) {
  uint32_t f = 0;
  EXPECT_EQ(fixed_to_fp<uint32_t>(0x1000001, 0, false, Rounding::TieEven, 0, f), 0x4b800000u);
  EXPECT_EQ(f, fpsr::kIXC);
  EXPECT_EQ(fixed_to_fp<uint32_t>(0x1000001, 0, false, Rounding::PosInf, 0, f), 0x4b800001u);
  EXPECT_EQ(fixed_to_fp<uint64_t>(~uint64_t{0}, 0, false, Rounding::TieEven, 0, f),
            d2u(-1.0));
  EXPECT_EQ(fixed_to_fp<uint64_t>(~uint64_t{0}, 0, true, Rounding::TieEven, 0, f),
            d2u(18446744073709551616.0));
  EXPECT_EQ(fixed_to_fp<uint32_t>(3, 1, false, Rounding::TieEven, 0, f), f2u(1.5f));
}

TEST(FpuConvert, HalfAndAlternativeHalf) {
  uint32_t f = 0;
  EXPECT_EQ(convert<uint16_t>(f2u(1.0f), Rounding::TieEven, 0, f), 0x3c00);
  EXPECT_EQ(convert<uint16_t>(f2u(65520.0f), Rounding::TieEven, 0, f), 0x7c00);  // overflow
  EXPECT_EQ(f, fpsr::kOFC | fpsr::kIXC);
  f = 0;
  EXPECT_EQ(convert<uint16_t>(f2u(65520.0f), Rounding::TieEven, kAHP, f), 0x7c00);  // AHP: finite
  EXPECT_EQ(f, fpsr::kIXC);
  f = 0;
  EXPECT_EQ(convert<uint16_t>(f2u(1e6f), Rounding::TieEven, kAHP, f), 0x7fff);
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_EQ(convert<uint16_t>(0x7fc00000u, Rounding::TieEven, kAHP, f), 0);  // NaN -> 0
  EXPECT_EQ(f, fpsr::kIOC);
  EXPECT_EQ(convert<uint32_t>(uint16_t{0x7c00}, Rounding::TieEven, kAHP, f), f2u(65536.0f));
  EXPECT_EQ(convert<uint32_t>(uint16_t{0x0001}, Rounding::TieEven, kFZ, f), f2u(0x1p-24f));
  f = 0;
  EXPECT_EQ(convert<uint64_t>(0x7f800001u, Rounding::TieEven, 0, f), 0x7ff8000020000000u);
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_EQ(convert<uint32_t>(uint64_t{0x7ff0000020000001}, Rounding::TieEven, 0, f),
            0x7fc00001u);
  // FCVTXN: round to odd.
  EXPECT_EQ(convert<uint32_t>(d2u(1.0 + 0x1p-30), Rounding::Odd, 0, f), 0x3f800001u);
}

TEST(FpuEstimate, KnownValues) {
  uint32_t f = 0;
  EXPECT_EQ(recip_estimate(f2u(1.0f), kRN, f), 0x3f7f8000u);  // 0.998046875
  EXPECT_EQ(rsqrt_estimate(f2u(1.0f), kRN, f), 0x3f7f8000u);
  EXPECT_EQ(rsqrt_estimate(f2u(4.0f), kRN, f), 0x3eff8000u);
  EXPECT_EQ(f, 0u);
  EXPECT_EQ(recip_estimate(0u, kRN, f), 0x7f800000u);
  EXPECT_EQ(f, fpsr::kDZC);
  f = 0;
  EXPECT_EQ(rsqrt_estimate(f2u(-1.0f), kRN, f), 0x7fc00000u);
  EXPECT_EQ(f, fpsr::kIOC);
  f = 0;
  EXPECT_EQ(recip_step_fused(f2u(2.0f), f2u(0.5f), kRN, f), f2u(1.0f));   // 2 - 1
  EXPECT_EQ(rsqrt_step_fused(f2u(1.0f), f2u(1.0f), kRN, f), f2u(1.0f));   // (3 - 1) / 2
  EXPECT_EQ(recip_step_fused(0x7f800000u, 0u, kRN, f), f2u(2.0f));
  EXPECT_EQ(recip_step_fused(0x7fc00000u, 0u, kRN, f), 0xffc00000u);  // op1 negated first
  EXPECT_EQ(recpx(f2u(3.0f), kRN, f), 0x3f800000u);  // 2^1 -> 2^0
  EXPECT_EQ(mul_x(0xff800000u, 0u, kRN, f), f2u(-2.0f));
  EXPECT_EQ(f, 0u);
}

}  // namespace
}  // namespace xvm::arm64::fpu

namespace xvm::arm64::fpu {
namespace {

// The two host fast paths (AVX-512 embedded rounding, MXCSR) agree wherever both answer, and
// whenever one answers it matches the software model.
template <class T> void check_host_paths(int iterations) {
  using HT = host::H<T>;
  std::mt19937_64 rng(99);
  int both = 0;
  for (int i = 0; i < iterations; ++i) {
    const T a = random_operand<T>(rng), b = random_operand<T>(rng), c = random_operand<T>(rng);
    const uint32_t fpcr = uint32_t(rng() % 4) << 22 | (rng() % 2 ? kFZ : 0);
    if (!host::input_ok(a, fpcr) || !host::input_ok(b, fpcr) || !host::input_ok(c, fpcr)) continue;
    const HT x = std::bit_cast<HT>(a), y = std::bit_cast<HT>(b), z = std::bit_cast<HT>(c);
    for (int op = 0; op < 3; ++op) {
      T er = 0, mx;
      uint32_t er_f = 0, mx_f = 0, soft_f = 0, flags;
      bool er_ok = false;
      T soft;
      if (op == 0) {
        if (host::has_avx512f())
          er_ok = host::run_er<T>([&](auto m) { return host::er_add<decltype(m)::value>(x, y); },
                                  fpcr, er, er_f);
        mx = std::bit_cast<T>(host::mx_add(x, y, host::csr_of(fpcr), flags));
        soft = detail::soft_add(a, b, false, fpcr, soft_f);
      } else if (op == 1) {
        if (host::has_avx512f())
          er_ok = host::run_er<T>([&](auto m) { return host::er_mul<decltype(m)::value>(x, y); },
                                  fpcr, er, er_f);
        mx = std::bit_cast<T>(host::mx_mul(x, y, host::csr_of(fpcr), flags));
        soft = detail::soft_mul(a, b, false, fpcr, soft_f);
      } else {
        if (!host::has_fma()) continue;
        if (host::has_avx512f())
          er_ok = host::run_er<T>(
              [&](auto m) { return host::er_fma<decltype(m)::value>(z, x, y); }, fpcr, er, er_f);
        mx = std::bit_cast<T>(host::mx_fma(z, x, y, host::csr_of(fpcr), flags));
        soft = detail::soft_mul_add(c, a, b, fpcr, soft_f);
      }
      const bool mx_ok = host::accept_mx(mx, flags, fpcr, mx_f);
      if (er_ok) {
        ASSERT_EQ(er, soft) << i << " op " << op;
        ASSERT_EQ(er_f, soft_f) << i << " op " << op;
      }
      if (mx_ok) {
        ASSERT_EQ(mx, soft) << i << " op " << op;
        ASSERT_EQ(mx_f, soft_f) << i << " op " << op;
      }
      both += er_ok && mx_ok;
    }
  }
  EXPECT_GT(both, iterations / 4);  // the fast paths do answer the common case
}

TEST(FpuHost, BothFastPathsAgreeWithSoftware) {
  check_host_paths<uint32_t>(100000);
  check_host_paths<uint64_t>(100000);
}

}  // namespace
}  // namespace xvm::arm64::fpu

namespace xvm::arm64::fpu {
namespace {

// FPConvert double -> single and single -> double against the host's conversion in the same
// rounding mode; the software path is reached by giving FPCR another mode than `rounding`.
TEST(FpuConvert, SingleDoubleMatchIeee) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 300000; ++i) {
    const uint64_t d = random_operand<uint64_t>(rng);
    const uint64_t near = (d & 0x800fffffffffffffull) | (uint64_t(1023 - 130 + rng() % 260) << 52);
    const uint64_t op = rng() % 2 ? d : near;  // near covers single's range and its edges
    const unsigned mode = rng() % 4;
    uint32_t hflags;
    volatile double vd = std::bit_cast<double>(op);
    std::feclearexcept(FE_ALL_EXCEPT);
    std::fesetround(kHostModes[mode]);
    volatile float vf = float(vd);
    hflags = host_fpsr();
    std::fesetround(FE_TONEAREST);
    const uint32_t expect = std::bit_cast<uint32_t>(float(vf));
    uint32_t ff = 0, sf = 0;
    const uint32_t fast = convert<uint32_t>(op, Rounding(mode), mode << 22, ff);
    const uint32_t soft = convert<uint32_t>(op, Rounding(mode), ((mode + 1) % 4) << 22, sf);
    ASSERT_EQ(fast, expect) << i << std::hex << " op=" << op << " mode " << mode;
    ASSERT_EQ(soft, expect) << i << std::hex << " op=" << op << " mode " << mode;
    ASSERT_EQ(ff & ~fpsr::kUFC, hflags) << i << std::hex << " op=" << op;
    ASSERT_EQ(sf, ff) << i << std::hex << " op=" << op;
    uint32_t wf = 0;  // and back: widening is exact
    EXPECT_EQ(convert<uint64_t>(expect, Rounding::TieEven, 0, wf), d2u(double(float(vf))));
    EXPECT_EQ(wf, 0u);
  }
}

}  // namespace
}  // namespace xvm::arm64::fpu
