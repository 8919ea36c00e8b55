// Advanced SIMD vector x indexed element, integer (Arm ARM C4.1.96.23) and its scalar form
// (C4.1.96.14): multiplies by one element of Vm. Only 16-bit (size = 01: index H:L:M, Rm in
// V0-V15) and 32-bit (size = 10: index H:L, Rm = M:Rm) elements exist; size 00 and 11 are
// reserved. The element is broadcast and the ordinary lane loops do the rest.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

using namespace simd;  // the private helpers of simd_common.h

// Vm's selected element replicated over a register, or UNDEF for a reserved size.
template <const Pattern& P>
VReg indexed(Cpu& cpu, uint32_t insn) {
  const Fields<P> f{insn};
  const unsigned size = f.template u<'s'>(), m = f.template u<'m'>();
  const unsigned hl = (f.template u<'H'>() << 1) | f.template u<'L'>();
  if (size == 1) return broadcast(cpu.v[m & 15], 1, (hl << 1) | (m >> 4));
  if (size == 2) return broadcast(cpu.v[m], 2, hl);
  undefined(cpu, insn);
}

// Same-size forms: Vd.T = op(Vn.T, Vm[index], Vd.T); scalar lines (no Q) do one element.
template <const Pattern& P, class Op>
void elem_same(Cpu& cpu, uint32_t insn, bool uns, Res res, Op op) {
  const Fields<P> f{insn};
  const VReg b = indexed<P>(cpu, insn);
  const unsigned size = f.template u<'s'>();
  unsigned count = 1;
  if constexpr (has_field(P, 'Q')) count = lanes(size, f.template u<'Q'>());
  map_lanes(cpu, f.template u<'d'>(), cpu.v[f.template u<'n'>()], b, size, count, uns, res, op);
}

// Long forms: Vd.2T = op(Vn.T (Q-selected half), Vm[index], Vd.2T).
template <const Pattern& P, class Op>
void elem_long(Cpu& cpu, uint32_t insn, bool uns, Res res, Op op) {
  const Fields<P> f{insn};
  const VReg b = indexed<P>(cpu, insn);
  const unsigned size = f.template u<'s'>();
  unsigned q = 0, count = 1;
  if constexpr (has_field(P, 'Q')) q = f.template u<'Q'>(), count = 8u >> size;
  map_long(cpu, f.template u<'d'>(), cpu.v[f.template u<'n'>()], false, b, size, q, count, uns, res,
           op);
}

constexpr auto kMul = [](Wide a, Wide b, auto...) { return a * b; };
constexpr auto kMulAdd = [](Wide a, Wide b, Wide d, auto...) { return d + a * b; };
constexpr auto kMulSub = [](Wide a, Wide b, Wide d, auto...) { return d - a * b; };
constexpr auto kDoublingMulHigh = [](Wide a, Wide b, Wide, unsigned esize) {
  return (2 * a * b) >> esize;
};
constexpr auto kRoundingDoublingMulHigh = [](Wide a, Wide b, Wide, unsigned esize) {
  return (2 * a * b + (Wide(1) << (esize - 1))) >> esize;
};

}  // namespace

void MUL_elem(Cpu& c, uint32_t i) {
  elem_same<pat::MUL_elem>(c, i, true, kWrap, kMul);
}
void MLA_elem(Cpu& c, uint32_t i) {
  elem_same<pat::MLA_elem>(c, i, true, kWrap, kMulAdd);
}
void MLS_elem(Cpu& c, uint32_t i) {
  elem_same<pat::MLS_elem>(c, i, true, kWrap, kMulSub);
}
void SQDMULH_elem(Cpu& c, uint32_t i) {
  elem_same<pat::SQDMULH_elem>(c, i, false, kSatS, kDoublingMulHigh);
}
void SQRDMULH_elem(Cpu& c, uint32_t i) {
  elem_same<pat::SQRDMULH_elem>(c, i, false, kSatS, kRoundingDoublingMulHigh);
}
void SQDMULH_elem_scalar(Cpu& c, uint32_t i) {
  elem_same<pat::SQDMULH_elem_scalar>(c, i, false, kSatS, kDoublingMulHigh);
}
void SQRDMULH_elem_scalar(Cpu& c, uint32_t i) {
  elem_same<pat::SQRDMULH_elem_scalar>(c, i, false, kSatS, kRoundingDoublingMulHigh);
}

void SMULL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::SMULL_elem>(c, i, false, kWrap, kMul);
}
void UMULL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::UMULL_elem>(c, i, true, kWrap, kMul);
}
void SMLAL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::SMLAL_elem>(c, i, false, kWrap, kMulAdd);
}
void UMLAL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::UMLAL_elem>(c, i, true, kWrap, kMulAdd);
}
void SMLSL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::SMLSL_elem>(c, i, false, kWrap, kMulSub);
}
void UMLSL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::UMLSL_elem>(c, i, true, kWrap, kMulSub);
}

// The saturating doubling long forms, vector and scalar.
void SQDMULL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::SQDMULL_elem>(c, i, false, kSatS, sqdmlal_op(c, 0));
}
void SQDMLAL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::SQDMLAL_elem>(c, i, false, kSatS, sqdmlal_op(c, 1));
}
void SQDMLSL_elem(Cpu& c, uint32_t i) {
  elem_long<pat::SQDMLSL_elem>(c, i, false, kSatS, sqdmlal_op(c, -1));
}
void SQDMULL_elem_scalar(Cpu& c, uint32_t i) {
  elem_long<pat::SQDMULL_elem_scalar>(c, i, false, kSatS, sqdmlal_op(c, 0));
}
void SQDMLAL_elem_scalar(Cpu& c, uint32_t i) {
  elem_long<pat::SQDMLAL_elem_scalar>(c, i, false, kSatS, sqdmlal_op(c, 1));
}
void SQDMLSL_elem_scalar(Cpu& c, uint32_t i) {
  elem_long<pat::SQDMLSL_elem_scalar>(c, i, false, kSatS, sqdmlal_op(c, -1));
}

}  // namespace xvm::arm64::interp
