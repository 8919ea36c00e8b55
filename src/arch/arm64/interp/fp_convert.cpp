// Conversions between floating-point and integer or fixed-point, and FMOV (general) (Arm ARM
// C4.1.96; C7.2 FCVT<r>S/U, SCVTF, UCVTF, FMOV (general)). FPToFixed and FixedToFP come from
// the FP library.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/fp_common.h"

namespace xvm::arm64::interp {

using namespace fp;
using fpu::Rounding;

namespace {

// FCVT<r>S/U (scalar, integer or fixed-point): FPToFixed into W or X (sf).
template <const Pattern& P>
void fp_to_int(Cpu& cpu, uint32_t insn, Rounding rounding, bool is_unsigned, unsigned fbits) {
  const Fields<P> f{insn};
  const unsigned width = f.template u<'s'>() ? 64 : 32;
  by_ftype(cpu, insn, f.template u<'t'>(), [&](auto t) {
    using T = decltype(t);
    const T x = vget<T>(cpu, f.template u<'n'>());
    cpu.set_xr(f.template u<'d'>(),
               fpu::to_fixed(x, fbits, is_unsigned, width, rounding, cpu.fpcr, cpu.fpsr));
  });
}

// SCVTF/UCVTF (scalar, integer or fixed-point): FixedToFP from W or X with FPCR rounding.
template <const Pattern& P> void int_to_fp(Cpu& cpu, uint32_t insn, bool is_unsigned,
                                           unsigned fbits) {
  const Fields<P> f{insn};
  uint64_t x = cpu.xr(f.template u<'n'>());
  if (!f.template u<'s'>())
    x = is_unsigned ? uint64_t(uint32_t(x)) : uint64_t(int64_t(int32_t(uint32_t(x))));
  by_ftype(cpu, insn, f.template u<'t'>(), [&](auto t) {
    using T = decltype(t);
    vset(cpu, f.template u<'d'>(),
         fpu::fixed_to_fp<T>(x, fbits, is_unsigned, fpu::rounding_of(cpu.fpcr), cpu.fpcr,
                             cpu.fpsr));
  });
}

// The fixed-point forms: fbits = 64 - scale; a 32-bit integer allows at most 32 (scale<5> = 1).
template <const Pattern& P> unsigned fixed_fbits(Cpu& cpu, uint32_t insn) {
  const Fields<P> f{insn};
  const unsigned scale = f.template u<'p'>();
  if (!f.template u<'s'>() && scale < 32) undefined(cpu, insn);
  return 64 - scale;
}

}  // namespace

#define XVM_FP_TO_INT(name, rounding, is_unsigned)                     \
  void name(Cpu& cpu, uint32_t insn) {                                 \
    fp_to_int<pat::name>(cpu, insn, rounding, is_unsigned, 0);         \
  }
XVM_FP_TO_INT(FCVTNS_float_int, Rounding::TieEven, false)
XVM_FP_TO_INT(FCVTNU_float_int, Rounding::TieEven, true)
XVM_FP_TO_INT(FCVTAS_float_int, Rounding::TieAway, false)
XVM_FP_TO_INT(FCVTAU_float_int, Rounding::TieAway, true)
XVM_FP_TO_INT(FCVTPS_float_int, Rounding::PosInf, false)
XVM_FP_TO_INT(FCVTPU_float_int, Rounding::PosInf, true)
XVM_FP_TO_INT(FCVTMS_float_int, Rounding::NegInf, false)
XVM_FP_TO_INT(FCVTMU_float_int, Rounding::NegInf, true)
XVM_FP_TO_INT(FCVTZS_float_int, Rounding::Zero, false)
XVM_FP_TO_INT(FCVTZU_float_int, Rounding::Zero, true)
#undef XVM_FP_TO_INT

void SCVTF_float_int(Cpu& cpu, uint32_t insn) { int_to_fp<pat::SCVTF_float_int>(cpu, insn, false, 0); }
void UCVTF_float_int(Cpu& cpu, uint32_t insn) { int_to_fp<pat::UCVTF_float_int>(cpu, insn, true, 0); }

void FCVTZS_float_fix(Cpu& cpu, uint32_t insn) {
  const unsigned fbits = fixed_fbits<pat::FCVTZS_float_fix>(cpu, insn);
  fp_to_int<pat::FCVTZS_float_fix>(cpu, insn, Rounding::Zero, false, fbits);
}
void FCVTZU_float_fix(Cpu& cpu, uint32_t insn) {
  const unsigned fbits = fixed_fbits<pat::FCVTZU_float_fix>(cpu, insn);
  fp_to_int<pat::FCVTZU_float_fix>(cpu, insn, Rounding::Zero, true, fbits);
}
void SCVTF_float_fix(Cpu& cpu, uint32_t insn) {
  const unsigned fbits = fixed_fbits<pat::SCVTF_float_fix>(cpu, insn);
  int_to_fp<pat::SCVTF_float_fix>(cpu, insn, false, fbits);
}
void UCVTF_float_fix(Cpu& cpu, uint32_t insn) {
  const unsigned fbits = fixed_fbits<pat::UCVTF_float_fix>(cpu, insn);
  int_to_fp<pat::UCVTF_float_fix>(cpu, insn, true, fbits);
}

// FMOV (general): a bit copy between a general register and an FP register. The allocated
// sf:ftype:rmode combinations are 0:00:00 (W <-> S), 1:01:00 (X <-> D) and 1:10:01
// (X <-> V.D[1], which leaves V.D[0] alone); ftype 11 is FEAT_FP16 (UNDEF on ARMv8.0).
// Opcode bit 16 (o) = 1 moves general -> FP.
void FMOV_float_gen(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FMOV_float_gen> f{insn};
  const unsigned key = (f.u<'s'>() << 4) | (f.u<'t'>() << 2) | f.u<'r'>();
  const unsigned n = f.u<'n'>(), d = f.u<'d'>();
  const bool to_fp = f.u<'o'>();
  switch (key) {
    case 0b0'00'00:
      if (to_fp) vset(cpu, d, cpu.wr(n));
      else cpu.set_wr(d, vget<uint32_t>(cpu, n));
      break;
    case 0b1'01'00:
      if (to_fp) vset(cpu, d, cpu.xr(n));
      else cpu.set_xr(d, vget<uint64_t>(cpu, n));
      break;
    case 0b1'10'01:
      if (to_fp) cpu.v[d].d[1] = cpu.xr(n);
      else cpu.set_xr(d, cpu.v[n].d[1]);
      break;
    default: undefined(cpu, insn);
  }
}

}  // namespace xvm::arm64::interp
