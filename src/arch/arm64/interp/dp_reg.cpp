// Data processing -- register (Arm ARM C4.1), the two-operand ALU part: logical and
// add/subtract with shifted or extended register, add/subtract with carry, conditional compare
// and conditional select. The 1/2/3-source classes are in dp_reg_source.cpp.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {
namespace {

uint64_t trunc(uint64_t v, bool is64) {
  return is64 ? v : static_cast<uint32_t>(v);
}

// Arm ARM J1 "ShiftReg": LSL, LSR, ASR, ROR of a datasize-bit value; amount < datasize.
uint64_t shift_reg(uint64_t v, unsigned type, unsigned amount, bool is64) {
  v = trunc(v, is64);
  if (amount == 0) return v;
  const unsigned size = is64 ? 64 : 32;
  switch (type) {
    case 0:
      return trunc(v << amount, is64);
    case 1:
      return v >> amount;
    case 2:
      return is64 ? static_cast<uint64_t>(static_cast<int64_t>(v) >> amount)
                  : static_cast<uint32_t>(static_cast<int32_t>(v) >> amount);
    default:
      return trunc((v >> amount) | (v << (size - amount)), is64);
  }
}

// Operand 2 of a shifted-register form: imm6 >= 32 with sf = 0 is UNDEF, and so is shift
// type ROR (11) where the encoding does not allow it (add/subtract).
template <const Pattern& P>
uint64_t shifted_operand(Cpu& cpu, uint32_t insn, bool ror_allowed) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const unsigned type = f.template u<'h'>(), amount = f.template u<'i'>();
  if ((!is64 && amount >= 32) || (!ror_allowed && type == 3)) undefined(cpu, insn);
  return shift_reg(cpu.xr(f.template u<'m'>()), type, amount, is64);
}

// Logical (shifted register). op: 0 AND, 1 ORR, 2 EOR, 3 ANDS; invert is the N bit (BIC,
// ORN, EON, BICS). All registers are XZR-based.
template <const Pattern& P>
void logical_shift(Cpu& cpu, uint32_t insn, int op, bool invert) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  uint64_t m = shifted_operand<P>(cpu, insn, true);
  if (invert) m = ~m;
  const uint64_t n = cpu.xr(f.template u<'n'>());
  uint64_t r;
  switch (op) {
    case 1:
      r = n | m;
      break;
    case 2:
      r = n ^ m;
      break;
    default:
      r = n & m;
      break;
  }
  r = trunc(r, is64);
  if (op == 3) cpu.nzcv = make_nzcv(bit(r, is64 ? 63 : 31), r == 0, false, false);
  cpu.set_xr(f.template u<'d'>(), r);
}

template <const Pattern& P>
void add_sub_shift(Cpu& cpu, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const uint64_t m = shifted_operand<P>(cpu, insn, false);
  uint32_t nzcv;
  const uint64_t r = add_with_carry(cpu.xr(f.template u<'n'>()), sub ? ~m : m, sub, is64, &nzcv);
  if (set_flags) cpu.nzcv = nzcv;
  cpu.set_xr(f.template u<'d'>(), r);
}

// Arm ARM J1 "ExtendReg": option selects UXTB..UXTX / SXTB..SXTX of Rm, then LSL #imm3
// (imm3 > 4 is reserved). Rn and, without S, Rd are SP-based; Rm is XZR-based.
template <const Pattern& P>
void add_sub_ext(Cpu& cpu, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const unsigned option = f.template u<'o'>(), shift = f.template u<'i'>();
  if (shift > 4) undefined(cpu, insn);
  const unsigned len = 8u << (option & 3);
  uint64_t m = cpu.xr(f.template u<'m'>());
  m = (option & 4) ? static_cast<uint64_t>(sign_extend(m, len)) : (m & ones(len));
  m <<= shift;
  uint32_t nzcv;
  const uint64_t r = add_with_carry(cpu.xsp(f.template u<'n'>()), sub ? ~m : m, sub, is64, &nzcv);
  if (set_flags) {
    cpu.nzcv = nzcv;
    cpu.set_xr(f.template u<'d'>(), r);
  } else {
    cpu.set_xsp(f.template u<'d'>(), r);
  }
}

template <const Pattern& P>
void add_sub_carry(Cpu& cpu, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const uint64_t m = cpu.xr(f.template u<'m'>());
  uint32_t nzcv;
  const uint64_t r =
      add_with_carry(cpu.xr(f.template u<'n'>()), sub ? ~m : m, bit(cpu.nzcv, 29), is64, &nzcv);
  if (set_flags) cpu.nzcv = nzcv;
  cpu.set_xr(f.template u<'d'>(), r);
}

// Arm ARM C6.2 CCMN/CCMP: if cond holds, the flags of Rn + op2 (CCMN) or Rn - op2 (CCMP),
// else the immediate nzcv. op2 is Rm (register form) or imm5 (immediate form).
template <const Pattern& P>
void cond_compare(Cpu& cpu, uint32_t insn, uint64_t op2, bool sub) {
  const Fields<P> f{insn};
  if (!condition_holds(cpu, f.template u<'c'>())) {
    cpu.nzcv = f.template u<'f'>() << 28;
    return;
  }
  uint32_t nzcv;
  add_with_carry(cpu.xr(f.template u<'n'>()), sub ? ~op2 : op2, sub, f.template u<'s'>(), &nzcv);
  cpu.nzcv = nzcv;
}

// Arm ARM C6.2 CSEL/CSINC/CSINV/CSNEG: Rn if cond holds, else Rm, Rm + 1, NOT Rm or -Rm.
template <const Pattern& P>
void cond_select(Cpu& cpu, uint32_t insn, bool invert, bool increment) {
  const Fields<P> f{insn};
  uint64_t r;
  if (condition_holds(cpu, f.template u<'c'>())) {
    r = cpu.xr(f.template u<'n'>());
  } else {
    r = cpu.xr(f.template u<'m'>());
    if (invert) r = ~r;
    if (increment) r += 1;
  }
  cpu.set_xr(f.template u<'d'>(), trunc(r, f.template u<'s'>()));
}

}  // namespace

void AND_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::AND_shift>(cpu, insn, 0, false);
}
void BIC_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::BIC_shift>(cpu, insn, 0, true);
}
void ORR_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::ORR_shift>(cpu, insn, 1, false);
}
void ORN_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::ORN_shift>(cpu, insn, 1, true);
}
void EOR_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::EOR_shift>(cpu, insn, 2, false);
}
void EON_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::EON_shift>(cpu, insn, 2, true);
}
void ANDS_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::ANDS_shift>(cpu, insn, 3, false);
}
void BICS_shift(Cpu& cpu, uint32_t insn) {
  logical_shift<pat::BICS_shift>(cpu, insn, 3, true);
}

void ADD_shift(Cpu& cpu, uint32_t insn) {
  add_sub_shift<pat::ADD_shift>(cpu, insn, false, false);
}
void ADDS_shift(Cpu& cpu, uint32_t insn) {
  add_sub_shift<pat::ADDS_shift>(cpu, insn, false, true);
}
void SUB_shift(Cpu& cpu, uint32_t insn) {
  add_sub_shift<pat::SUB_shift>(cpu, insn, true, false);
}
void SUBS_shift(Cpu& cpu, uint32_t insn) {
  add_sub_shift<pat::SUBS_shift>(cpu, insn, true, true);
}

void ADD_ext(Cpu& cpu, uint32_t insn) {
  add_sub_ext<pat::ADD_ext>(cpu, insn, false, false);
}
void ADDS_ext(Cpu& cpu, uint32_t insn) {
  add_sub_ext<pat::ADDS_ext>(cpu, insn, false, true);
}
void SUB_ext(Cpu& cpu, uint32_t insn) {
  add_sub_ext<pat::SUB_ext>(cpu, insn, true, false);
}
void SUBS_ext(Cpu& cpu, uint32_t insn) {
  add_sub_ext<pat::SUBS_ext>(cpu, insn, true, true);
}

void ADC(Cpu& cpu, uint32_t insn) {
  add_sub_carry<pat::ADC>(cpu, insn, false, false);
}
void ADCS(Cpu& cpu, uint32_t insn) {
  add_sub_carry<pat::ADCS>(cpu, insn, false, true);
}
void SBC(Cpu& cpu, uint32_t insn) {
  add_sub_carry<pat::SBC>(cpu, insn, true, false);
}
void SBCS(Cpu& cpu, uint32_t insn) {
  add_sub_carry<pat::SBCS>(cpu, insn, true, true);
}

void CCMN_reg(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CCMN_reg> f{insn};
  cond_compare<pat::CCMN_reg>(cpu, insn, cpu.xr(f.u<'m'>()), false);
}
void CCMN_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CCMN_imm> f{insn};
  cond_compare<pat::CCMN_imm>(cpu, insn, f.u<'i'>(), false);
}
void CCMP_reg(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CCMP_reg> f{insn};
  cond_compare<pat::CCMP_reg>(cpu, insn, cpu.xr(f.u<'m'>()), true);
}
void CCMP_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CCMP_imm> f{insn};
  cond_compare<pat::CCMP_imm>(cpu, insn, f.u<'i'>(), true);
}

void CSEL(Cpu& cpu, uint32_t insn) {
  cond_select<pat::CSEL>(cpu, insn, false, false);
}
void CSINC(Cpu& cpu, uint32_t insn) {
  cond_select<pat::CSINC>(cpu, insn, false, true);
}
void CSINV(Cpu& cpu, uint32_t insn) {
  cond_select<pat::CSINV>(cpu, insn, true, false);
}
void CSNEG(Cpu& cpu, uint32_t insn) {
  cond_select<pat::CSNEG>(cpu, insn, true, true);
}

}  // namespace xvm::arm64::interp
