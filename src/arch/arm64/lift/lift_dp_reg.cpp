// Lifting data processing -- register (Arm ARM C4.1.87). Reserved encodings are declined.
#include "arch/arm64/lift/lifter.h"

namespace xvm::arm64::lift {
namespace {

using ir::Opcode;
using ir::Temp;

constexpr Opcode kShift[4] = {Opcode::Lsl, Opcode::Lsr, Opcode::Asr, Opcode::Ror};

// Arm ARM J1 "ShiftReg" of Rm by an immediate amount.
Temp shifted(Lifter& L, unsigned m, unsigned type, unsigned amount, unsigned w) {
  const Temp v = L.x(m);
  return amount == 0 ? v : L.op(kShift[type], w, v, L.k(amount));
}

template <const Pattern& P>
bool logical_shift(Lifter& L, uint32_t insn, Opcode op, bool set_flags) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const unsigned amount = f.template u<'i'>();
  if (w == 32 && amount >= 32) return false;
  const Temp m = shifted(L, f.template u<'m'>(), f.template u<'h'>(), amount, w);
  const Temp r = L.op(op, w, L.x(f.template u<'n'>()), m);
  if (set_flags) L.b.set_nzcv(L.b.op1(Opcode::FlagsLogic, w, r));
  L.set_x(f.template u<'d'>(), r);
  return true;
}

template <const Pattern& P>
bool add_sub_shift(Lifter& L, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const unsigned type = f.template u<'h'>(), amount = f.template u<'i'>();
  if (type == 3 || (w == 32 && amount >= 32)) return false;
  const Temp n = L.x(f.template u<'n'>());
  const Temp m = shifted(L, f.template u<'m'>(), type, amount, w);
  const Temp r = L.op(sub ? Opcode::Sub : Opcode::Add, w, n, m);
  if (set_flags) L.b.set_nzcv(L.op(sub ? Opcode::FlagsSub : Opcode::FlagsAdd, w, n, m));
  L.set_x(f.template u<'d'>(), r);
  return true;
}

// Arm ARM J1 "ExtendReg": option picks UXTB..SXTX, then a left shift of 0..4.
template <const Pattern& P>
bool add_sub_ext(Lifter& L, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const unsigned option = f.template u<'o'>(), shift = f.template u<'i'>();
  if (shift > 4) return false;
  const unsigned bits = 8u << (option & 3);
  Temp m = L.x(f.template u<'m'>());
  if (bits < 64) m = L.b.op1((option & 4) ? Opcode::SExt : Opcode::ZExt, 64, m, uint8_t(bits));
  if (shift) m = L.op(Opcode::Lsl, 64, m, L.k(shift));
  const Temp n = L.xsp(f.template u<'n'>());
  const Temp r = L.op(sub ? Opcode::Sub : Opcode::Add, w, n, m);
  if (set_flags) {
    L.b.set_nzcv(L.op(sub ? Opcode::FlagsSub : Opcode::FlagsAdd, w, n, m));
    L.set_x(f.template u<'d'>(), r);
  } else {
    L.set_xsp(f.template u<'d'>(), r);
  }
  return true;
}

template <const Pattern& P>
bool add_sub_carry(Lifter& L, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const Temp n = L.x(f.template u<'n'>()), m = L.x(f.template u<'m'>());
  const Temp c = L.b.get_nzcv();
  const Temp r = L.b.op3(sub ? Opcode::Sbc : Opcode::Adc, w, n, m, c);
  if (set_flags) L.b.set_nzcv(L.b.op3(sub ? Opcode::FlagsSbc : Opcode::FlagsAdc, w, n, m, c));
  L.set_x(f.template u<'d'>(), r);
  return true;
}

// CCMP/CCMN: the comparison's flags when the condition holds, else the immediate nzcv.
template <const Pattern& P, bool kImm>
bool cond_compare(Lifter& L, uint32_t insn, bool sub) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const Temp n = L.x(f.template u<'n'>());
  Temp m;
  if constexpr (kImm) m = L.k(f.template u<'i'>());
  else m = L.x(f.template u<'m'>());
  const Temp flags = L.op(sub ? Opcode::FlagsSub : Opcode::FlagsAdd, w, n, m);
  const Temp holds = L.b.op1(Opcode::CondHolds, 64, L.b.get_nzcv(), uint8_t(f.template u<'c'>()));
  L.b.set_nzcv(L.b.op3(Opcode::Select, 64, holds, flags, L.k(uint64_t{f.template u<'f'>()} << 28)));
  return true;
}

template <const Pattern& P>
bool cond_select(Lifter& L, uint32_t insn, bool invert, bool increment) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  Temp m = L.x(f.template u<'m'>());
  if (invert && increment) m = L.op(Opcode::Sub, w, L.k(0), m);         // CSNEG
  else if (invert) m = L.op(Opcode::Xor, w, m, L.k(~uint64_t{0}));       // CSINV
  else if (increment) m = L.op(Opcode::Add, w, m, L.k(1));               // CSINC
  const Temp holds = L.b.op1(Opcode::CondHolds, 64, L.b.get_nzcv(), uint8_t(f.template u<'c'>()));
  L.set_x(f.template u<'d'>(), L.b.op3(Opcode::Select, w, holds, L.x(f.template u<'n'>()), m));
  return true;
}

template <const Pattern& P>
bool two_source(Lifter& L, uint32_t insn, Opcode op) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  L.set_x(f.template u<'d'>(), L.op(op, w, L.x(f.template u<'n'>()), L.x(f.template u<'m'>())));
  return true;
}

template <const Pattern& P>
bool mul_add(Lifter& L, uint32_t insn, bool sub) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const Temp prod = L.op(Opcode::Mul, w, L.x(f.template u<'n'>()), L.x(f.template u<'m'>()));
  const Temp a = L.x(f.template u<'a'>());
  L.set_x(f.template u<'d'>(), L.op(sub ? Opcode::Sub : Opcode::Add, w, a, prod));
  return true;
}

// SMADDL/UMADDL/...: 64-bit accumulate of the product of two extended W registers.
template <const Pattern& P>
bool mul_add_long(Lifter& L, uint32_t insn, bool is_signed, bool sub) {
  const Fields<P> f{insn};
  const Opcode ext = is_signed ? Opcode::SExt : Opcode::ZExt;
  const Temp n = L.b.op1(ext, 64, L.x(f.template u<'n'>()), 32);
  const Temp m = L.b.op1(ext, 64, L.x(f.template u<'m'>()), 32);
  const Temp prod = L.op(Opcode::Mul, 64, n, m);
  L.set_x(f.template u<'d'>(),
          L.op(sub ? Opcode::Sub : Opcode::Add, 64, L.x(f.template u<'a'>()), prod));
  return true;
}

}  // namespace

bool AND_shift(Lifter& L, uint32_t i) { return logical_shift<pat::AND_shift>(L, i, Opcode::And, false); }
bool BIC_shift(Lifter& L, uint32_t i) { return logical_shift<pat::BIC_shift>(L, i, Opcode::AndNot, false); }
bool ORR_shift(Lifter& L, uint32_t i) { return logical_shift<pat::ORR_shift>(L, i, Opcode::Or, false); }
bool ORN_shift(Lifter& L, uint32_t i) { return logical_shift<pat::ORN_shift>(L, i, Opcode::OrNot, false); }
bool EOR_shift(Lifter& L, uint32_t i) { return logical_shift<pat::EOR_shift>(L, i, Opcode::Xor, false); }
bool EON_shift(Lifter& L, uint32_t i) { return logical_shift<pat::EON_shift>(L, i, Opcode::XorNot, false); }
bool ANDS_shift(Lifter& L, uint32_t i) { return logical_shift<pat::ANDS_shift>(L, i, Opcode::And, true); }
bool BICS_shift(Lifter& L, uint32_t i) { return logical_shift<pat::BICS_shift>(L, i, Opcode::AndNot, true); }

bool ADD_shift(Lifter& L, uint32_t i) { return add_sub_shift<pat::ADD_shift>(L, i, false, false); }
bool ADDS_shift(Lifter& L, uint32_t i) { return add_sub_shift<pat::ADDS_shift>(L, i, false, true); }
bool SUB_shift(Lifter& L, uint32_t i) { return add_sub_shift<pat::SUB_shift>(L, i, true, false); }
bool SUBS_shift(Lifter& L, uint32_t i) { return add_sub_shift<pat::SUBS_shift>(L, i, true, true); }

bool ADD_ext(Lifter& L, uint32_t i) { return add_sub_ext<pat::ADD_ext>(L, i, false, false); }
bool ADDS_ext(Lifter& L, uint32_t i) { return add_sub_ext<pat::ADDS_ext>(L, i, false, true); }
bool SUB_ext(Lifter& L, uint32_t i) { return add_sub_ext<pat::SUB_ext>(L, i, true, false); }
bool SUBS_ext(Lifter& L, uint32_t i) { return add_sub_ext<pat::SUBS_ext>(L, i, true, true); }

bool ADC(Lifter& L, uint32_t i) { return add_sub_carry<pat::ADC>(L, i, false, false); }
bool ADCS(Lifter& L, uint32_t i) { return add_sub_carry<pat::ADCS>(L, i, false, true); }
bool SBC(Lifter& L, uint32_t i) { return add_sub_carry<pat::SBC>(L, i, true, false); }
bool SBCS(Lifter& L, uint32_t i) { return add_sub_carry<pat::SBCS>(L, i, true, true); }

bool CCMN_reg(Lifter& L, uint32_t i) { return cond_compare<pat::CCMN_reg, false>(L, i, false); }
bool CCMN_imm(Lifter& L, uint32_t i) { return cond_compare<pat::CCMN_imm, true>(L, i, false); }
bool CCMP_reg(Lifter& L, uint32_t i) { return cond_compare<pat::CCMP_reg, false>(L, i, true); }
bool CCMP_imm(Lifter& L, uint32_t i) { return cond_compare<pat::CCMP_imm, true>(L, i, true); }

bool CSEL(Lifter& L, uint32_t i) { return cond_select<pat::CSEL>(L, i, false, false); }
bool CSINC(Lifter& L, uint32_t i) { return cond_select<pat::CSINC>(L, i, false, true); }
bool CSINV(Lifter& L, uint32_t i) { return cond_select<pat::CSINV>(L, i, true, false); }
bool CSNEG(Lifter& L, uint32_t i) { return cond_select<pat::CSNEG>(L, i, true, true); }

// REV: sf = 0 with opc = 10 reverses a W register, sf = 1 with opc = 11 an X register; the
// other two combinations are REV32 (its own line) and unallocated.
bool REV(Lifter& L, uint32_t insn) {
  const Fields<pat::REV> f{insn};
  if (f.u<'s'>() != f.u<'o'>()) return false;
  L.set_x(f.u<'d'>(), L.b.op1(Opcode::Rev, f.u<'s'>() ? 64 : 32, L.x(f.u<'n'>())));
  return true;
}

bool CLZ(Lifter& L, uint32_t insn) {
  const Fields<pat::CLZ> f{insn};
  L.set_x(f.u<'d'>(), L.b.op1(Opcode::Clz, f.u<'s'>() ? 64 : 32, L.x(f.u<'n'>())));
  return true;
}

// RBIT then CLZ (count trailing zeros) becomes one Ctz in ir::optimize.
bool RBIT(Lifter& L, uint32_t insn) {
  const Fields<pat::RBIT> f{insn};
  L.set_x(f.u<'d'>(), L.b.op1(Opcode::Rbit, f.u<'s'>() ? 64 : 32, L.x(f.u<'n'>())));
  return true;
}

bool UDIV(Lifter& L, uint32_t i) { return two_source<pat::UDIV>(L, i, Opcode::UDiv); }
bool SDIV(Lifter& L, uint32_t i) { return two_source<pat::SDIV>(L, i, Opcode::SDiv); }
bool LSLV(Lifter& L, uint32_t i) { return two_source<pat::LSLV>(L, i, Opcode::Lsl); }
bool LSRV(Lifter& L, uint32_t i) { return two_source<pat::LSRV>(L, i, Opcode::Lsr); }
bool ASRV(Lifter& L, uint32_t i) { return two_source<pat::ASRV>(L, i, Opcode::Asr); }
bool RORV(Lifter& L, uint32_t i) { return two_source<pat::RORV>(L, i, Opcode::Ror); }

bool MADD(Lifter& L, uint32_t i) { return mul_add<pat::MADD>(L, i, false); }
bool MSUB(Lifter& L, uint32_t i) { return mul_add<pat::MSUB>(L, i, true); }
bool SMADDL(Lifter& L, uint32_t i) { return mul_add_long<pat::SMADDL>(L, i, true, false); }
bool SMSUBL(Lifter& L, uint32_t i) { return mul_add_long<pat::SMSUBL>(L, i, true, true); }
bool UMADDL(Lifter& L, uint32_t i) { return mul_add_long<pat::UMADDL>(L, i, false, false); }
bool UMSUBL(Lifter& L, uint32_t i) { return mul_add_long<pat::UMSUBL>(L, i, false, true); }

bool SMULH(Lifter& L, uint32_t insn) {
  const Fields<pat::SMULH> f{insn};
  L.set_x(f.u<'d'>(), L.op(Opcode::SMulH, 64, L.x(f.u<'n'>()), L.x(f.u<'m'>())));
  return true;
}
bool UMULH(Lifter& L, uint32_t insn) {
  const Fields<pat::UMULH> f{insn};
  L.set_x(f.u<'d'>(), L.op(Opcode::UMulH, 64, L.x(f.u<'n'>()), L.x(f.u<'m'>())));
  return true;
}

}  // namespace xvm::arm64::lift
