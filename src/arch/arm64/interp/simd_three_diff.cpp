// Advanced SIMD three different (Arm ARM C4.1.96.15) and its scalar form (C4.1.96.8): the
// widening ("L", "W"), narrowing ("HN") and long multiply-accumulate operations. The "2" forms
// (Q = 1) read the upper half of the narrow operands or write the upper half of Vd. Size = 11
// is reserved throughout, and the saturating doubling forms also reserve size = 00.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

using namespace simd;  // the private helpers of simd_common.h

// Long and wide forms: Vd.(2*esize) = op(Vn, Vm.esize, Vd); `n_wide` for the "W" forms.
template <const Pattern& P, class Op>
void long3(Cpu& cpu, uint32_t insn, unsigned sizes, bool n_wide, bool uns, Res res, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn);
  need_size(cpu, insn, sizes, size);
  map_long(cpu, fld<P, 'd'>(insn), cpu.v[fld<P, 'n'>(insn)], n_wide, cpu.v[fld<P, 'm'>(insn)], size,
           q, 8u >> size, uns, res, op);
}

// Narrowing-high forms: the high half of each 2*esize-bit result, into the Q-selected half.
template <const Pattern& P, class Op>
void narrow_high(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn);
  need_size(cpu, insn, kBHS, size);
  map_narrow(cpu, fld<P, 'd'>(insn), cpu.v[fld<P, 'n'>(insn)], cpu.v[fld<P, 'm'>(insn)], size, q,
             8u >> size, true, kWrap, op);
}

// Scalar SQDMLAL/SQDMLSL/SQDMULL: one element, Vd = 2*esize bits, the rest zeroed.
template <const Pattern& P, class Op>
void long3_scalar(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned size = fld<P, 's'>(insn);
  need_size(cpu, insn, kHS, size);
  map_long(cpu, fld<P, 'd'>(insn), cpu.v[fld<P, 'n'>(insn)], false, cpu.v[fld<P, 'm'>(insn)], size,
           0, 1, false, kSatS, op);
}

constexpr auto kAdd = [](Wide a, Wide b, auto...) { return a + b; };
constexpr auto kSub = [](Wide a, Wide b, auto...) { return a - b; };
constexpr auto kAbsDiff = [](Wide a, Wide b, auto...) { return a > b ? a - b : b - a; };
constexpr auto kAbsDiffAcc = [](Wide a, Wide b, Wide d, auto...) {
  return d + (a > b ? a - b : b - a);
};
constexpr auto kMul = [](Wide a, Wide b, auto...) { return a * b; };
constexpr auto kMulAdd = [](Wide a, Wide b, Wide d, auto...) { return d + a * b; };
constexpr auto kMulSub = [](Wide a, Wide b, Wide d, auto...) { return d - a * b; };
constexpr auto kAddHigh = [](Wide a, Wide b, Wide, unsigned esize) { return (a + b) >> esize; };
constexpr auto kSubHigh = [](Wide a, Wide b, Wide, unsigned esize) { return (a - b) >> esize; };
constexpr auto kRoundAddHigh = [](Wide a, Wide b, Wide, unsigned esize) {
  return (a + b + (Wide(1) << (esize - 1))) >> esize;
};
constexpr auto kRoundSubHigh = [](Wide a, Wide b, Wide, unsigned esize) {
  return (a - b + (Wide(1) << (esize - 1))) >> esize;
};

}  // namespace

void SADDL(Cpu& c, uint32_t i) {
  long3<pat::SADDL>(c, i, kBHS, false, false, kWrap, kAdd);
}
void UADDL(Cpu& c, uint32_t i) {
  long3<pat::UADDL>(c, i, kBHS, false, true, kWrap, kAdd);
}
void SSUBL(Cpu& c, uint32_t i) {
  long3<pat::SSUBL>(c, i, kBHS, false, false, kWrap, kSub);
}
void USUBL(Cpu& c, uint32_t i) {
  long3<pat::USUBL>(c, i, kBHS, false, true, kWrap, kSub);
}
void SADDW(Cpu& c, uint32_t i) {
  long3<pat::SADDW>(c, i, kBHS, true, false, kWrap, kAdd);
}
void UADDW(Cpu& c, uint32_t i) {
  long3<pat::UADDW>(c, i, kBHS, true, true, kWrap, kAdd);
}
void SSUBW(Cpu& c, uint32_t i) {
  long3<pat::SSUBW>(c, i, kBHS, true, false, kWrap, kSub);
}
void USUBW(Cpu& c, uint32_t i) {
  long3<pat::USUBW>(c, i, kBHS, true, true, kWrap, kSub);
}
void SABAL(Cpu& c, uint32_t i) {
  long3<pat::SABAL>(c, i, kBHS, false, false, kWrap, kAbsDiffAcc);
}
void UABAL(Cpu& c, uint32_t i) {
  long3<pat::UABAL>(c, i, kBHS, false, true, kWrap, kAbsDiffAcc);
}
void SABDL(Cpu& c, uint32_t i) {
  long3<pat::SABDL>(c, i, kBHS, false, false, kWrap, kAbsDiff);
}
void UABDL(Cpu& c, uint32_t i) {
  long3<pat::UABDL>(c, i, kBHS, false, true, kWrap, kAbsDiff);
}
void SMLAL_vec(Cpu& c, uint32_t i) {
  long3<pat::SMLAL_vec>(c, i, kBHS, false, false, kWrap, kMulAdd);
}
void UMLAL_vec(Cpu& c, uint32_t i) {
  long3<pat::UMLAL_vec>(c, i, kBHS, false, true, kWrap, kMulAdd);
}
void SMLSL_vec(Cpu& c, uint32_t i) {
  long3<pat::SMLSL_vec>(c, i, kBHS, false, false, kWrap, kMulSub);
}
void UMLSL_vec(Cpu& c, uint32_t i) {
  long3<pat::UMLSL_vec>(c, i, kBHS, false, true, kWrap, kMulSub);
}
void SMULL_vec(Cpu& c, uint32_t i) {
  long3<pat::SMULL_vec>(c, i, kBHS, false, false, kWrap, kMul);
}
void UMULL_vec(Cpu& c, uint32_t i) {
  long3<pat::UMULL_vec>(c, i, kBHS, false, true, kWrap, kMul);
}

void ADDHN(Cpu& c, uint32_t i) {
  narrow_high<pat::ADDHN>(c, i, kAddHigh);
}
void RADDHN(Cpu& c, uint32_t i) {
  narrow_high<pat::RADDHN>(c, i, kRoundAddHigh);
}
void SUBHN(Cpu& c, uint32_t i) {
  narrow_high<pat::SUBHN>(c, i, kSubHigh);
}
void RSUBHN(Cpu& c, uint32_t i) {
  narrow_high<pat::RSUBHN>(c, i, kRoundSubHigh);
}

void SQDMULL_vec(Cpu& c, uint32_t i) {
  long3<pat::SQDMULL_vec>(c, i, kHS, false, false, kSatS, sqdmlal_op(c, 0));
}
void SQDMLAL_vec(Cpu& c, uint32_t i) {
  long3<pat::SQDMLAL_vec>(c, i, kHS, false, false, kSatS, sqdmlal_op(c, 1));
}
void SQDMLSL_vec(Cpu& c, uint32_t i) {
  long3<pat::SQDMLSL_vec>(c, i, kHS, false, false, kSatS, sqdmlal_op(c, -1));
}
void SQDMULL_vec_scalar(Cpu& c, uint32_t i) {
  long3_scalar<pat::SQDMULL_vec_scalar>(c, i, sqdmlal_op(c, 0));
}
void SQDMLAL_vec_scalar(Cpu& c, uint32_t i) {
  long3_scalar<pat::SQDMLAL_vec_scalar>(c, i, sqdmlal_op(c, 1));
}
void SQDMLSL_vec_scalar(Cpu& c, uint32_t i) {
  long3_scalar<pat::SQDMLSL_vec_scalar>(c, i, sqdmlal_op(c, -1));
}

}  // namespace xvm::arm64::interp
