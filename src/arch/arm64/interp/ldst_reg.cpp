// Load/store register (register offset), general-purpose registers (Arm ARM C4.1.88):
// address = Rn|SP + ExtendReg(Rm, option) << (S ? log2(size) : 0).
#include "arch/arm64/interp/ldst_common.h"

namespace xvm::arm64::interp {

void STRB_reg(Cpu& cpu, uint32_t insn) {
  RegOff<pat::STRB_reg, StB>::run(cpu, insn);
}

void LDRB_reg(Cpu& cpu, uint32_t insn) {
  RegOff<pat::LDRB_reg, LdB>::run(cpu, insn);
}

void LDRSB_reg(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDRSB_reg>{insn}.u<'c'>();
  run_either<RegOff, pat::LDRSB_reg, LdSBW, LdSBX>(w, cpu, insn);
}

void STRH_reg(Cpu& cpu, uint32_t insn) {
  RegOff<pat::STRH_reg, StH>::run(cpu, insn);
}

void LDRH_reg(Cpu& cpu, uint32_t insn) {
  RegOff<pat::LDRH_reg, LdH>::run(cpu, insn);
}

void LDRSH_reg(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDRSH_reg>{insn}.u<'c'>();
  run_either<RegOff, pat::LDRSH_reg, LdSHW, LdSHX>(w, cpu, insn);
}

void STR_reg(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::STR_reg>{insn}.u<'s'>();
  run_either<RegOff, pat::STR_reg, StX, StW>(x, cpu, insn);
}

void LDR_reg(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::LDR_reg>{insn}.u<'s'>();
  run_either<RegOff, pat::LDR_reg, LdX, LdW>(x, cpu, insn);
}

void LDRSW_reg(Cpu& cpu, uint32_t insn) {
  RegOff<pat::LDRSW_reg, LdSW>::run(cpu, insn);
}

void PRFM_reg(Cpu& cpu, uint32_t insn) {
  RegOff<pat::PRFM_reg, Prefetch>::run(cpu, insn);
}

}  // namespace xvm::arm64::interp
