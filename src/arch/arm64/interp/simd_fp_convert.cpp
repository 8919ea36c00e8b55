// Advanced SIMD FP conversions (Arm ARM C4.1.95; C7.2): FCVT[NMPAZ][SU] (vector, integer),
// SCVTF/UCVTF (vector, integer), the fixed-point forms of the shift-by-immediate class
// (SCVTF/UCVTF/FCVTZS/FCVTZU (vector, fixed-point)), and the precision changes FCVTL{2},
// FCVTN{2}, FCVTXN{2}. Every form comes as vector and, except FCVTL/FCVTN, Advanced SIMD scalar.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_fp.h"

namespace xvm::arm64::interp {
namespace {

using namespace simdfp;
using fpu::Rounding;

// FPToFixed into an integer as wide as the lane, saturating (IOC) at its range.
template <Rounding R, bool U>
constexpr auto kToInt = [](auto a, Cpu& c) {
  using T = decltype(a);
  return T(fpu::to_fixed(a, 0, U, sizeof(T) * 8, R, c.fpcr, c.fpsr));
};

// FixedToFP of the lane as a signed or unsigned integer, rounded as FPCR says.
template <bool U>
constexpr auto kFromInt = [](auto a, Cpu& c) {
  using T = decltype(a);
  const uint64_t v = U ? uint64_t{a} : static_cast<uint64_t>(sign_extend(a, sizeof(T) * 8));
  return fpu::fixed_to_fp<T>(v, 0, U, fpu::rounding_of(c.fpcr), c.fpcr, c.fpsr);
};

// The conversions by rounding (N: to nearest even, M: toward -inf, P: toward +inf, A: to
// nearest with ties away, Z: toward zero) and signedness of the result.
constexpr auto kCvtNS = kToInt<Rounding::TieEven, false>;
constexpr auto kCvtNU = kToInt<Rounding::TieEven, true>;
constexpr auto kCvtMS = kToInt<Rounding::NegInf, false>;
constexpr auto kCvtMU = kToInt<Rounding::NegInf, true>;
constexpr auto kCvtPS = kToInt<Rounding::PosInf, false>;
constexpr auto kCvtPU = kToInt<Rounding::PosInf, true>;
constexpr auto kCvtAS = kToInt<Rounding::TieAway, false>;
constexpr auto kCvtAU = kToInt<Rounding::TieAway, true>;
constexpr auto kCvtZS = kToInt<Rounding::Zero, false>;
constexpr auto kCvtZU = kToInt<Rounding::Zero, true>;
constexpr auto kSCvtF = kFromInt<false>;
constexpr auto kUCvtF = kFromInt<true>;

template <const Pattern& P, class Op>
void cvt_vec(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), sz = fld<P, 'z'>(insn);
  need_vec(cpu, insn, sz, q);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  with_size(sz, [&](auto t) { map1<decltype(t)>(cpu, fld<P, 'd'>(insn), n, lanes(sz, q), op); });
}

template <const Pattern& P, class Op>
void cvt_asisd(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned sz = fld<P, 'z'>(insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  with_size(sz, [&](auto t) { map1<decltype(t)>(cpu, fld<P, 'd'>(insn), n, 1, op); });
}

// The fixed-point conversions with fbits fraction bits: FCVTZS/FCVTZU round toward zero,
// SCVTF/UCVTF as FPCR says.
template <bool ToFixed, bool U>
auto fixed_op(unsigned fbits) {
  return [fbits](auto a, Cpu& c) {
    using T = decltype(a);
    if constexpr (ToFixed) {
      return T(fpu::to_fixed(a, fbits, U, sizeof(T) * 8, Rounding::Zero, c.fpcr, c.fpsr));
    } else {
      const uint64_t v = U ? uint64_t{a} : static_cast<uint64_t>(sign_extend(a, sizeof(T) * 8));
      return fpu::fixed_to_fp<T>(v, fbits, U, fpu::rounding_of(c.fpcr), c.fpcr, c.fpsr);
    }
  };
}

// Vector fixed-point forms. The table line fixes immh's top bits: the _vec32 lines have
// immh = 01xx (esize 32, fbits = 64 - immh:immb = 32 - i), the _vec64 lines immh = 1xxx
// (esize 64, fbits = 128 - immh:immb = 64 - i; Q = 0 is reserved).
template <const Pattern& P, bool ToFixed, bool U>
void fixed_vec32(Cpu& cpu, uint32_t insn) {
  const unsigned q = fld<P, 'Q'>(insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  map1<uint32_t>(cpu, fld<P, 'd'>(insn), n, lanes(0, q),
                 fixed_op<ToFixed, U>(32 - fld<P, 'i'>(insn)));
}

template <const Pattern& P, bool ToFixed, bool U>
void fixed_vec64(Cpu& cpu, uint32_t insn) {
  const unsigned q = fld<P, 'Q'>(insn);
  need_vec(cpu, insn, 1, q);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  map1<uint64_t>(cpu, fld<P, 'd'>(insn), n, 2, fixed_op<ToFixed, U>(64 - fld<P, 'i'>(insn)));
}

// Scalar fixed-point forms: i is immh:immb. immh = 1xxx is double, 01xx single; 001x is
// half precision (FEAT_FP16, not implemented) and 000x reserved.
template <const Pattern& P, bool ToFixed, bool U>
void fixed_asisd(Cpu& cpu, uint32_t insn) {
  const unsigned i = fld<P, 'i'>(insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  const unsigned d = fld<P, 'd'>(insn);
  if (i & 0x40)
    map1<uint64_t>(cpu, d, n, 1, fixed_op<ToFixed, U>(128 - i));
  else if (i & 0x20)
    map1<uint32_t>(cpu, d, n, 1, fixed_op<ToFixed, U>(64 - i));
  else
    undefined(cpu, insn);
}

// Narrowing: the elements of Vn, converted to half the width, fill the low half of Vd (upper
// half zeroed) or, for the "2" forms, the upper half with the low half kept (Arm ARM
// Vpart[d, part]).
template <class To, class From>
void narrow(Cpu& cpu, unsigned d, unsigned n, unsigned part, Rounding rounding) {
  const VReg src = cpu.v[n];
  VReg r = part ? cpu.v[d] : VReg{};
  constexpr unsigned count = 8 / sizeof(To);
  for (unsigned e = 0; e < count; ++e)
    put<To>(r, part * count + e, fpu::convert<To>(get<From>(src, e), rounding, cpu.fpcr, cpu.fpsr));
  cpu.v[d] = r;
}

template <class To, class From>
void lengthen(Cpu& cpu, unsigned d, unsigned n, unsigned part) {
  const VReg src = cpu.v[n];
  VReg r{};
  constexpr unsigned count = 16 / sizeof(To);
  for (unsigned e = 0; e < count; ++e)
    put<To>(r, e,
            fpu::convert<To>(get<From>(src, part * count + e), fpu::rounding_of(cpu.fpcr), cpu.fpcr,
                             cpu.fpsr));
  cpu.v[d] = r;
}

}  // namespace

void FCVTNS_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTNS_vec>(c, i, kCvtNS);
}
void FCVTNU_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTNU_vec>(c, i, kCvtNU);
}
void FCVTMS_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTMS_vec>(c, i, kCvtMS);
}
void FCVTMU_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTMU_vec>(c, i, kCvtMU);
}
void FCVTPS_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTPS_vec>(c, i, kCvtPS);
}
void FCVTPU_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTPU_vec>(c, i, kCvtPU);
}
void FCVTAS_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTAS_vec>(c, i, kCvtAS);
}
void FCVTAU_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTAU_vec>(c, i, kCvtAU);
}
void FCVTZS_int_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTZS_int_vec>(c, i, kCvtZS);
}
void FCVTZU_int_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::FCVTZU_int_vec>(c, i, kCvtZU);
}
void SCVTF_int_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::SCVTF_int_vec>(c, i, kSCvtF);
}
void UCVTF_int_vec(Cpu& c, uint32_t i) {
  cvt_vec<pat::UCVTF_int_vec>(c, i, kUCvtF);
}

void FCVTNS_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTNS_asisd>(c, i, kCvtNS);
}
void FCVTNU_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTNU_asisd>(c, i, kCvtNU);
}
void FCVTMS_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTMS_asisd>(c, i, kCvtMS);
}
void FCVTMU_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTMU_asisd>(c, i, kCvtMU);
}
void FCVTPS_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTPS_asisd>(c, i, kCvtPS);
}
void FCVTPU_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTPU_asisd>(c, i, kCvtPU);
}
void FCVTAS_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTAS_asisd>(c, i, kCvtAS);
}
void FCVTAU_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTAU_asisd>(c, i, kCvtAU);
}
void FCVTZS_int_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTZS_int_asisd>(c, i, kCvtZS);
}
void FCVTZU_int_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::FCVTZU_int_asisd>(c, i, kCvtZU);
}
void SCVTF_int_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::SCVTF_int_asisd>(c, i, kSCvtF);
}
void UCVTF_int_asisd(Cpu& c, uint32_t i) {
  cvt_asisd<pat::UCVTF_int_asisd>(c, i, kUCvtF);
}

void SCVTF_fix_vec32(Cpu& c, uint32_t i) {
  fixed_vec32<pat::SCVTF_fix_vec32, false, false>(c, i);
}
void UCVTF_fix_vec32(Cpu& c, uint32_t i) {
  fixed_vec32<pat::UCVTF_fix_vec32, false, true>(c, i);
}
void FCVTZS_fix_vec32(Cpu& c, uint32_t i) {
  fixed_vec32<pat::FCVTZS_fix_vec32, true, false>(c, i);
}
void FCVTZU_fix_vec32(Cpu& c, uint32_t i) {
  fixed_vec32<pat::FCVTZU_fix_vec32, true, true>(c, i);
}
void SCVTF_fix_vec64(Cpu& c, uint32_t i) {
  fixed_vec64<pat::SCVTF_fix_vec64, false, false>(c, i);
}
void UCVTF_fix_vec64(Cpu& c, uint32_t i) {
  fixed_vec64<pat::UCVTF_fix_vec64, false, true>(c, i);
}
void FCVTZS_fix_vec64(Cpu& c, uint32_t i) {
  fixed_vec64<pat::FCVTZS_fix_vec64, true, false>(c, i);
}
void FCVTZU_fix_vec64(Cpu& c, uint32_t i) {
  fixed_vec64<pat::FCVTZU_fix_vec64, true, true>(c, i);
}
void SCVTF_fix_asisd(Cpu& c, uint32_t i) {
  fixed_asisd<pat::SCVTF_fix_asisd, false, false>(c, i);
}
void UCVTF_fix_asisd(Cpu& c, uint32_t i) {
  fixed_asisd<pat::UCVTF_fix_asisd, false, true>(c, i);
}
void FCVTZS_fix_asisd(Cpu& c, uint32_t i) {
  fixed_asisd<pat::FCVTZS_fix_asisd, true, false>(c, i);
}
void FCVTZU_fix_asisd(Cpu& c, uint32_t i) {
  fixed_asisd<pat::FCVTZU_fix_asisd, true, true>(c, i);
}

// FCVTL{2}: sz = 0 widens 4H to 4S, sz = 1 2S to 2D, from the half of Vn that Q selects.
void FCVTL(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FCVTL> f{insn};
  if (f.u<'z'>())
    lengthen<uint64_t, uint32_t>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'Q'>());
  else
    lengthen<uint32_t, uint16_t>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'Q'>());
}

// FCVTN{2}: sz = 0 narrows 4S to 4H (FPCR.AHP selects Arm's alternative half precision),
// sz = 1 2D to 2S; rounding as FPCR says.
void FCVTN(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FCVTN> f{insn};
  const Rounding r = fpu::rounding_of(cpu.fpcr);
  if (f.u<'z'>())
    narrow<uint32_t, uint64_t>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'Q'>(), r);
  else
    narrow<uint16_t, uint32_t>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'Q'>(), r);
}

// FCVTXN{2}: double to single with round-to-odd (so that a second rounding to half precision
// is correct); only sz = 1 exists.
void FCVTXN_vec(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FCVTXN_vec> f{insn};
  if (!f.u<'z'>()) undefined(cpu, insn);
  narrow<uint32_t, uint64_t>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'Q'>(), Rounding::Odd);
}

void FCVTXN_asisd(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FCVTXN_asisd> f{insn};
  if (!f.u<'z'>()) undefined(cpu, insn);
  const uint64_t op = cpu.v[f.u<'n'>()].d[0];
  VReg r{};
  r.s[0] = fpu::convert<uint32_t>(op, Rounding::Odd, cpu.fpcr, cpu.fpsr);
  cpu.v[f.u<'d'>()] = r;
}

}  // namespace xvm::arm64::interp
