// Advanced SIMD two-register miscellaneous, integer (Arm ARM C4.1.96.17) and its scalar form
// (C4.1.96.10): reversals, pairwise widening adds, counts, saturating absolute value and
// negation, compares against zero, narrowing moves and SHLL. The floating-point operations of
// these groups are in simd_fp_misc.cpp.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

using namespace simd;  // the private helpers of simd_common.h

// Vd.T = op(Vn.T, -, Vd.T) lane by lane (the second operand slot repeats Vn).
template <const Pattern& P, class Op>
void vec2(Cpu& cpu, uint32_t insn, unsigned sizes, bool uns, Res res, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn);
  need_vec_size(cpu, insn, sizes, size, q);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  map_lanes(cpu, fld<P, 'd'>(insn), a, a, size, lanes(size, q), uns, res, op);
}

template <const Pattern& P, class Op>
void scalar2(Cpu& cpu, uint32_t insn, unsigned sizes, bool uns, Res res, Op op) {
  const unsigned size = fld<P, 's'>(insn);
  need_size(cpu, insn, sizes, size);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  map_lanes(cpu, fld<P, 'd'>(insn), a, a, size, 1, uns, res, op);
}

// XTN and the saturating narrowing moves: 2*esize-bit elements of Vn to esize bits; "2" forms
// write the upper half of Vd. The size field is the narrow size; 11 is reserved.
template <const Pattern& P>
void narrow(Cpu& cpu, uint32_t insn, bool uns, Res res) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn);
  need_size(cpu, insn, kBHS, size);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  map_narrow(cpu, fld<P, 'd'>(insn), a, a, size, q, 8u >> size, uns, res,
             [](Wide x, auto...) { return x; });
}

template <const Pattern& P>
void narrow_scalar(Cpu& cpu, uint32_t insn, bool uns, Res res) {
  const unsigned size = fld<P, 's'>(insn);
  need_size(cpu, insn, kBHS, size);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  map_narrow(cpu, fld<P, 'd'>(insn), a, a, size, 0, 1, uns, res, [](Wide x, auto...) { return x; });
}

// REV16/REV32/REV64: reverse the order of the elements inside each 2^c-byte container.
template <const Pattern& P>
void reverse(Cpu& cpu, uint32_t insn, unsigned container_log2) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn);
  if (size >= container_log2) undefined(cpu, insn);  // the element must be smaller
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  const unsigned flip = (1u << (container_log2 - size)) - 1;
  VReg r{};
  for (unsigned i = 0; i < lanes(size, q); ++i) set_lane(r, size, i ^ flip, lane(a, size, i));
  cpu.v[fld<P, 'd'>(insn)] = r;
}

// SADDLP/UADDLP/SADALP/UADALP: adjacent element pairs added into 2*esize-bit lanes,
// optionally accumulated into Vd.
template <const Pattern& P>
void add_pairs_long(Cpu& cpu, uint32_t insn, bool uns, bool accumulate) {
  const unsigned q = fld<P, 'Q'>(insn), size = fld<P, 's'>(insn), d = fld<P, 'd'>(insn);
  need_size(cpu, insn, kBHS, size);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  const unsigned esize = 8u << size;
  VReg r{};
  for (unsigned i = 0; i < lanes(size + 1, q); ++i) {
    Wide x = widen(lane(a, size, 2 * i), esize, uns) + widen(lane(a, size, 2 * i + 1), esize, uns);
    if (accumulate) x += lane(cpu.v[d], size + 1, i);
    set_lane(r, size + 1, i, static_cast<uint64_t>(x));
  }
  cpu.v[d] = r;
}

// Byte-wise operations (CNT, NOT, RBIT), on 8 or 16 bytes.
template <const Pattern& P, class Op>
void bytes(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned q = fld<P, 'Q'>(insn);
  const VReg& a = cpu.v[fld<P, 'n'>(insn)];
  VReg r{};
  for (unsigned i = 0; i < (q ? 16u : 8u); ++i) r.b[i] = op(a.b[i]);
  cpu.v[fld<P, 'd'>(insn)] = r;
}

constexpr auto kAbs = [](Wide a, auto...) { return a < 0 ? -a : a; };
constexpr auto kNeg = [](Wide a, auto...) { return -a; };
constexpr auto kGtZero = [](Wide a, auto...) { return a > 0 ? Wide(-1) : Wide(0); };
constexpr auto kGeZero = [](Wide a, auto...) { return a >= 0 ? Wide(-1) : Wide(0); };
constexpr auto kEqZero = [](Wide a, auto...) { return a == 0 ? Wide(-1) : Wide(0); };
constexpr auto kLeZero = [](Wide a, auto...) { return a <= 0 ? Wide(-1) : Wide(0); };
constexpr auto kLtZero = [](Wide a, auto...) { return a < 0 ? Wide(-1) : Wide(0); };
// SUQADD: signed Vd plus unsigned Vn; USQADD: unsigned Vd plus signed Vn (lanes arrive widened
// the accumulator's way, so Vn is reinterpreted).
constexpr auto kSignedPlusUnsigned = [](Wide a, Wide, Wide d, unsigned esize) {
  return d + (a & Wide(ones(esize)));
};
constexpr auto kUnsignedPlusSigned = [](Wide a, Wide, Wide d, unsigned esize) {
  return d + Wide(sign_extend(static_cast<uint64_t>(a), esize));
};

}  // namespace

void REV64(Cpu& c, uint32_t i) {
  reverse<pat::REV64>(c, i, 3);
}
void REV32_vec(Cpu& c, uint32_t i) {
  reverse<pat::REV32_vec>(c, i, 2);
}
void REV16_vec(Cpu& c, uint32_t i) {
  reverse<pat::REV16_vec>(c, i, 1);
}

void SADDLP(Cpu& c, uint32_t i) {
  add_pairs_long<pat::SADDLP>(c, i, false, false);
}
void UADDLP(Cpu& c, uint32_t i) {
  add_pairs_long<pat::UADDLP>(c, i, true, false);
}
void SADALP(Cpu& c, uint32_t i) {
  add_pairs_long<pat::SADALP>(c, i, false, true);
}
void UADALP(Cpu& c, uint32_t i) {
  add_pairs_long<pat::UADALP>(c, i, true, true);
}

void SUQADD_vec(Cpu& c, uint32_t i) {
  vec2<pat::SUQADD_vec>(c, i, kBHSD, false, kSatS, kSignedPlusUnsigned);
}
void USQADD_vec(Cpu& c, uint32_t i) {
  vec2<pat::USQADD_vec>(c, i, kBHSD, true, kSatU, kUnsignedPlusSigned);
}

// CLZ counts leading zero bits of the element, CLS leading bits equal to the sign bit (not
// counting the sign bit itself): CountLeadingZeroBits(x<esize-1:1> EOR x<esize-2:0>).
void CLZ_vec(Cpu& c, uint32_t i) {
  vec2<pat::CLZ_vec>(c, i, kBHS, true, kWrap, [](Wide a, Wide, Wide, unsigned esize) {
    return Wide(std::countl_zero(static_cast<uint64_t>(a)) - (64 - esize));
  });
}
void CLS_vec(Cpu& c, uint32_t i) {
  vec2<pat::CLS_vec>(c, i, kBHS, true, kWrap, [](Wide a, Wide, Wide, unsigned esize) {
    const uint64_t x = static_cast<uint64_t>(a);
    const uint64_t y = (x ^ (x >> 1)) & ones(esize - 1);
    return Wide(std::countl_zero(y) - (64 - (esize - 1)));
  });
}

void CNT(Cpu& c, uint32_t i) {
  bytes<pat::CNT>(c, i, [](uint8_t x) { return static_cast<uint8_t>(std::popcount(x)); });
}
void NOT(Cpu& c, uint32_t i) {
  bytes<pat::NOT>(c, i, [](uint8_t x) { return static_cast<uint8_t>(~x); });
}
void RBIT_vec(Cpu& c, uint32_t i) {
  bytes<pat::RBIT_vec>(c, i, [](uint8_t x) {
    uint8_t r = 0;
    for (int k = 0; k < 8; ++k) r = static_cast<uint8_t>(r | (((x >> k) & 1) << (7 - k)));
    return r;
  });
}

void SQABS_vec(Cpu& c, uint32_t i) {
  vec2<pat::SQABS_vec>(c, i, kBHSD, false, kSatS, kAbs);
}
void SQNEG_vec(Cpu& c, uint32_t i) {
  vec2<pat::SQNEG_vec>(c, i, kBHSD, false, kSatS, kNeg);
}
void ABS_vec(Cpu& c, uint32_t i) {
  vec2<pat::ABS_vec>(c, i, kBHSD, false, kWrap, kAbs);
}
void NEG_vec(Cpu& c, uint32_t i) {
  vec2<pat::NEG_vec>(c, i, kBHSD, false, kWrap, kNeg);
}
void CMGT_zero(Cpu& c, uint32_t i) {
  vec2<pat::CMGT_zero>(c, i, kBHSD, false, kWrap, kGtZero);
}
void CMGE_zero(Cpu& c, uint32_t i) {
  vec2<pat::CMGE_zero>(c, i, kBHSD, false, kWrap, kGeZero);
}
void CMEQ_zero(Cpu& c, uint32_t i) {
  vec2<pat::CMEQ_zero>(c, i, kBHSD, false, kWrap, kEqZero);
}
void CMLE_zero(Cpu& c, uint32_t i) {
  vec2<pat::CMLE_zero>(c, i, kBHSD, false, kWrap, kLeZero);
}
void CMLT_zero(Cpu& c, uint32_t i) {
  vec2<pat::CMLT_zero>(c, i, kBHSD, false, kWrap, kLtZero);
}

void XTN(Cpu& c, uint32_t i) {
  narrow<pat::XTN>(c, i, true, kWrap);
}
void SQXTN_vec(Cpu& c, uint32_t i) {
  narrow<pat::SQXTN_vec>(c, i, false, kSatS);
}
void UQXTN_vec(Cpu& c, uint32_t i) {
  narrow<pat::UQXTN_vec>(c, i, true, kSatU);
}
void SQXTUN_vec(Cpu& c, uint32_t i) {
  narrow<pat::SQXTUN_vec>(c, i, false, kSatU);
}

// SHLL: each element widened and shifted left by its own size.
void SHLL(Cpu& c, uint32_t i) {
  const Fields<pat::SHLL> f{i};
  const unsigned size = f.u<'s'>();
  need_size(c, i, kBHS, size);
  const VReg& a = c.v[f.u<'n'>()];
  map_long(c, f.u<'d'>(), a, false, a, size, f.u<'Q'>(), 8u >> size, true, kWrap,
           [](Wide x, Wide, Wide, unsigned esize) { return x << esize; });
}

// --- scalar ---------------------------------------------------------------------------------
void SUQADD_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::SUQADD_scalar>(c, i, kBHSD, false, kSatS, kSignedPlusUnsigned);
}
void USQADD_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::USQADD_scalar>(c, i, kBHSD, true, kSatU, kUnsignedPlusSigned);
}
void SQABS_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::SQABS_scalar>(c, i, kBHSD, false, kSatS, kAbs);
}
void SQNEG_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::SQNEG_scalar>(c, i, kBHSD, false, kSatS, kNeg);
}
void ABS_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::ABS_scalar>(c, i, kD, false, kWrap, kAbs);
}
void NEG_vec_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::NEG_vec_scalar>(c, i, kD, false, kWrap, kNeg);
}
void CMGT_zero_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::CMGT_zero_scalar>(c, i, kD, false, kWrap, kGtZero);
}
void CMGE_zero_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::CMGE_zero_scalar>(c, i, kD, false, kWrap, kGeZero);
}
void CMEQ_zero_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::CMEQ_zero_scalar>(c, i, kD, false, kWrap, kEqZero);
}
void CMLE_zero_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::CMLE_zero_scalar>(c, i, kD, false, kWrap, kLeZero);
}
void CMLT_zero_scalar(Cpu& c, uint32_t i) {
  scalar2<pat::CMLT_zero_scalar>(c, i, kD, false, kWrap, kLtZero);
}
void SQXTN_scalar(Cpu& c, uint32_t i) {
  narrow_scalar<pat::SQXTN_scalar>(c, i, false, kSatS);
}
void UQXTN_scalar(Cpu& c, uint32_t i) {
  narrow_scalar<pat::UQXTN_scalar>(c, i, true, kSatU);
}
void SQXTUN_scalar(Cpu& c, uint32_t i) {
  narrow_scalar<pat::SQXTUN_scalar>(c, i, false, kSatU);
}

}  // namespace xvm::arm64::interp
