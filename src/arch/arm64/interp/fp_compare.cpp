// Floating-point compare, conditional compare, conditional select and immediate (Arm ARM
// C4.1.96; C7.2 FCMP, FCMPE, FCCMP, FCCMPE, FCSEL, FMOV (scalar, immediate)).
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/fp_common.h"

namespace xvm::arm64::interp {

using namespace fp;

namespace {

// FCMP/FCMPE: Rn against Rm, or against +0.0 when z is set (Rm is then ignored).
template <const Pattern& P> void fcmp(Cpu& cpu, uint32_t insn, bool signal_nans) {
  const Fields<P> f{insn};
  by_ftype(cpu, insn, f.template u<'t'>(), [&](auto t) {
    using T = decltype(t);
    const T a = vget<T>(cpu, f.template u<'n'>());
    const T b = f.template u<'z'>() ? T(0) : vget<T>(cpu, f.template u<'m'>());
    cpu.nzcv = fpu::compare(a, b, signal_nans, cpu.fpcr, cpu.fpsr);
  });
}

// FCCMP/FCCMPE: compare if the condition holds, else NZCV = #nzcv (and no FP exceptions).
template <const Pattern& P> void fccmp(Cpu& cpu, uint32_t insn, bool signal_nans) {
  const Fields<P> f{insn};
  by_ftype(cpu, insn, f.template u<'t'>(), [&](auto t) {
    using T = decltype(t);
    if (condition_holds(cpu, f.template u<'c'>())) {
      const T a = vget<T>(cpu, f.template u<'n'>()), b = vget<T>(cpu, f.template u<'m'>());
      cpu.nzcv = fpu::compare(a, b, signal_nans, cpu.fpcr, cpu.fpsr);
    } else {
      cpu.nzcv = f.template u<'f'>() << 28;
    }
  });
}

}  // namespace

void FCMP_float(Cpu& cpu, uint32_t insn) { fcmp<pat::FCMP_float>(cpu, insn, false); }
void FCMPE_float(Cpu& cpu, uint32_t insn) { fcmp<pat::FCMPE_float>(cpu, insn, true); }
void FCCMP_float(Cpu& cpu, uint32_t insn) { fccmp<pat::FCCMP_float>(cpu, insn, false); }
void FCCMPE_float(Cpu& cpu, uint32_t insn) { fccmp<pat::FCCMPE_float>(cpu, insn, true); }

void FCSEL_float(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FCSEL_float> f{insn};
  by_ftype(cpu, insn, f.u<'t'>(), [&](auto t) {
    using T = decltype(t);
    const unsigned src = condition_holds(cpu, f.u<'c'>()) ? f.u<'n'>() : f.u<'m'>();
    vset(cpu, f.u<'d'>(), vget<T>(cpu, src));
  });
}

// Arm ARM J1 "VFPExpandImm": sign imm8<7>; exponent NOT(imm8<6>), imm8<6> repeated E-3 times,
// imm8<5:4>; fraction imm8<3:0> then zeros.
template <class T> static T vfp_expand_imm(uint32_t imm8) {
  constexpr int E = sizeof(T) == 4 ? 8 : 11, F = sizeof(T) == 4 ? 23 : 52;
  const uint64_t b6 = (imm8 >> 6) & 1;
  uint64_t exp = ((b6 ^ 1) << (E - 1)) | (imm8 >> 4 & 3);
  if (b6) exp |= ((uint64_t{1} << (E - 3)) - 1) << 2;
  const uint64_t frac = uint64_t(imm8 & 15) << (F - 4);
  return T((uint64_t(imm8 >> 7) << (E + F)) | (exp << F) | frac);
}

void FMOV_float_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FMOV_float_imm> f{insn};
  by_ftype(cpu, insn, f.u<'t'>(), [&](auto t) {
    using T = decltype(t);
    vset(cpu, f.u<'d'>(), vfp_expand_imm<T>(f.u<'i'>()));
  });
}

}  // namespace xvm::arm64::interp
