// Floating-point data-processing, 1, 2 and 3 source (Arm ARM C4.1.96; instruction pages C7.2):
// FMOV (register), FABS, FNEG, FSQRT, FCVT, FRINT*, FADD ... FNMUL, FMADD ... FNMSUB.
// The arithmetic is the FP library's (arch/arm64/fpu/fpu.h); handlers only pick operands.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/fp_common.h"

namespace xvm::arm64::interp {

using namespace fp;

// --- 1 source ---

void FMOV_float(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FMOV_float> f{insn};
  by_ftype(cpu, insn, f.u<'t'>(), [&](auto t) {
    using T = decltype(t);
    vset(cpu, f.u<'d'>(), vget<T>(cpu, f.u<'n'>()));
  });
}

void FABS_float(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FABS_float> f{insn};
  by_ftype(cpu, insn, f.u<'t'>(), [&](auto t) {
    using T = decltype(t);
    vset(cpu, f.u<'d'>(), fpu::abs(vget<T>(cpu, f.u<'n'>())));
  });
}

void FNEG_float(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FNEG_float> f{insn};
  by_ftype(cpu, insn, f.u<'t'>(), [&](auto t) {
    using T = decltype(t);
    vset(cpu, f.u<'d'>(), fpu::neg(vget<T>(cpu, f.u<'n'>())));
  });
}

void FSQRT_float(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FSQRT_float> f{insn};
  by_ftype(cpu, insn, f.u<'t'>(), [&](auto t) {
    using T = decltype(t);
    vset(cpu, f.u<'d'>(), fpu::sqrt(vget<T>(cpu, f.u<'n'>()), cpu.fpcr, cpu.fpsr));
  });
}

namespace {

// FCVT: ftype is the source, opc the destination (00 single, 01 double, 11 half); equal types
// and the value 10 are unallocated.
template <class From> void fcvt_from(Cpu& cpu, uint32_t insn, unsigned to, unsigned d, From x) {
  const fpu::Rounding rm = fpu::rounding_of(cpu.fpcr);
  switch (to) {
    case 0: vset(cpu, d, fpu::convert<uint32_t>(x, rm, cpu.fpcr, cpu.fpsr)); break;
    case 1: vset(cpu, d, fpu::convert<uint64_t>(x, rm, cpu.fpcr, cpu.fpsr)); break;
    case 3: vset(cpu, d, fpu::convert<uint16_t>(x, rm, cpu.fpcr, cpu.fpsr)); break;
    default: undefined(cpu, insn);
  }
}

}  // namespace

void FCVT_float(Cpu& cpu, uint32_t insn) {
  const Fields<pat::FCVT_float> f{insn};
  const unsigned from = f.u<'t'>(), to = f.u<'o'>(), n = f.u<'n'>(), d = f.u<'d'>();
  if (from == to || from == 2 || to == 2) undefined(cpu, insn);
  switch (from) {
    case 0: fcvt_from(cpu, insn, to, d, vget<uint32_t>(cpu, n)); break;
    case 1: fcvt_from(cpu, insn, to, d, vget<uint64_t>(cpu, n)); break;
    default: fcvt_from(cpu, insn, to, d, vget<uint16_t>(cpu, n)); break;
  }
}

namespace {

// FRINT<x> (scalar): FPRoundInt with the instruction's rounding; only FRINTX raises Inexact.
template <const Pattern& P>
void frint(Cpu& cpu, uint32_t insn, fpu::Rounding rounding, bool exact) {
  const Fields<P> f{insn};
  by_ftype(cpu, insn, f.template u<'t'>(), [&](auto t) {
    using T = decltype(t);
    const T x = vget<T>(cpu, f.template u<'n'>());
    vset(cpu, f.template u<'d'>(), fpu::round_int(x, rounding, exact, cpu.fpcr, cpu.fpsr));
  });
}

}  // namespace

void FRINTN_float(Cpu& cpu, uint32_t insn) {
  frint<pat::FRINTN_float>(cpu, insn, fpu::Rounding::TieEven, false);
}
void FRINTP_float(Cpu& cpu, uint32_t insn) {
  frint<pat::FRINTP_float>(cpu, insn, fpu::Rounding::PosInf, false);
}
void FRINTM_float(Cpu& cpu, uint32_t insn) {
  frint<pat::FRINTM_float>(cpu, insn, fpu::Rounding::NegInf, false);
}
void FRINTZ_float(Cpu& cpu, uint32_t insn) {
  frint<pat::FRINTZ_float>(cpu, insn, fpu::Rounding::Zero, false);
}
void FRINTA_float(Cpu& cpu, uint32_t insn) {
  frint<pat::FRINTA_float>(cpu, insn, fpu::Rounding::TieAway, false);
}
void FRINTX_float(Cpu& cpu, uint32_t insn) {
  frint<pat::FRINTX_float>(cpu, insn, fpu::rounding_of(cpu.fpcr), true);
}
void FRINTI_float(Cpu& cpu, uint32_t insn) {
  frint<pat::FRINTI_float>(cpu, insn, fpu::rounding_of(cpu.fpcr), false);
}

// --- 2 source ---

namespace {

template <const Pattern& P, class Op> void binary(Cpu& cpu, uint32_t insn, Op op) {
  const Fields<P> f{insn};
  by_ftype(cpu, insn, f.template u<'t'>(), [&](auto t) {
    using T = decltype(t);
    const T a = vget<T>(cpu, f.template u<'n'>()), b = vget<T>(cpu, f.template u<'m'>());
    vset(cpu, f.template u<'d'>(), op(a, b));
  });
}

}  // namespace

#define XVM_FP_BINARY(name, fn)                                                    \
  void name(Cpu& cpu, uint32_t insn) {                                             \
    binary<pat::name>(cpu, insn,                                                   \
                      [&](auto a, auto b) { return fpu::fn(a, b, cpu.fpcr, cpu.fpsr); }); \
  }
XVM_FP_BINARY(FMUL_float, mul)
XVM_FP_BINARY(FDIV_float, div)
XVM_FP_BINARY(FADD_float, add)
XVM_FP_BINARY(FSUB_float, sub)
XVM_FP_BINARY(FMAX_float, max)
XVM_FP_BINARY(FMIN_float, min)
XVM_FP_BINARY(FMAXNM_float, max_num)
XVM_FP_BINARY(FMINNM_float, min_num)
#undef XVM_FP_BINARY

// FNMUL negates the rounded product, so a NaN result comes out with its sign flipped too.
void FNMUL_float(Cpu& cpu, uint32_t insn) {
  binary<pat::FNMUL_float>(
      cpu, insn, [&](auto a, auto b) { return fpu::neg(fpu::mul(a, b, cpu.fpcr, cpu.fpsr)); });
}

// --- 3 source: FPMulAdd(Ra', Rn', Rm) with Ra negated by FNMADD/FNMSUB and Rn by FMSUB/FNMADD
// (Arm ARM C7.2 FMADD..FNMSUB: the negations are FPNeg on the operands, NaNs included). ---

namespace {

template <const Pattern& P>
void fused(Cpu& cpu, uint32_t insn, bool negate_addend, bool negate_op1) {
  const Fields<P> f{insn};
  by_ftype(cpu, insn, f.template u<'t'>(), [&](auto t) {
    using T = decltype(t);
    T a = vget<T>(cpu, f.template u<'a'>()), n = vget<T>(cpu, f.template u<'n'>());
    const T m = vget<T>(cpu, f.template u<'m'>());
    if (negate_addend) a = fpu::neg(a);
    if (negate_op1) n = fpu::neg(n);
    vset(cpu, f.template u<'d'>(), fpu::mul_add(a, n, m, cpu.fpcr, cpu.fpsr));
  });
}

}  // namespace

void FMADD_float(Cpu& cpu, uint32_t insn) { fused<pat::FMADD_float>(cpu, insn, false, false); }
void FMSUB_float(Cpu& cpu, uint32_t insn) { fused<pat::FMSUB_float>(cpu, insn, false, true); }
void FNMADD_float(Cpu& cpu, uint32_t insn) { fused<pat::FNMADD_float>(cpu, insn, true, true); }
void FNMSUB_float(Cpu& cpu, uint32_t insn) { fused<pat::FNMSUB_float>(cpu, insn, true, false); }

}  // namespace xvm::arm64::interp
