// The AArch64 floating-point library: IEEE 754 arithmetic with Arm's exact choices, on raw bit
// patterns. Used by the scalar FP handlers (interp/fp_*.cpp) and the Advanced SIMD FP handlers.
//
// Every function implements one Arm ARM (DDI 0487) shared pseudocode function, chapter J1
// "shared/functions/float":
//   add, sub, mul, div, mul_add   FPAdd, FPSub, FPMul, FPDiv, FPMulAdd (fused, one rounding)
//   sqrt                          FPSqrt
//   max, min, max_num, min_num    FPMax, FPMin, FPMaxNum, FPMinNum
//   mul_x                         FPMulX (FMULX: inf * 0 = +-2)
//   recip_estimate, rsqrt_estimate  FPRecipEstimate/RecipEstimate, FPRSqrtEstimate/
//                                 RecipSqrtEstimate (FRECPE, FRSQRTE; the v8.0 8-bit tables)
//   unsigned_recip_estimate, unsigned_rsqrt_estimate  UnsignedRecipEstimate,
//                                 UnsignedRSqrtEstimate (URECPE, URSQRTE)
//   recip_step_fused, rsqrt_step_fused  FPRecipStepFused, FPRSqrtStepFused (FRECPS, FRSQRTS)
//   recpx                         FPRecpX (FRECPX)
//   compare                       FPCompare (FCMP/FCMPE: NZCV), signalling or quiet
//   compare_eq, compare_ge, compare_gt  FPCompareEQ/GE/GT (SIMD FCMxx)
//   round_int                     FPRoundInt (FRINT*; `exact` raises Inexact, for FRINTX)
//   to_fixed                      FPToFixed (FCVT[NPMAZ][SU], integer and fixed-point forms)
//   fixed_to_fp                   FixedToFP (SCVTF, UCVTF)
//   convert                       FPConvert (FCVT between precisions, with FPCR.AHP for half;
//                                 Rounding::Odd gives FCVTXN's round-to-odd)
//   abs, neg                      FPAbs, FPNeg (bit operations: no flags, NaNs untouched)
// and underneath them FPUnpack (FPCR.FZ flushes single/double denormal inputs, raising IDC),
// FPProcessNaN(s)/FPProcessNaNs3 (signalling NaNs before quiet ones, operands in order; FPCR.DN
// gives the default NaN) and FPRound (tininess detected before rounding; FPCR.FZ flushes tiny
// single/double results to zero with UFC and without IXC; overflow gives infinity or the largest
// normal number by rounding mode; Arm's alternative half precision saturates with IOC).
//
// ARMv8.0 semantics: FPCR.FZ16 is ignored (half precision is never flushed), FPCR.AH and the
// exception trap enables do not exist (trapped exceptions are not supported; flags accumulate).
//
// Formats are the operand types: uint16_t half, uint32_t single, uint64_t double. Every function
// takes the FPCR value and ORs the cumulative FPSR flags it raises (IOC, DZC, OFC, UFC, IXC,
// IDC; the bits of cpu.h's fpsr namespace) into `fpsr`. Arithmetic is defined for single and
// double; conversions and abs/neg also for half.
#pragma once
#include <cstdint>

namespace xvm::arm64::fpu {

// Arm ARM J1 "FPRounding". The first four values are FPCR.RMode.
enum class Rounding : uint8_t { TieEven = 0, PosInf = 1, NegInf = 2, Zero = 3, TieAway = 4, Odd = 5 };

// FPRoundingMode(fpcr): the rounding the FPCR selects.
constexpr Rounding rounding_of(uint32_t fpcr) { return static_cast<Rounding>((fpcr >> 22) & 3); }

// Bit-pattern helpers (FPAbs, FPNeg, FPDefaultNaN).
template <class T> constexpr T sign_bit() { return T(T(1) << (sizeof(T) * 8 - 1)); }
template <class T> constexpr T abs(T op) { return T(op & ~sign_bit<T>()); }
template <class T> constexpr T neg(T op) { return T(op ^ sign_bit<T>()); }
template <class T> constexpr T default_nan();
template <> constexpr uint16_t default_nan<uint16_t>() { return 0x7e00; }
template <> constexpr uint32_t default_nan<uint32_t>() { return 0x7fc00000u; }
template <> constexpr uint64_t default_nan<uint64_t>() { return 0x7ff8000000000000ull; }

// T is uint32_t or uint64_t below.
template <class T> T add(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T sub(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T mul(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T div(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
// addend + op1 * op2 with one rounding. FMSUB/FNMADD/FNMSUB negate operands first with neg()
// (Arm ARM C7.2: a NaN operand comes out with its sign flipped).
template <class T> T mul_add(T addend, T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T sqrt(T op, uint32_t fpcr, uint32_t& fpsr);
template <class T> T max(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T min(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T max_num(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T min_num(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T mul_x(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T recip_estimate(T op, uint32_t fpcr, uint32_t& fpsr);
template <class T> T rsqrt_estimate(T op, uint32_t fpcr, uint32_t& fpsr);
template <class T> T recip_step_fused(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T rsqrt_step_fused(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> T recpx(T op, uint32_t fpcr, uint32_t& fpsr);

// URECPE / URSQRTE on one 32-bit element (no flags).
uint32_t unsigned_recip_estimate(uint32_t op);
uint32_t unsigned_rsqrt_estimate(uint32_t op);

// FPCompare: NZCV in bits 31..28 (as cpu.nzcv holds it). `signal_nans` is FCMPE: a quiet NaN
// raises Invalid Operation too.
template <class T> uint32_t compare(T op1, T op2, bool signal_nans, uint32_t fpcr, uint32_t& fpsr);
template <class T> bool compare_eq(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> bool compare_ge(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);
template <class T> bool compare_gt(T op1, T op2, uint32_t fpcr, uint32_t& fpsr);

// FPRoundInt with an explicit rounding (use rounding_of(fpcr) for FRINTI/FRINTX).
template <class T> T round_int(T op, Rounding rounding, bool exact, uint32_t fpcr, uint32_t& fpsr);

// FPToFixed: op * 2^fbits rounded to an integer of `width` bits (8..64), saturating with IOC.
// The result is returned zero-extended from `width` bits.
template <class T>
uint64_t to_fixed(T op, unsigned fbits, bool is_unsigned, unsigned width, Rounding rounding,
                  uint32_t fpcr, uint32_t& fpsr);

// FixedToFP: `op` (a 64-bit value; callers sign- or zero-extend narrower integers) / 2^fbits,
// rounded to format T. Call as fixed_to_fp<uint32_t>(...).
template <class T>
T fixed_to_fp(uint64_t op, unsigned fbits, bool is_unsigned, Rounding rounding, uint32_t fpcr,
              uint32_t& fpsr);

// FPConvert between any two of half, single, double. Call as convert<uint16_t>(single, ...).
template <class To, class From>
To convert(From op, Rounding rounding, uint32_t fpcr, uint32_t& fpsr);

}  // namespace xvm::arm64::fpu
