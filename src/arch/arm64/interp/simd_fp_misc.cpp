// Advanced SIMD (scalar) two-register miscellaneous, FP arithmetic opcodes (Arm ARM C4.1.95;
// C7.2 FABS/FNEG/FSQRT (vector), FRINT[NMPZAXI] (vector), FRECPE, FRSQRTE, FRECPX, URECPE,
// URSQRTE, FCM{EQ,GE,GT,LE,LT} (zero)). The conversions of the same classes are in
// simd_fp_convert.cpp.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_fp.h"

namespace xvm::arm64::interp {
namespace {

using namespace simdfp;
using fpu::Rounding;

template <const Pattern& P, class Op>
void misc_vec(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), sz = fld<P, 'z'>(insn);
  need_vec(cpu, insn, sz, q);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  with_size(sz, [&](auto t) { map1<decltype(t)>(cpu, fld<P, 'd'>(insn), n, lanes(sz, q), op); });
}

template <const Pattern& P, class Op>
void misc_asisd(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned sz = fld<P, 'z'>(insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  with_size(sz, [&](auto t) { map1<decltype(t)>(cpu, fld<P, 'd'>(insn), n, 1, op); });
}

// FABS/FNEG are bit operations (FPAbs/FPNeg): no flags, NaNs keep their payload.
constexpr auto kAbs = [](auto a, Cpu&) { return fpu::abs(a); };
constexpr auto kNeg = [](auto a, Cpu&) { return fpu::neg(a); };
constexpr auto kSqrt = [](auto a, Cpu& c) { return fpu::sqrt(a, c.fpcr, c.fpsr); };

// FRINT<r>: FPRoundInt with a fixed rounding; FRINTI/FRINTX take FPCR's, and only FRINTX
// signals Inexact ("exact").
template <Rounding R>
constexpr auto kRound = [](auto a, Cpu& c) { return fpu::round_int(a, R, false, c.fpcr, c.fpsr); };
constexpr auto kRoundI = [](auto a, Cpu& c) {
  return fpu::round_int(a, fpu::rounding_of(c.fpcr), false, c.fpcr, c.fpsr);
};
constexpr auto kRoundX = [](auto a, Cpu& c) {
  return fpu::round_int(a, fpu::rounding_of(c.fpcr), true, c.fpcr, c.fpsr);
};

constexpr auto kRecpE = [](auto a, Cpu& c) { return fpu::recip_estimate(a, c.fpcr, c.fpsr); };
constexpr auto kRsqrtE = [](auto a, Cpu& c) { return fpu::rsqrt_estimate(a, c.fpcr, c.fpsr); };
constexpr auto kRecpX = [](auto a, Cpu& c) { return fpu::recpx(a, c.fpcr, c.fpsr); };

// Comparisons against +0.0: LE and LT swap the operands of FPCompareGE/GT (Arm ARM
// "CompareOp_LE: FPCompareGE(zero, element)"), which matters only for which operand is tested.
constexpr auto kEqZ = [](auto a, Cpu& c) {
  return fpu::compare_eq(a, decltype(a){0}, c.fpcr, c.fpsr);
};
constexpr auto kGeZ = [](auto a, Cpu& c) {
  return fpu::compare_ge(a, decltype(a){0}, c.fpcr, c.fpsr);
};
constexpr auto kGtZ = [](auto a, Cpu& c) {
  return fpu::compare_gt(a, decltype(a){0}, c.fpcr, c.fpsr);
};
constexpr auto kLeZ = [](auto a, Cpu& c) {
  return fpu::compare_ge(decltype(a){0}, a, c.fpcr, c.fpsr);
};
constexpr auto kLtZ = [](auto a, Cpu& c) {
  return fpu::compare_gt(decltype(a){0}, a, c.fpcr, c.fpsr);
};

// URECPE/URSQRTE: 32-bit integer lanes only (sz = 1 is reserved), no FP flags.
template <const Pattern& P, uint32_t (*F)(uint32_t)>
void unsigned_estimate(Cpu& cpu, uint32_t insn) {
  const unsigned q = fld<P, 'Q'>(insn);
  if (fld<P, 'z'>(insn)) undefined(cpu, insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  map1<uint32_t>(cpu, fld<P, 'd'>(insn), n, lanes(0, q), [](uint32_t a, Cpu&) { return F(a); });
}

}  // namespace

void FABS_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FABS_vec>(cpu, insn, kAbs);
}
void FNEG_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FNEG_vec>(cpu, insn, kNeg);
}
void FSQRT_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FSQRT_vec>(cpu, insn, kSqrt);
}

void FRINTN_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRINTN_vec>(cpu, insn, kRound<Rounding::TieEven>);
}
void FRINTM_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRINTM_vec>(cpu, insn, kRound<Rounding::NegInf>);
}
void FRINTP_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRINTP_vec>(cpu, insn, kRound<Rounding::PosInf>);
}
void FRINTZ_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRINTZ_vec>(cpu, insn, kRound<Rounding::Zero>);
}
void FRINTA_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRINTA_vec>(cpu, insn, kRound<Rounding::TieAway>);
}
void FRINTI_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRINTI_vec>(cpu, insn, kRoundI);
}
void FRINTX_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRINTX_vec>(cpu, insn, kRoundX);
}

void FRECPE_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRECPE_vec>(cpu, insn, kRecpE);
}
void FRSQRTE_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FRSQRTE_vec>(cpu, insn, kRsqrtE);
}
void FRECPE_asisd(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FRECPE_asisd>(cpu, insn, kRecpE);
}
void FRSQRTE_asisd(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FRSQRTE_asisd>(cpu, insn, kRsqrtE);
}
void FRECPX(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FRECPX>(cpu, insn, kRecpX);
}

void URECPE(Cpu& cpu, uint32_t insn) {
  unsigned_estimate<pat::URECPE, fpu::unsigned_recip_estimate>(cpu, insn);
}
void URSQRTE(Cpu& cpu, uint32_t insn) {
  unsigned_estimate<pat::URSQRTE, fpu::unsigned_rsqrt_estimate>(cpu, insn);
}

void FCMEQ_zero_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FCMEQ_zero_vec>(cpu, insn, kEqZ);
}
void FCMGE_zero_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FCMGE_zero_vec>(cpu, insn, kGeZ);
}
void FCMGT_zero_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FCMGT_zero_vec>(cpu, insn, kGtZ);
}
void FCMLE_zero_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FCMLE_zero_vec>(cpu, insn, kLeZ);
}
void FCMLT_zero_vec(Cpu& cpu, uint32_t insn) {
  misc_vec<pat::FCMLT_zero_vec>(cpu, insn, kLtZ);
}
void FCMEQ_zero_asisd(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FCMEQ_zero_asisd>(cpu, insn, kEqZ);
}
void FCMGE_zero_asisd(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FCMGE_zero_asisd>(cpu, insn, kGeZ);
}
void FCMGT_zero_asisd(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FCMGT_zero_asisd>(cpu, insn, kGtZ);
}
void FCMLE_zero_asisd(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FCMLE_zero_asisd>(cpu, insn, kLeZ);
}
void FCMLT_zero_asisd(Cpu& cpu, uint32_t insn) {
  misc_asisd<pat::FCMLT_zero_asisd>(cpu, insn, kLtZ);
}

}  // namespace xvm::arm64::interp
