// Load/store register pair (Arm ARM C4.1.88): LDP/STP W/X, LDPSW, LDNP/STNP, and the SIMD&FP
// LDP/STP/LDNP/STNP S/D/Q, in post-index, signed-offset and pre-index forms (the no-allocate
// pairs have the signed offset only). Non-temporal hints change nothing here.
//
// CONSTRAINED UNPREDICTABLE choices (Arm ARM C6.2 LDP/STP, all as QEMU does): a load with
// Rt == Rt2 leaves the first element in a general-purpose Rt, the second in a SIMD&FP Vt;
// writeback with Rn == Rt or Rt2 on a load leaves Rn = the written-back address; a store with
// Rn == Rt stores the register's value from before the writeback.
#include "arch/arm64/interp/ldst_common.h"

namespace xvm::arm64::interp {
namespace {

using u128 = unsigned __int128;

// SIMD&FP pair sizes: opc 00 S, 01 D, 10 Q, 11 UNDEFINED.
template <const Pattern& P, bool kLoad, bool kNoAlloc>
void vec_pair(Cpu& cpu, uint32_t insn) {
  switch (Fields<P>{insn}.template u<'z'>()) {
    case 0:
      return Pair<P, VecOp<uint32_t, kLoad>, kNoAlloc>::run(cpu, insn);
    case 1:
      return Pair<P, VecOp<uint64_t, kLoad>, kNoAlloc>::run(cpu, insn);
    case 2:
      return Pair<P, VecOp<u128, kLoad>, kNoAlloc>::run(cpu, insn);
    default:
      undefined(cpu, insn);
  }
}

template <const Pattern& P, class Op1, class Op0, bool kNoAlloc>
void gpr_pair(Cpu& cpu, uint32_t insn) {
  if (Fields<P>{insn}.template u<'x'>())
    Pair<P, Op1, kNoAlloc>::run(cpu, insn);
  else
    Pair<P, Op0, kNoAlloc>::run(cpu, insn);
}

}  // namespace

void STP(Cpu& cpu, uint32_t insn) {
  gpr_pair<pat::STP, StX, StW, false>(cpu, insn);
}
void LDP(Cpu& cpu, uint32_t insn) {
  gpr_pair<pat::LDP, LdX, LdW, false>(cpu, insn);
}
void STNP(Cpu& cpu, uint32_t insn) {
  gpr_pair<pat::STNP, StX, StW, true>(cpu, insn);
}
void LDNP(Cpu& cpu, uint32_t insn) {
  gpr_pair<pat::LDNP, LdX, LdW, true>(cpu, insn);
}

// opc 01 with idx 00 would be a no-allocate LDPSW, which does not exist.
void LDPSW(Cpu& cpu, uint32_t insn) {
  if (Fields<pat::LDPSW>{insn}.u<'w'>() == 0) undefined(cpu, insn);
  Pair<pat::LDPSW, LdSW>::run(cpu, insn);
}

void STP_simd(Cpu& cpu, uint32_t insn) {
  vec_pair<pat::STP_simd, false, false>(cpu, insn);
}
void LDP_simd(Cpu& cpu, uint32_t insn) {
  vec_pair<pat::LDP_simd, true, false>(cpu, insn);
}
void STNP_simd(Cpu& cpu, uint32_t insn) {
  vec_pair<pat::STNP_simd, false, true>(cpu, insn);
}
void LDNP_simd(Cpu& cpu, uint32_t insn) {
  vec_pair<pat::LDNP_simd, true, true>(cpu, insn);
}

}  // namespace xvm::arm64::interp
