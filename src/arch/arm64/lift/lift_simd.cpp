// Lifting Advanced SIMD instructions that C library string and memory functions run in their
// loops (Arm ARM C4.1.97): CMEQ, UMINP/UMAXP on bytes, SHRN, the bitwise operations and
// selects, DUP (general). Reserved encodings and element sizes without a lowering are declined
// (they run through the interpreter handler).
#include "arch/arm64/lift/lifter.h"

namespace xvm::arm64::lift {
namespace {

using ir::Opcode;
using ir::VecKind;

void vec(Lifter& L, uint32_t insn, VecKind kind, unsigned bytes, uint64_t regs) {
  L.b.emit({.op = Opcode::VecOp, .width = uint8_t(bytes), .aux = uint8_t(kind),
            .imm = regs | uint64_t{insn} << 32,
            .imm2 = reinterpret_cast<uint64_t>(L.entry->handler)});
}

// Three registers of one element size (field s); size 11 with Q=0 is reserved. `bytes_only`:
// the lowering exists for byte elements only.
template <const Pattern& P>
bool three_same(Lifter& L, uint32_t insn, VecKind kind, bool bytes_only = false) {
  const Fields<P> f{insn};
  const unsigned size = f.template u<'s'>();
  if ((size == 3 && !f.template u<'Q'>()) || (bytes_only && size != 0)) return false;
  vec(L, insn, kind, 1u << size, ir::fp_regs(f.template u<'d'>(), f.template u<'n'>(), f.template u<'m'>()));
  return true;
}

template <const Pattern& P>
bool bitwise(Lifter& L, uint32_t insn, VecKind kind) {
  const Fields<P> f{insn};
  vec(L, insn, kind, 1, ir::fp_regs(f.template u<'d'>(), f.template u<'n'>(), f.template u<'m'>()));
  return true;
}

}  // namespace

// clang-format off
bool CMEQ_reg(Lifter& L, uint32_t i) { return three_same<pat::CMEQ_reg>(L, i, VecKind::CmEq); }
bool UMINP(Lifter& L, uint32_t i) { return three_same<pat::UMINP>(L, i, VecKind::UMinP, true); }
bool UMAXP(Lifter& L, uint32_t i) { return three_same<pat::UMAXP>(L, i, VecKind::UMaxP, true); }
bool AND_vec(Lifter& L, uint32_t i) { return bitwise<pat::AND_vec>(L, i, VecKind::And); }
bool BIC_vec_reg(Lifter& L, uint32_t i) { return bitwise<pat::BIC_vec_reg>(L, i, VecKind::Bic); }
bool ORR_vec_reg(Lifter& L, uint32_t i) { return bitwise<pat::ORR_vec_reg>(L, i, VecKind::Orr); }
bool ORN_vec(Lifter& L, uint32_t i) { return bitwise<pat::ORN_vec>(L, i, VecKind::Orn); }
bool EOR_vec(Lifter& L, uint32_t i) { return bitwise<pat::EOR_vec>(L, i, VecKind::Eor); }
bool BSL(Lifter& L, uint32_t i) { return bitwise<pat::BSL>(L, i, VecKind::Bsl); }
bool BIT(Lifter& L, uint32_t i) { return bitwise<pat::BIT>(L, i, VecKind::Bit); }
bool BIF(Lifter& L, uint32_t i) { return bitwise<pat::BIF>(L, i, VecKind::Bif); }
// clang-format on

bool CMEQ_zero(Lifter& L, uint32_t insn) {
  const Fields<pat::CMEQ_zero> f{insn};
  const unsigned size = f.u<'s'>();
  if (size == 3 && !f.u<'Q'>()) return false;
  vec(L, insn, VecKind::CmEqZero, 1u << size, ir::fp_regs(f.u<'d'>(), f.u<'n'>()));
  return true;
}

// SHRN/SHRN2: immh (the top four bits of i) gives the destination element size by its highest
// set bit (1: bytes from halfwords, 2-3: halfwords, 4-7: words; 8-15 reserved), and the shift
// is twice that size minus immh:immb.
bool SHRN(Lifter& L, uint32_t insn) {
  const Fields<pat::SHRN> f{insn};
  const unsigned i = f.u<'i'>(), immh = i >> 3;
  unsigned src_bytes;
  if (immh == 1) src_bytes = 2;
  else if (immh <= 3) src_bytes = 4;
  else if (immh <= 7) src_bytes = 8;
  else return false;
  const unsigned shift = 8 * src_bytes - i;
  vec(L, insn, VecKind::Shrn, src_bytes, ir::fp_regs(f.u<'d'>(), f.u<'n'>(), 0, shift));
  return true;
}

// DUP (general): the element size is the lowest set bit of imm5; 64-bit elements need Q=1.
bool DUP_gen(Lifter& L, uint32_t insn) {
  const Fields<pat::DUP_gen> f{insn};
  const unsigned imm5 = f.u<'i'>();
  const bool q = f.u<'Q'>();
  if ((imm5 & 0xf) == 0 || ((imm5 & 0xf) == 8 && !q)) return false;
  const unsigned bytes = 1u << __builtin_ctz(imm5);
  L.b.emit({.op = Opcode::VDup, .width = uint8_t(bytes), .aux = uint8_t(f.u<'d'>()),
            .a = {L.x(f.u<'n'>()), ir::kNoTemp, ir::kNoTemp}, .imm = q});
  return true;
}

}  // namespace xvm::arm64::lift
