// Load/store register, immediate offsets (Arm ARM C4.1.88): unsigned offset, pre-/post-index,
// unscaled (LDUR/STUR), unprivileged (LDTR/STTR) and PC-relative literal, for the
// general-purpose registers. The SIMD&FP forms are in ldst_simd.cpp.
#include "arch/arm64/interp/ldst_common.h"

namespace xvm::arm64::interp {

// --- Unsigned offset (imm12 scaled by the access size) ---

void STRB_imm(Cpu& cpu, uint32_t insn) {
  UImm<pat::STRB_imm, StB>::run(cpu, insn);
}

void LDRB_imm(Cpu& cpu, uint32_t insn) {
  UImm<pat::LDRB_imm, LdB>::run(cpu, insn);
}

void LDRSB_imm(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDRSB_imm>{insn}.u<'c'>();
  run_either<UImm, pat::LDRSB_imm, LdSBW, LdSBX>(w, cpu, insn);
}

void STRH_imm(Cpu& cpu, uint32_t insn) {
  UImm<pat::STRH_imm, StH>::run(cpu, insn);
}

void LDRH_imm(Cpu& cpu, uint32_t insn) {
  UImm<pat::LDRH_imm, LdH>::run(cpu, insn);
}

void LDRSH_imm(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDRSH_imm>{insn}.u<'c'>();
  run_either<UImm, pat::LDRSH_imm, LdSHW, LdSHX>(w, cpu, insn);
}

void STR_imm(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::STR_imm>{insn}.u<'s'>();
  run_either<UImm, pat::STR_imm, StX, StW>(x, cpu, insn);
}

void LDR_imm(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::LDR_imm>{insn}.u<'s'>();
  run_either<UImm, pat::LDR_imm, LdX, LdW>(x, cpu, insn);
}

void LDRSW_imm(Cpu& cpu, uint32_t insn) {
  UImm<pat::LDRSW_imm, LdSW>::run(cpu, insn);
}

void PRFM_imm(Cpu& cpu, uint32_t insn) {
  UImm<pat::PRFM_imm, Prefetch>::run(cpu, insn);
}

// --- Pre-/post-index (imm9, unscaled, with writeback) ---

void STRB_imm_wb(Cpu& cpu, uint32_t insn) {
  ImmWb<pat::STRB_imm_wb, StB>::run(cpu, insn);
}

void LDRB_imm_wb(Cpu& cpu, uint32_t insn) {
  ImmWb<pat::LDRB_imm_wb, LdB>::run(cpu, insn);
}

void LDRSB_imm_wb(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDRSB_imm_wb>{insn}.u<'c'>();
  run_either<ImmWb, pat::LDRSB_imm_wb, LdSBW, LdSBX>(w, cpu, insn);
}

void STRH_imm_wb(Cpu& cpu, uint32_t insn) {
  ImmWb<pat::STRH_imm_wb, StH>::run(cpu, insn);
}

void LDRH_imm_wb(Cpu& cpu, uint32_t insn) {
  ImmWb<pat::LDRH_imm_wb, LdH>::run(cpu, insn);
}

void LDRSH_imm_wb(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDRSH_imm_wb>{insn}.u<'c'>();
  run_either<ImmWb, pat::LDRSH_imm_wb, LdSHW, LdSHX>(w, cpu, insn);
}

void STR_imm_wb(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::STR_imm_wb>{insn}.u<'s'>();
  run_either<ImmWb, pat::STR_imm_wb, StX, StW>(x, cpu, insn);
}

void LDR_imm_wb(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::LDR_imm_wb>{insn}.u<'s'>();
  run_either<ImmWb, pat::LDR_imm_wb, LdX, LdW>(x, cpu, insn);
}

void LDRSW_imm_wb(Cpu& cpu, uint32_t insn) {
  ImmWb<pat::LDRSW_imm_wb, LdSW>::run(cpu, insn);
}

// --- Unscaled immediate (LDUR family) ---

void STURB(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::STURB, StB>::run(cpu, insn);
}

void LDURB(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::LDURB, LdB>::run(cpu, insn);
}

void LDURSB(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDURSB>{insn}.u<'c'>();
  run_either<Unscaled, pat::LDURSB, LdSBW, LdSBX>(w, cpu, insn);
}

void STURH(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::STURH, StH>::run(cpu, insn);
}

void LDURH(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::LDURH, LdH>::run(cpu, insn);
}

void LDURSH(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDURSH>{insn}.u<'c'>();
  run_either<Unscaled, pat::LDURSH, LdSHW, LdSHX>(w, cpu, insn);
}

void STUR(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::STUR>{insn}.u<'s'>();
  run_either<Unscaled, pat::STUR, StX, StW>(x, cpu, insn);
}

void LDUR(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::LDUR>{insn}.u<'s'>();
  run_either<Unscaled, pat::LDUR, LdX, LdW>(x, cpu, insn);
}

void LDURSW(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::LDURSW, LdSW>::run(cpu, insn);
}

void PRFUM(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::PRFUM, Prefetch>::run(cpu, insn);
}

// --- Unprivileged (LDTR family): xvm runs at EL0, where these are the ordinary accesses ---

void STTRB(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::STTRB, StB>::run(cpu, insn);
}

void LDTRB(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::LDTRB, LdB>::run(cpu, insn);
}

void LDTRSB(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDTRSB>{insn}.u<'c'>();
  run_either<Unscaled, pat::LDTRSB, LdSBW, LdSBX>(w, cpu, insn);
}

void STTRH(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::STTRH, StH>::run(cpu, insn);
}

void LDTRH(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::LDTRH, LdH>::run(cpu, insn);
}

void LDTRSH(Cpu& cpu, uint32_t insn) {
  const bool w = Fields<pat::LDTRSH>{insn}.u<'c'>();
  run_either<Unscaled, pat::LDTRSH, LdSHW, LdSHX>(w, cpu, insn);
}

void STTR(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::STTR>{insn}.u<'s'>();
  run_either<Unscaled, pat::STTR, StX, StW>(x, cpu, insn);
}

void LDTR(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::LDTR>{insn}.u<'s'>();
  run_either<Unscaled, pat::LDTR, LdX, LdW>(x, cpu, insn);
}

void LDTRSW(Cpu& cpu, uint32_t insn) {
  Unscaled<pat::LDTRSW, LdSW>::run(cpu, insn);
}

// --- Literal (PC + imm19 * 4) ---

void LDR_lit(Cpu& cpu, uint32_t insn) {
  const bool x = Fields<pat::LDR_lit>{insn}.u<'s'>();
  run_either<Literal, pat::LDR_lit, LdX, LdW>(x, cpu, insn);
}

void LDRSW_lit(Cpu& cpu, uint32_t insn) {
  Literal<pat::LDRSW_lit, LdSW>::run(cpu, insn);
}

void PRFM_lit(Cpu& cpu, uint32_t insn) {
  Literal<pat::PRFM_lit, Prefetch>::run(cpu, insn);
}

}  // namespace xvm::arm64::interp
