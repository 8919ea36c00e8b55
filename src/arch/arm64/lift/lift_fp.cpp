// Lifting scalar floating-point data processing (Arm ARM C4.1.96) and FMOV (general). The
// arithmetic becomes FpOp/FpCmp, which the backend computes on the host in the common case and
// hands to the interpreter handler (L.entry->handler) otherwise; ftype 10/11 (UNDEF on
// ARMv8.0 without FP16) is declined, so the handler raises it.
#include "arch/arm64/lift/lifter.h"

namespace xvm::arm64::lift {
namespace {

using ir::FpKind;
using ir::Opcode;

// Bytes of ftype t (00 single, 01 double), 0 for the encodings the lifter leaves alone.
unsigned ftype_bytes(unsigned t) { return t == 0 ? 4 : t == 1 ? 8 : 0; }

bool fp_op(Lifter& L, uint32_t insn, unsigned ftype, FpKind kind, uint64_t regs) {
  const unsigned bytes = ftype_bytes(ftype);
  if (!bytes) return false;
  L.b.emit({.op = Opcode::FpOp, .width = uint8_t(bytes), .aux = uint8_t(kind),
            .imm = regs | uint64_t{insn} << 32,
            .imm2 = reinterpret_cast<uint64_t>(L.entry->handler)});
  return true;
}

template <const Pattern& P>
bool one_source(Lifter& L, uint32_t insn, FpKind kind) {
  const Fields<P> f{insn};
  return fp_op(L, insn, f.template u<'t'>(), kind, ir::fp_regs(f.template u<'d'>(), f.template u<'n'>()));
}

template <const Pattern& P>
bool two_source(Lifter& L, uint32_t insn, FpKind kind) {
  const Fields<P> f{insn};
  return fp_op(L, insn, f.template u<'t'>(), kind,
               ir::fp_regs(f.template u<'d'>(), f.template u<'n'>(), f.template u<'m'>()));
}

template <const Pattern& P>
bool three_source(Lifter& L, uint32_t insn, FpKind kind) {
  const Fields<P> f{insn};
  return fp_op(L, insn, f.template u<'t'>(), kind,
               ir::fp_regs(f.template u<'d'>(), f.template u<'n'>(), f.template u<'m'>(),
                           f.template u<'a'>()));
}

template <const Pattern& P>
bool compare(Lifter& L, uint32_t insn, bool signalling) {
  const Fields<P> f{insn};
  const unsigned bytes = ftype_bytes(f.template u<'t'>());
  if (!bytes) return false;
  const uint8_t aux = uint8_t((signalling ? 1 : 0) | (f.template u<'z'>() ? 2 : 0));
  const ir::Temp nzcv = L.b.emit({.op = Opcode::FpCmp, .width = uint8_t(bytes), .aux = aux,
                                  .imm = ir::fp_regs(0, f.template u<'n'>(), f.template u<'m'>()) |
                                         uint64_t{insn} << 32,
                                  .imm2 = reinterpret_cast<uint64_t>(L.entry->handler)});
  L.b.set_nzcv(nzcv);
  return true;
}

}  // namespace

// clang-format off
bool FMOV_float(Lifter& L, uint32_t i) { return one_source<pat::FMOV_float>(L, i, FpKind::Mov); }
bool FABS_float(Lifter& L, uint32_t i) { return one_source<pat::FABS_float>(L, i, FpKind::Abs); }
bool FNEG_float(Lifter& L, uint32_t i) { return one_source<pat::FNEG_float>(L, i, FpKind::Neg); }
bool FSQRT_float(Lifter& L, uint32_t i) { return one_source<pat::FSQRT_float>(L, i, FpKind::Sqrt); }
bool FADD_float(Lifter& L, uint32_t i) { return two_source<pat::FADD_float>(L, i, FpKind::Add); }
bool FSUB_float(Lifter& L, uint32_t i) { return two_source<pat::FSUB_float>(L, i, FpKind::Sub); }
bool FMUL_float(Lifter& L, uint32_t i) { return two_source<pat::FMUL_float>(L, i, FpKind::Mul); }
bool FDIV_float(Lifter& L, uint32_t i) { return two_source<pat::FDIV_float>(L, i, FpKind::Div); }
bool FNMUL_float(Lifter& L, uint32_t i) { return two_source<pat::FNMUL_float>(L, i, FpKind::NMul); }
bool FMADD_float(Lifter& L, uint32_t i) { return three_source<pat::FMADD_float>(L, i, FpKind::MAdd); }
bool FMSUB_float(Lifter& L, uint32_t i) { return three_source<pat::FMSUB_float>(L, i, FpKind::MSub); }
bool FNMADD_float(Lifter& L, uint32_t i) { return three_source<pat::FNMADD_float>(L, i, FpKind::NMAdd); }
bool FNMSUB_float(Lifter& L, uint32_t i) { return three_source<pat::FNMSUB_float>(L, i, FpKind::NMSub); }
bool FCMP_float(Lifter& L, uint32_t i) { return compare<pat::FCMP_float>(L, i, false); }
bool FCMPE_float(Lifter& L, uint32_t i) { return compare<pat::FCMPE_float>(L, i, true); }
// clang-format on

// FMOV between a general-purpose register and (part of) a SIMD&FP register: W<->S, X<->D and
// X<->V.D[1] (writes of S/D zero the rest of the register, D[1] keeps the low half).
bool FMOV_float_gen(Lifter& L, uint32_t insn) {
  const Fields<pat::FMOV_float_gen> f{insn};
  const unsigned key = (f.u<'s'>() << 4) | (f.u<'t'>() << 2) | f.u<'r'>();
  const unsigned n = f.u<'n'>(), d = f.u<'d'>();
  unsigned bytes, offset;
  switch (key) {
    case 0b0'00'00: bytes = 4; offset = 0; break;
    case 0b1'01'00: bytes = 8; offset = 0; break;
    case 0b1'10'01: bytes = 8; offset = 8; break;
    default: return false;
  }
  if (f.u<'o'>()) {
    L.b.emit({.op = Opcode::VSet, .width = uint8_t(bytes), .aux = uint8_t(d),
              .a = {L.x(n), ir::kNoTemp, ir::kNoTemp}, .imm = offset});
  } else {
    L.set_x(d, L.b.emit({.op = Opcode::VGet, .width = uint8_t(bytes), .aux = uint8_t(n),
                         .imm = offset}));
  }
  return true;
}

}  // namespace xvm::arm64::lift
