// Load/store of one SIMD&FP register (Arm ARM C4.1.88): LDR/STR B/H/S/D/Q with unsigned offset,
// pre-/post-index, unscaled (LDUR/STUR), register offset and, for S/D/Q, PC-relative literal.
#include "arch/arm64/interp/ldst_common.h"

namespace xvm::arm64::interp {
namespace {

using u128 = unsigned __int128;

// Runs Form with the access size chosen by size (field z) and opc<1> (field q), per the Arm
// ARM "LDR (immediate, SIMD&FP)" decode: opc<1> == 0 gives B/H/S/D by size, opc<1> == 1 with
// size 00 is Q, and opc<1> == 1 with any other size is UNDEFINED.
template <template <const Pattern&, class> class Form, const Pattern& P, bool kLoad>
void run_sized(Cpu& cpu, uint32_t insn) {
  const Fields<P> f{insn};
  const unsigned size = f.template u<'z'>();
  if (f.template u<'q'>()) {
    if (size != 0) undefined(cpu, insn);
    return Form<P, VecOp<u128, kLoad>>::run(cpu, insn);
  }
  switch (size) {
    case 0:
      return Form<P, VecOp<uint8_t, kLoad>>::run(cpu, insn);
    case 1:
      return Form<P, VecOp<uint16_t, kLoad>>::run(cpu, insn);
    case 2:
      return Form<P, VecOp<uint32_t, kLoad>>::run(cpu, insn);
    default:
      return Form<P, VecOp<uint64_t, kLoad>>::run(cpu, insn);
  }
}

}  // namespace

void STR_imm_simd(Cpu& cpu, uint32_t insn) {
  run_sized<UImm, pat::STR_imm_simd, false>(cpu, insn);
}
void LDR_imm_simd(Cpu& cpu, uint32_t insn) {
  run_sized<UImm, pat::LDR_imm_simd, true>(cpu, insn);
}

void STR_imm_wb_simd(Cpu& cpu, uint32_t insn) {
  run_sized<ImmWb, pat::STR_imm_wb_simd, false>(cpu, insn);
}
void LDR_imm_wb_simd(Cpu& cpu, uint32_t insn) {
  run_sized<ImmWb, pat::LDR_imm_wb_simd, true>(cpu, insn);
}

void STUR_simd(Cpu& cpu, uint32_t insn) {
  run_sized<Unscaled, pat::STUR_simd, false>(cpu, insn);
}
void LDUR_simd(Cpu& cpu, uint32_t insn) {
  run_sized<Unscaled, pat::LDUR_simd, true>(cpu, insn);
}

void STR_reg_simd(Cpu& cpu, uint32_t insn) {
  run_sized<RegOff, pat::STR_reg_simd, false>(cpu, insn);
}
void LDR_reg_simd(Cpu& cpu, uint32_t insn) {
  run_sized<RegOff, pat::LDR_reg_simd, true>(cpu, insn);
}

// Arm ARM "LDR (literal, SIMD&FP)": opc 00 S, 01 D, 10 Q, 11 UNDEFINED.
void LDR_lit_simd(Cpu& cpu, uint32_t insn) {
  switch (Fields<pat::LDR_lit_simd>{insn}.u<'z'>()) {
    case 0:
      return Literal<pat::LDR_lit_simd, VecOp<uint32_t, true>>::run(cpu, insn);
    case 1:
      return Literal<pat::LDR_lit_simd, VecOp<uint64_t, true>>::run(cpu, insn);
    case 2:
      return Literal<pat::LDR_lit_simd, VecOp<u128, true>>::run(cpu, insn);
    default:
      undefined(cpu, insn);
  }
}

}  // namespace xvm::arm64::interp
