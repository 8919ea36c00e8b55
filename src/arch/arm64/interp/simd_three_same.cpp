// Advanced SIMD three same, integer and bitwise (Arm ARM C4.1.96.16) and its scalar form
// (C4.1.96.9): lane-wise arithmetic, compares, shifts by register, min/max, absolute
// difference, multiply, pairwise, the logical operations.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

using namespace simd;  // the private helpers of simd_common.h

// Vector form: Vd.T = op(Vn.T, Vm.T, Vd.T) lane by lane.
template <const Pattern& P, class Op>
void vec3(Cpu& cpu, uint32_t insn, unsigned sizes, bool uns, Res res, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn);
  need_vec_size(cpu, insn, sizes, size, q);
  map_lanes(cpu, fld<P, 'd'>(insn), cpu.v[fld<P, 'n'>(insn)], cpu.v[fld<P, 'm'>(insn)], size,
            lanes(size, q), uns, res, op);
}

// Scalar form: one element of size `size`, the rest of Vd zeroed.
template <const Pattern& P, class Op>
void scalar3(Cpu& cpu, uint32_t insn, unsigned sizes, bool uns, Res res, Op op) {
  const unsigned size = fld<P, 's'>(insn);
  need_size(cpu, insn, sizes, size);
  map_lanes(cpu, fld<P, 'd'>(insn), cpu.v[fld<P, 'n'>(insn)], cpu.v[fld<P, 'm'>(insn)], size, 1,
            uns, res, op);
}

// Pairwise forms (ADDP, SMAXP, ...): the operands are the concatenation Vm:Vn (Vn in the low
// lanes) and result lane i combines its lanes 2i and 2i+1.
template <const Pattern& P, class Op>
void pairwise(Cpu& cpu, uint32_t insn, unsigned sizes, bool uns, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn);
  need_vec_size(cpu, insn, sizes, size, q);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  const VReg& b = cpu.v[fld<P, 'm'>(insn)];
  const unsigned count = lanes(size, q);
  VReg r{};
  with_size(size, [&](auto s) {
    constexpr unsigned S = decltype(s)::value;
    for (unsigned i = 0; i < count; ++i) {
      const VReg& src = 2 * i < count ? a : b;
      const unsigned j = (2 * i) % count;
      put<S>(r, i, static_cast<uint64_t>(op(get<S>(src, j, uns), get<S>(src, j + 1, uns))));
    }
  });
  cpu.v[fld<P, 'd'>(insn)] = r;
}

// Logical forms work on the 64-bit halves: op(n, m, old d).
template <const Pattern& P, class Op>
void logical(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), d = fld<P, 'd'>(insn);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  const VReg& b = cpu.v[fld<P, 'm'>(insn)];
  VReg r{};
  for (unsigned h = 0; h < (q ? 2u : 1u); ++h) r.d[h] = op(a.d[h], b.d[h], cpu.v[d].d[h]);
  cpu.v[d] = r;
}

// The element operations, shared by the signed/unsigned and vector/scalar forms. Each takes
// (element1, element2, old Vd element, esize) as unbounded integers; unused ones are ignored.
constexpr auto kAdd = [](Wide a, Wide b, auto...) { return a + b; };
constexpr auto kSub = [](Wide a, Wide b, auto...) { return a - b; };
constexpr auto kHalvingAdd = [](Wide a, Wide b, auto...) { return (a + b) >> 1; };
constexpr auto kRoundingHalvingAdd = [](Wide a, Wide b, auto...) { return (a + b + 1) >> 1; };
constexpr auto kHalvingSub = [](Wide a, Wide b, auto...) { return (a - b) >> 1; };
constexpr auto kGt = [](Wide a, Wide b, auto...) { return a > b ? Wide(-1) : Wide(0); };
constexpr auto kGe = [](Wide a, Wide b, auto...) { return a >= b ? Wide(-1) : Wide(0); };
constexpr auto kEq = [](Wide a, Wide b, auto...) { return a == b ? Wide(-1) : Wide(0); };
constexpr auto kTst = [](Wide a, Wide b, auto...) { return (a & b) != 0 ? Wide(-1) : Wide(0); };
constexpr auto kMax = [](Wide a, Wide b, auto...) { return a > b ? a : b; };
constexpr auto kMin = [](Wide a, Wide b, auto...) { return a < b ? a : b; };
constexpr auto kAbsDiff = [](Wide a, Wide b, auto...) { return a > b ? a - b : b - a; };
constexpr auto kAbsDiffAcc = [](Wide a, Wide b, Wide d, auto...) {
  return d + (a > b ? a - b : b - a);
};
constexpr auto kMul = [](Wide a, Wide b, auto...) { return a * b; };
constexpr auto kMulAdd = [](Wide a, Wide b, Wide d, auto...) { return d + a * b; };
constexpr auto kMulSub = [](Wide a, Wide b, Wide d, auto...) { return d - a * b; };

// SSHL and relatives: the shift count is the signed low byte of the element of Vm.
constexpr int shift_count(Wide b) {
  return static_cast<int8_t>(static_cast<uint8_t>(b));
}
constexpr auto kShl = [](Wide a, Wide b, Wide, unsigned esize) {
  return shift_by(a, shift_count(b), false, esize);
};
constexpr auto kRoundingShl = [](Wide a, Wide b, Wide, unsigned esize) {
  return shift_by(a, shift_count(b), true, esize);
};

// SQDMULH / SQRDMULH: the high half of the doubled product, optionally rounded.
constexpr auto kDoublingMulHigh = [](Wide a, Wide b, Wide, unsigned esize) {
  return (2 * a * b) >> esize;
};
constexpr auto kRoundingDoublingMulHigh = [](Wide a, Wide b, Wide, unsigned esize) {
  return (2 * a * b + (Wide(1) << (esize - 1))) >> esize;
};

}  // namespace

// --- vector, arithmetic --------------------------------------------------------------------
void SHADD(Cpu& c, uint32_t i) {
  vec3<pat::SHADD>(c, i, kBHS, false, kWrap, kHalvingAdd);
}
void UHADD(Cpu& c, uint32_t i) {
  vec3<pat::UHADD>(c, i, kBHS, true, kWrap, kHalvingAdd);
}
void SRHADD(Cpu& c, uint32_t i) {
  vec3<pat::SRHADD>(c, i, kBHS, false, kWrap, kRoundingHalvingAdd);
}
void URHADD(Cpu& c, uint32_t i) {
  vec3<pat::URHADD>(c, i, kBHS, true, kWrap, kRoundingHalvingAdd);
}
void SHSUB(Cpu& c, uint32_t i) {
  vec3<pat::SHSUB>(c, i, kBHS, false, kWrap, kHalvingSub);
}
void UHSUB(Cpu& c, uint32_t i) {
  vec3<pat::UHSUB>(c, i, kBHS, true, kWrap, kHalvingSub);
}
void SQADD_vec(Cpu& c, uint32_t i) {
  vec3<pat::SQADD_vec>(c, i, kBHSD, false, kSatS, kAdd);
}
void UQADD_vec(Cpu& c, uint32_t i) {
  vec3<pat::UQADD_vec>(c, i, kBHSD, true, kSatU, kAdd);
}
void SQSUB_vec(Cpu& c, uint32_t i) {
  vec3<pat::SQSUB_vec>(c, i, kBHSD, false, kSatS, kSub);
}
void UQSUB_vec(Cpu& c, uint32_t i) {
  vec3<pat::UQSUB_vec>(c, i, kBHSD, true, kSatU, kSub);
}
void ADD_vec(Cpu& c, uint32_t i) {
  vec3<pat::ADD_vec>(c, i, kBHSD, true, kWrap, kAdd);
}
void SUB_vec(Cpu& c, uint32_t i) {
  vec3<pat::SUB_vec>(c, i, kBHSD, true, kWrap, kSub);
}
void SMAX(Cpu& c, uint32_t i) {
  vec3<pat::SMAX>(c, i, kBHS, false, kWrap, kMax);
}
void UMAX(Cpu& c, uint32_t i) {
  vec3<pat::UMAX>(c, i, kBHS, true, kWrap, kMax);
}
void SMIN(Cpu& c, uint32_t i) {
  vec3<pat::SMIN>(c, i, kBHS, false, kWrap, kMin);
}
void UMIN(Cpu& c, uint32_t i) {
  vec3<pat::UMIN>(c, i, kBHS, true, kWrap, kMin);
}
void SABD(Cpu& c, uint32_t i) {
  vec3<pat::SABD>(c, i, kBHS, false, kWrap, kAbsDiff);
}
void UABD(Cpu& c, uint32_t i) {
  vec3<pat::UABD>(c, i, kBHS, true, kWrap, kAbsDiff);
}
void SABA(Cpu& c, uint32_t i) {
  vec3<pat::SABA>(c, i, kBHS, false, kWrap, kAbsDiffAcc);
}
void UABA(Cpu& c, uint32_t i) {
  vec3<pat::UABA>(c, i, kBHS, true, kWrap, kAbsDiffAcc);
}
void MLA_vec(Cpu& c, uint32_t i) {
  vec3<pat::MLA_vec>(c, i, kBHS, true, kWrap, kMulAdd);
}
void MLS_vec(Cpu& c, uint32_t i) {
  vec3<pat::MLS_vec>(c, i, kBHS, true, kWrap, kMulSub);
}
void MUL_vec(Cpu& c, uint32_t i) {
  vec3<pat::MUL_vec>(c, i, kBHS, true, kWrap, kMul);
}
void SQDMULH_vec(Cpu& c, uint32_t i) {
  vec3<pat::SQDMULH_vec>(c, i, kHS, false, kSatS, kDoublingMulHigh);
}
void SQRDMULH_vec(Cpu& c, uint32_t i) {
  vec3<pat::SQRDMULH_vec>(c, i, kHS, false, kSatS, kRoundingDoublingMulHigh);
}

// PMUL: polynomial (carry-less) multiply of bytes over GF(2), low 8 bits kept (Arm ARM
// PolynomialMult).
void PMUL(Cpu& c, uint32_t i) {
  vec3<pat::PMUL>(c, i, kB, true, kWrap, [](Wide a, Wide b, auto...) {
    Wide r = 0;
    for (int k = 0; k < 8; ++k)
      if ((b >> k) & 1) r ^= a << k;
    return r;
  });
}

// --- vector, compares: all ones when true, zero when false --------------------------------
void CMGT_reg(Cpu& c, uint32_t i) {
  vec3<pat::CMGT_reg>(c, i, kBHSD, false, kWrap, kGt);
}
void CMHI_reg(Cpu& c, uint32_t i) {
  vec3<pat::CMHI_reg>(c, i, kBHSD, true, kWrap, kGt);
}
void CMGE_reg(Cpu& c, uint32_t i) {
  vec3<pat::CMGE_reg>(c, i, kBHSD, false, kWrap, kGe);
}
void CMHS_reg(Cpu& c, uint32_t i) {
  vec3<pat::CMHS_reg>(c, i, kBHSD, true, kWrap, kGe);
}
void CMEQ_reg(Cpu& c, uint32_t i) {
  vec3<pat::CMEQ_reg>(c, i, kBHSD, true, kWrap, kEq);
}
void CMTST_vec(Cpu& c, uint32_t i) {
  vec3<pat::CMTST_vec>(c, i, kBHSD, true, kWrap, kTst);
}

// --- vector, shifts by register ------------------------------------------------------------
void SSHL_vec(Cpu& c, uint32_t i) {
  vec3<pat::SSHL_vec>(c, i, kBHSD, false, kWrap, kShl);
}
void USHL_vec(Cpu& c, uint32_t i) {
  vec3<pat::USHL_vec>(c, i, kBHSD, true, kWrap, kShl);
}
void SRSHL_vec(Cpu& c, uint32_t i) {
  vec3<pat::SRSHL_vec>(c, i, kBHSD, false, kWrap, kRoundingShl);
}
void URSHL_vec(Cpu& c, uint32_t i) {
  vec3<pat::URSHL_vec>(c, i, kBHSD, true, kWrap, kRoundingShl);
}
void SQSHL_reg(Cpu& c, uint32_t i) {
  vec3<pat::SQSHL_reg>(c, i, kBHSD, false, kSatS, kShl);
}
void UQSHL_reg(Cpu& c, uint32_t i) {
  vec3<pat::UQSHL_reg>(c, i, kBHSD, true, kSatU, kShl);
}
void SQRSHL_vec(Cpu& c, uint32_t i) {
  vec3<pat::SQRSHL_vec>(c, i, kBHSD, false, kSatS, kRoundingShl);
}
void UQRSHL_vec(Cpu& c, uint32_t i) {
  vec3<pat::UQRSHL_vec>(c, i, kBHSD, true, kSatU, kRoundingShl);
}

// --- vector, pairwise ----------------------------------------------------------------------
void ADDP_vec(Cpu& c, uint32_t i) {
  pairwise<pat::ADDP_vec>(c, i, kBHSD, true, kAdd);
}
void SMAXP(Cpu& c, uint32_t i) {
  pairwise<pat::SMAXP>(c, i, kBHS, false, kMax);
}
void UMAXP(Cpu& c, uint32_t i) {
  pairwise<pat::UMAXP>(c, i, kBHS, true, kMax);
}
void SMINP(Cpu& c, uint32_t i) {
  pairwise<pat::SMINP>(c, i, kBHS, false, kMin);
}
void UMINP(Cpu& c, uint32_t i) {
  pairwise<pat::UMINP>(c, i, kBHS, true, kMin);
}

// --- vector, logical (Arm ARM C7.2: BSL/BIT/BIF select bits of Vn by Vd or Vm) -------------
void AND_vec(Cpu& c, uint32_t i) {
  logical<pat::AND_vec>(c, i, [](uint64_t n, uint64_t m, uint64_t) { return n & m; });
}
void BIC_vec_reg(Cpu& c, uint32_t i) {
  logical<pat::BIC_vec_reg>(c, i, [](uint64_t n, uint64_t m, uint64_t) { return n & ~m; });
}
void ORR_vec_reg(Cpu& c, uint32_t i) {
  logical<pat::ORR_vec_reg>(c, i, [](uint64_t n, uint64_t m, uint64_t) { return n | m; });
}
void ORN_vec(Cpu& c, uint32_t i) {
  logical<pat::ORN_vec>(c, i, [](uint64_t n, uint64_t m, uint64_t) { return n | ~m; });
}
void EOR_vec(Cpu& c, uint32_t i) {
  logical<pat::EOR_vec>(c, i, [](uint64_t n, uint64_t m, uint64_t) { return n ^ m; });
}
void BSL(Cpu& c, uint32_t i) {  // Vd selects: 1 takes Vn, 0 takes Vm
  logical<pat::BSL>(c, i, [](uint64_t n, uint64_t m, uint64_t d) { return m ^ ((m ^ n) & d); });
}
void BIT(Cpu& c, uint32_t i) {  // insert Vn bits where Vm is 1
  logical<pat::BIT>(c, i, [](uint64_t n, uint64_t m, uint64_t d) { return d ^ ((d ^ n) & m); });
}
void BIF(Cpu& c, uint32_t i) {  // insert Vn bits where Vm is 0
  logical<pat::BIF>(c, i, [](uint64_t n, uint64_t m, uint64_t d) { return d ^ ((d ^ n) & ~m); });
}

// --- scalar (C4.1.96.9): most operations exist only on 64-bit elements ---------------------
void SQADD_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SQADD_scalar>(c, i, kBHSD, false, kSatS, kAdd);
}
void UQADD_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::UQADD_scalar>(c, i, kBHSD, true, kSatU, kAdd);
}
void SQSUB_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SQSUB_scalar>(c, i, kBHSD, false, kSatS, kSub);
}
void UQSUB_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::UQSUB_scalar>(c, i, kBHSD, true, kSatU, kSub);
}
void CMGT_reg_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::CMGT_reg_scalar>(c, i, kD, false, kWrap, kGt);
}
void CMHI_reg_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::CMHI_reg_scalar>(c, i, kD, true, kWrap, kGt);
}
void CMGE_reg_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::CMGE_reg_scalar>(c, i, kD, false, kWrap, kGe);
}
void CMHS_reg_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::CMHS_reg_scalar>(c, i, kD, true, kWrap, kGe);
}
void CMEQ_reg_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::CMEQ_reg_scalar>(c, i, kD, true, kWrap, kEq);
}
void CMTST_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::CMTST_scalar>(c, i, kD, true, kWrap, kTst);
}
void SSHL_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SSHL_scalar>(c, i, kD, false, kWrap, kShl);
}
void USHL_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::USHL_scalar>(c, i, kD, true, kWrap, kShl);
}
void SRSHL_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SRSHL_scalar>(c, i, kD, false, kWrap, kRoundingShl);
}
void URSHL_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::URSHL_scalar>(c, i, kD, true, kWrap, kRoundingShl);
}
void SQSHL_reg_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SQSHL_reg_scalar>(c, i, kBHSD, false, kSatS, kShl);
}
void UQSHL_reg_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::UQSHL_reg_scalar>(c, i, kBHSD, true, kSatU, kShl);
}
void SQRSHL_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SQRSHL_scalar>(c, i, kBHSD, false, kSatS, kRoundingShl);
}
void UQRSHL_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::UQRSHL_scalar>(c, i, kBHSD, true, kSatU, kRoundingShl);
}
void ADD_vec_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::ADD_vec_scalar>(c, i, kD, true, kWrap, kAdd);
}
void SUB_vec_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SUB_vec_scalar>(c, i, kD, true, kWrap, kSub);
}
void SQDMULH_vec_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SQDMULH_vec_scalar>(c, i, kHS, false, kSatS, kDoublingMulHigh);
}
void SQRDMULH_vec_scalar(Cpu& c, uint32_t i) {
  scalar3<pat::SQRDMULH_vec_scalar>(c, i, kHS, false, kSatS, kRoundingDoublingMulHigh);
}

}  // namespace xvm::arm64::interp
