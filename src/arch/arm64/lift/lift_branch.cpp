// Lifting branches (Arm ARM C4.1.65): every one ends the block with an IR exit. Fixed targets
// become ExitConst/ExitCond (linkable), register targets ExitIndirect.
#include "arch/arm64/lift/lifter.h"

namespace xvm::arm64::lift {
namespace {

using ir::Opcode;
using ir::Temp;

void exit_const(Lifter& L, uint64_t target) {
  L.b.emit({.op = Opcode::ExitConst, .imm = target});
  L.ended = true;
}

// Branches to `taken` when `c` is non-zero, else to `not_taken`. In a trace, a side of the
// branch that is the next instruction is fallen through to (ExitIf for the other side).
void exit_cond(Lifter& L, Temp c, uint64_t taken, uint64_t not_taken) {
  const uint64_t next = L.pc + 4;
  if (L.continue_past_branches && taken != not_taken && (taken == next || not_taken == next)) {
    const bool leave_if_zero = taken == next;
    L.b.emit({.op = Opcode::ExitIf, .aux = uint8_t(leave_if_zero),
              .a = {c, ir::kNoTemp, ir::kNoTemp}, .imm = leave_if_zero ? not_taken : taken});
    return;
  }
  L.b.emit({.op = Opcode::ExitCond, .a = {c, ir::kNoTemp, ir::kNoTemp}, .imm = taken,
            .imm2 = not_taken});
  L.ended = true;
}

void exit_indirect(Lifter& L, Temp target) {
  L.b.emit({.op = Opcode::ExitIndirect, .a = {target, ir::kNoTemp, ir::kNoTemp}});
  L.ended = true;
}

uint64_t rel(Lifter& L, int64_t words) { return L.pc + static_cast<uint64_t>(words * 4); }

// The value of Rt for CBZ/CBNZ: the W register zero-extended when sf = 0.
template <const Pattern& P>
Temp cb_value(Lifter& L, uint32_t insn) {
  const Fields<P> f{insn};
  const Temp v = L.x(f.template u<'t'>());
  return f.template u<'s'>() ? v : L.zext32(v);
}

// Bit b5:b40 of Rt for TBZ/TBNZ.
template <const Pattern& P>
Temp tb_bit(Lifter& L, uint32_t insn) {
  const Fields<P> f{insn};
  const unsigned bit = (f.template u<'b'>() << 5) | f.template u<'c'>();
  const Temp v = L.op(Opcode::Lsr, 64, L.x(f.template u<'t'>()), L.k(bit));
  return L.op(Opcode::And, 64, v, L.k(1));
}

}  // namespace

bool B_uncond(Lifter& L, uint32_t insn) {
  exit_const(L, rel(L, Fields<pat::B_uncond>{insn}.s<'i'>()));
  return true;
}

bool BL(Lifter& L, uint32_t insn) {
  L.set_x(30, L.k(L.pc + 4));
  exit_const(L, rel(L, Fields<pat::BL>{insn}.s<'i'>()));
  return true;
}

bool BR(Lifter& L, uint32_t insn) {
  exit_indirect(L, L.x(Fields<pat::BR>{insn}.u<'n'>()));
  return true;
}

bool BLR(Lifter& L, uint32_t insn) {
  const Temp target = L.x(Fields<pat::BLR>{insn}.u<'n'>());  // read before X30 is written
  L.set_x(30, L.k(L.pc + 4));
  exit_indirect(L, target);
  return true;
}

bool RET(Lifter& L, uint32_t insn) {
  exit_indirect(L, L.x(Fields<pat::RET>{insn}.u<'n'>()));
  return true;
}

bool B_cond(Lifter& L, uint32_t insn) {
  const Fields<pat::B_cond> f{insn};
  const Temp c = L.b.op1(Opcode::CondHolds, 64, L.b.get_nzcv(), uint8_t(f.u<'c'>()));
  exit_cond(L, c, rel(L, f.s<'i'>()), L.pc + 4);
  return true;
}

// CBZ branches when the value is zero: ExitCond on the value itself with the targets swapped.
bool CBZ(Lifter& L, uint32_t insn) {
  exit_cond(L, cb_value<pat::CBZ>(L, insn), L.pc + 4, rel(L, Fields<pat::CBZ>{insn}.s<'i'>()));
  return true;
}

bool CBNZ(Lifter& L, uint32_t insn) {
  exit_cond(L, cb_value<pat::CBNZ>(L, insn), rel(L, Fields<pat::CBNZ>{insn}.s<'i'>()), L.pc + 4);
  return true;
}

bool TBZ(Lifter& L, uint32_t insn) {
  exit_cond(L, tb_bit<pat::TBZ>(L, insn), L.pc + 4, rel(L, Fields<pat::TBZ>{insn}.s<'i'>()));
  return true;
}

bool TBNZ(Lifter& L, uint32_t insn) {
  exit_cond(L, tb_bit<pat::TBNZ>(L, insn), rel(L, Fields<pat::TBNZ>{insn}.s<'i'>()), L.pc + 4);
  return true;
}

bool NOP(Lifter&, uint32_t) { return true; }

// MRS/MSR of the registers user code touches in loops: TPIDR_EL0 (thread pointer) and, for
// MRS, NZCV. Every other system register is declined (the handler has the full list).
namespace {
constexpr uint32_t kSysTpidrEl0 = 0b11'011'1101'0000'010, kSysNzcv = 0b11'011'0100'0010'000;
template <const Pattern& P>
uint32_t sysreg(uint32_t insn) {
  const Fields<P> f{insn};
  return (2 + f.template u<'o'>()) << 14 | f.template u<'p'>() << 11 | f.template u<'k'>() << 7 |
         f.template u<'m'>() << 3 | f.template u<'q'>();
}
}  // namespace

bool MRS(Lifter& L, uint32_t insn) {
  const unsigned t = Fields<pat::MRS>{insn}.u<'t'>();
  switch (sysreg<pat::MRS>(insn)) {
    case kSysTpidrEl0:
      L.set_x(t, L.b.emit({.op = Opcode::GetSysReg, .aux = uint8_t(ir::SysReg::TpidrEl0)}));
      return true;
    case kSysNzcv:
      L.set_x(t, L.op(Opcode::And, 64, L.b.get_nzcv(), L.k(0xf0000000u)));
      return true;
    default:
      return false;
  }
}

bool MSR_reg(Lifter& L, uint32_t insn) {
  if (sysreg<pat::MSR_reg>(insn) != kSysTpidrEl0) return false;
  L.b.emit({.op = Opcode::SetSysReg, .aux = uint8_t(ir::SysReg::TpidrEl0),
            .a = {L.x(Fields<pat::MSR_reg>{insn}.u<'t'>()), ir::kNoTemp, ir::kNoTemp}});
  return true;
}

}  // namespace xvm::arm64::lift
