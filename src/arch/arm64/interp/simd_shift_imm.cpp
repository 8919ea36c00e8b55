// Advanced SIMD shift by immediate (Arm ARM C4.1.96.20) and its scalar form (C4.1.96.11),
// integer operations. immh:immb (field i) encodes both the element size (the highest set bit
// of immh) and the shift: right shifts by 2*esize - immh:immb (1 .. esize), left shifts by
// immh:immb - esize (0 .. esize-1). immh = 0000 belongs to the modified-immediate class, whose
// lines win the decode; an encoding that still arrives here with immh = 0000 is unallocated.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

using namespace simd;  // the private helpers of simd_common.h

enum Dir { kRight, kLeft };

struct Shift {
  unsigned size;  // element size of immh (for narrowing forms: the narrow size)
  int amount;
};

Shift decode_shift(Cpu& cpu, uint32_t insn, unsigned immhb, Dir dir) {
  const unsigned immh = immhb >> 3;
  if (immh == 0) undefined(cpu, insn);
  const unsigned size = static_cast<unsigned>(std::bit_width(immh)) - 1, esize = 8u << size;
  return {size,
          dir == kRight ? static_cast<int>(2 * esize - immhb) : static_cast<int>(immhb - esize)};
}

// Same-size forms: op(element, old Vd element, shift, esize) per lane. `sizes` lists the sizes
// a scalar line (no Q field) allows; vector lines allow all but the 1D arrangement.
template <const Pattern& P, class Op>
void shift_same(Cpu& cpu, uint32_t insn, unsigned sizes, Dir dir, bool uns, Res res, Op op) {
  const Fields<P> f{insn};
  const Shift s = decode_shift(cpu, insn, f.template u<'i'>(), dir);
  unsigned count = 1;
  if constexpr (has_field(P, 'Q')) {
    const unsigned q = f.template u<'Q'>();
    need_vec_size(cpu, insn, kBHSD, s.size, q);
    count = lanes(s.size, q);
  } else {
    need_size(cpu, insn, sizes, s.size);
  }
  const VReg& a = cpu.v[f.template u<'n'>()];
  map_lanes(cpu, f.template u<'d'>(), a, a, s.size, count, uns, res,
            [&](Wide x, Wide, Wide d, unsigned esize) { return op(x, d, s.amount, esize); });
}

// Narrowing forms (SHRN, SQSHRN, ...): 2*esize-bit elements shifted right, then narrowed.
// immh = 1xxx would mean 128-bit sources: reserved.
template <const Pattern& P, class Op>
void shift_narrow(Cpu& cpu, uint32_t insn, bool uns, Res res, Op op) {
  const Fields<P> f{insn};
  const Shift s = decode_shift(cpu, insn, f.template u<'i'>(), kRight);
  if (s.size == 3) undefined(cpu, insn);
  constexpr bool scalar = !has_field(P, 'Q');
  unsigned q = 0;
  if constexpr (!scalar) q = f.template u<'Q'>();
  const VReg& a = cpu.v[f.template u<'n'>()];
  map_narrow(cpu, f.template u<'d'>(), a, a, s.size, q, scalar ? 1 : 8u >> s.size, uns, res,
             [&](Wide x, Wide, Wide, unsigned) { return op(x, Wide(0), s.amount, 0u); });
}

// SSHLL/USHLL: elements of the Q-selected half widened, then shifted left.
template <const Pattern& P>
void shift_long(Cpu& cpu, uint32_t insn, bool uns) {
  const Fields<P> f{insn};
  const Shift s = decode_shift(cpu, insn, f.template u<'i'>(), kLeft);
  if (s.size == 3) undefined(cpu, insn);
  const VReg& a = cpu.v[f.template u<'n'>()];
  map_long(cpu, f.template u<'d'>(), a, false, a, s.size, f.template u<'Q'>(), 8u >> s.size, uns,
           kWrap, [&](Wide x, auto...) { return x << s.amount; });
}

// The element operations: (element, old Vd element, shift amount, esize).
constexpr auto kShr = [](Wide a, Wide, int sh, auto...) { return a >> sh; };
constexpr auto kRoundShr = [](Wide a, Wide, int sh, auto...) {
  return (a + (Wide(1) << (sh - 1))) >> sh;
};
constexpr auto kShrAcc = [](Wide a, Wide d, int sh, auto...) { return d + (a >> sh); };
constexpr auto kRoundShrAcc = [](Wide a, Wide d, int sh, auto...) {
  return d + ((a + (Wide(1) << (sh - 1))) >> sh);
};
constexpr auto kShl = [](Wide a, Wide, int sh, auto...) { return a << sh; };
// SRI/SLI: the shifted element replaces only the bits it covers; the others keep Vd's.
constexpr auto kShrInsert = [](Wide a, Wide d, int sh, unsigned esize) {
  const Wide mask = Wide(ones(esize)) >> sh;
  return (d & ~mask) | ((a >> sh) & mask);
};
constexpr auto kShlInsert = [](Wide a, Wide d, int sh, unsigned esize) {
  const Wide mask = (Wide(ones(esize)) << sh) & Wide(ones(esize));
  return (d & ~mask) | ((a << sh) & mask);
};

}  // namespace

// --- vector, same size ----------------------------------------------------------------------
#define XVM_SHIFT_VEC(name, dir, uns, res, op)             \
  void name(Cpu& c, uint32_t i) {                          \
    shift_same<pat::name>(c, i, kBHSD, dir, uns, res, op); \
  }
XVM_SHIFT_VEC(SSHR_vec, kRight, false, kWrap, kShr)
XVM_SHIFT_VEC(USHR_vec, kRight, true, kWrap, kShr)
XVM_SHIFT_VEC(SRSHR_vec, kRight, false, kWrap, kRoundShr)
XVM_SHIFT_VEC(URSHR_vec, kRight, true, kWrap, kRoundShr)
XVM_SHIFT_VEC(SSRA_vec, kRight, false, kWrap, kShrAcc)
XVM_SHIFT_VEC(USRA_vec, kRight, true, kWrap, kShrAcc)
XVM_SHIFT_VEC(SRSRA_vec, kRight, false, kWrap, kRoundShrAcc)
XVM_SHIFT_VEC(URSRA_vec, kRight, true, kWrap, kRoundShrAcc)
XVM_SHIFT_VEC(SRI_vec, kRight, true, kWrap, kShrInsert)
XVM_SHIFT_VEC(SHL_vec, kLeft, true, kWrap, kShl)
XVM_SHIFT_VEC(SLI_vec, kLeft, true, kWrap, kShlInsert)
XVM_SHIFT_VEC(SQSHL_imm, kLeft, false, kSatS, kShl)
XVM_SHIFT_VEC(UQSHL_imm, kLeft, true, kSatU, kShl)
XVM_SHIFT_VEC(SQSHLU_vec, kLeft, false, kSatU, kShl)
#undef XVM_SHIFT_VEC

// --- scalar, same size: the non-saturating forms exist only for 64-bit elements -------------
#define XVM_SHIFT_SCALAR(name, sizes, dir, uns, res, op)   \
  void name(Cpu& c, uint32_t i) {                          \
    shift_same<pat::name>(c, i, sizes, dir, uns, res, op); \
  }
XVM_SHIFT_SCALAR(SSHR_scalar, kD, kRight, false, kWrap, kShr)
XVM_SHIFT_SCALAR(USHR_scalar, kD, kRight, true, kWrap, kShr)
XVM_SHIFT_SCALAR(SRSHR_scalar, kD, kRight, false, kWrap, kRoundShr)
XVM_SHIFT_SCALAR(URSHR_scalar, kD, kRight, true, kWrap, kRoundShr)
XVM_SHIFT_SCALAR(SSRA_scalar, kD, kRight, false, kWrap, kShrAcc)
XVM_SHIFT_SCALAR(USRA_scalar, kD, kRight, true, kWrap, kShrAcc)
XVM_SHIFT_SCALAR(SRSRA_scalar, kD, kRight, false, kWrap, kRoundShrAcc)
XVM_SHIFT_SCALAR(URSRA_scalar, kD, kRight, true, kWrap, kRoundShrAcc)
XVM_SHIFT_SCALAR(SRI_scalar, kD, kRight, true, kWrap, kShrInsert)
XVM_SHIFT_SCALAR(SHL_scalar, kD, kLeft, true, kWrap, kShl)
XVM_SHIFT_SCALAR(SLI_scalar, kD, kLeft, true, kWrap, kShlInsert)
XVM_SHIFT_SCALAR(SQSHL_imm_scalar, kBHSD, kLeft, false, kSatS, kShl)
XVM_SHIFT_SCALAR(UQSHL_imm_scalar, kBHSD, kLeft, true, kSatU, kShl)
XVM_SHIFT_SCALAR(SQSHLU_scalar, kBHSD, kLeft, false, kSatU, kShl)
#undef XVM_SHIFT_SCALAR

// --- narrowing ------------------------------------------------------------------------------
#define XVM_SHIFT_NARROW(name, uns, res, op)     \
  void name(Cpu& c, uint32_t i) {                \
    shift_narrow<pat::name>(c, i, uns, res, op); \
  }
XVM_SHIFT_NARROW(SHRN, true, kWrap, kShr)
XVM_SHIFT_NARROW(RSHRN, true, kWrap, kRoundShr)
XVM_SHIFT_NARROW(SQSHRN_vec, false, kSatS, kShr)
XVM_SHIFT_NARROW(UQSHRN_vec, true, kSatU, kShr)
XVM_SHIFT_NARROW(SQRSHRN_vec, false, kSatS, kRoundShr)
XVM_SHIFT_NARROW(UQRSHRN_vec, true, kSatU, kRoundShr)
XVM_SHIFT_NARROW(SQSHRUN_vec, false, kSatU, kShr)
XVM_SHIFT_NARROW(SQRSHRUN_vec, false, kSatU, kRoundShr)
XVM_SHIFT_NARROW(SQSHRN_scalar, false, kSatS, kShr)
XVM_SHIFT_NARROW(UQSHRN_scalar, true, kSatU, kShr)
XVM_SHIFT_NARROW(SQRSHRN_scalar, false, kSatS, kRoundShr)
XVM_SHIFT_NARROW(UQRSHRN_scalar, true, kSatU, kRoundShr)
XVM_SHIFT_NARROW(SQSHRUN_scalar, false, kSatU, kShr)
XVM_SHIFT_NARROW(SQRSHRUN_scalar, false, kSatU, kRoundShr)
#undef XVM_SHIFT_NARROW

// --- widening -------------------------------------------------------------------------------
void SSHLL(Cpu& c, uint32_t i) {
  shift_long<pat::SSHLL>(c, i, false);
}
void USHLL(Cpu& c, uint32_t i) {
  shift_long<pat::USHLL>(c, i, true);
}

}  // namespace xvm::arm64::interp
