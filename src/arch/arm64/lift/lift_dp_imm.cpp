// Lifting data processing -- immediate (Arm ARM C4.1.86). Reserved encodings are declined
// (return false): the interpreter handler, called instead, raises the UNDEF.
#include "arch/arm64/lift/lifter.h"

namespace xvm::arm64::lift {
namespace {

using ir::Opcode;
using ir::Temp;

uint64_t ones(unsigned n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

uint64_t ror(uint64_t v, unsigned r, unsigned esize) {
  r %= esize;
  if (r == 0) return v;
  return ((v >> r) | (v << (esize - r))) & ones(esize);
}

// Arm ARM J1 "DecodeBitMasks", wmask only, for the logical-immediate form; false for the
// reserved values.
bool logical_imm(unsigned n, unsigned imms, unsigned immr, unsigned datasize, uint64_t* out) {
  const unsigned combined = (n << 6) | (~imms & 0x3f);
  if (combined == 0) return false;
  const unsigned len = 31 - __builtin_clz(combined);
  if (len < 1) return false;
  const unsigned esize = 1u << len;
  if (esize > datasize) return false;
  const unsigned levels = esize - 1;
  if ((imms & levels) == levels) return false;
  uint64_t v = ror(ones((imms & levels) + 1), immr & levels, esize);
  for (unsigned s = esize; s < 64; s *= 2) v |= v << s;
  *out = v & ones(datasize);
  return true;
}

template <const Pattern& P>
bool add_sub_imm(Lifter& L, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const uint64_t imm = uint64_t{f.template u<'i'>()} << (f.template u<'h'>() ? 12 : 0);
  const Temp n = L.xsp(f.template u<'n'>()), k = L.k(imm);
  const Temp r = L.op(sub ? Opcode::Sub : Opcode::Add, w, n, k);
  if (set_flags) {
    L.b.set_nzcv(L.op(sub ? Opcode::FlagsSub : Opcode::FlagsAdd, w, n, k));
    L.set_x(f.template u<'d'>(), r);
  } else {
    L.set_xsp(f.template u<'d'>(), r);
  }
  return true;
}

template <const Pattern& P>
bool logical_imm_op(Lifter& L, uint32_t insn, Opcode op, bool set_flags) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  if (w == 32 && f.template u<'N'>()) return false;
  uint64_t imm;
  if (!logical_imm(f.template u<'N'>(), f.template u<'S'>(), f.template u<'R'>(), w, &imm))
    return false;
  const Temp r = L.op(op, w, L.x(f.template u<'n'>()), L.k(imm));
  if (set_flags) {
    L.b.set_nzcv(L.b.op1(Opcode::FlagsLogic, w, r));
    L.set_x(f.template u<'d'>(), r);
  } else {
    L.set_xsp(f.template u<'d'>(), r);  // AND/ORR/EOR (immediate) write SP for Rd = 31
  }
  return true;
}

// SBFM/UBFM as two or three shifts: the field x<imms:0> is moved to the top, then shifted
// down (arithmetically for SBFM) to its place, below which UBFM/SBFM leave zeros.
template <const Pattern& P>
bool bitfield_move(Lifter& L, uint32_t insn, bool is_signed) {
  const Fields<P> f{insn};
  const unsigned w = f.template u<'s'>() ? 64 : 32;
  const unsigned immr = f.template u<'R'>(), imms = f.template u<'S'>();
  if (f.template u<'N'>() != (w == 64) || immr >= w || imms >= w) return false;
  const Opcode down = is_signed ? Opcode::Asr : Opcode::Lsr;
  Temp t = L.op(Opcode::Lsl, w, L.x(f.template u<'n'>()), L.k(w - 1 - imms));
  if (imms >= immr) {
    t = L.op(down, w, t, L.k(w - 1 - imms + immr));
  } else {
    t = L.op(down, w, t, L.k(w - 1 - imms));
    t = L.op(Opcode::Lsl, w, t, L.k(w - immr));
  }
  L.set_x(f.template u<'d'>(), t);
  return true;
}

}  // namespace

bool ADD_imm(Lifter& L, uint32_t i) { return add_sub_imm<pat::ADD_imm>(L, i, false, false); }
bool ADDS_imm(Lifter& L, uint32_t i) { return add_sub_imm<pat::ADDS_imm>(L, i, false, true); }
bool SUB_imm(Lifter& L, uint32_t i) { return add_sub_imm<pat::SUB_imm>(L, i, true, false); }
bool SUBS_imm(Lifter& L, uint32_t i) { return add_sub_imm<pat::SUBS_imm>(L, i, true, true); }

bool AND_imm(Lifter& L, uint32_t i) { return logical_imm_op<pat::AND_imm>(L, i, Opcode::And, false); }
bool ORR_imm(Lifter& L, uint32_t i) { return logical_imm_op<pat::ORR_imm>(L, i, Opcode::Or, false); }
bool EOR_imm(Lifter& L, uint32_t i) { return logical_imm_op<pat::EOR_imm>(L, i, Opcode::Xor, false); }
bool ANDS_imm(Lifter& L, uint32_t i) { return logical_imm_op<pat::ANDS_imm>(L, i, Opcode::And, true); }

// Move wide (Arm ARM C6.2 MOVN/MOVZ/MOVK): hw >= 2 with sf = 0 is UNDEFINED.
bool MOVN(Lifter& L, uint32_t insn) {
  const Fields<pat::MOVN> f{insn};
  const bool is64 = f.u<'s'>();
  if (!is64 && f.u<'h'>() >= 2) return false;
  const uint64_t v = ~(uint64_t{f.u<'i'>()} << (16 * f.u<'h'>()));
  L.set_x(f.u<'d'>(), L.k(is64 ? v : uint32_t(v)));
  return true;
}

bool MOVZ(Lifter& L, uint32_t insn) {
  const Fields<pat::MOVZ> f{insn};
  if (!f.u<'s'>() && f.u<'h'>() >= 2) return false;
  L.set_x(f.u<'d'>(), L.k(uint64_t{f.u<'i'>()} << (16 * f.u<'h'>())));
  return true;
}

bool MOVK(Lifter& L, uint32_t insn) {
  const Fields<pat::MOVK> f{insn};
  const unsigned w = f.u<'s'>() ? 64 : 32;
  if (w == 32 && f.u<'h'>() >= 2) return false;
  const unsigned sh = 16 * f.u<'h'>();
  const Temp keep = L.op(Opcode::AndNot, w, L.x(f.u<'d'>()), L.k(uint64_t{0xffff} << sh));
  L.set_x(f.u<'d'>(), L.op(Opcode::Or, w, keep, L.k(uint64_t{f.u<'i'>()} << sh)));
  return true;
}

bool SBFM(Lifter& L, uint32_t i) { return bitfield_move<pat::SBFM>(L, i, true); }
bool UBFM(Lifter& L, uint32_t i) { return bitfield_move<pat::UBFM>(L, i, false); }

// BFM (Arm ARM C6.2): imms >= immr inserts x<imms:immr> at bit 0 (BFXIL), otherwise x<imms:0>
// at bit w - immr (BFI); the other bits of Rd are kept.
bool BFM(Lifter& L, uint32_t insn) {
  const Fields<pat::BFM> f{insn};
  const unsigned w = f.u<'s'>() ? 64 : 32;
  const unsigned immr = f.u<'R'>(), imms = f.u<'S'>();
  if (f.u<'N'>() != (w == 64) || immr >= w || imms >= w) return false;
  const unsigned d = f.u<'d'>();
  Temp field;
  uint64_t mask;
  if (imms >= immr) {
    mask = ones(imms - immr + 1);
    field = L.op(Opcode::And, w, L.op(Opcode::Lsr, w, L.x(f.u<'n'>()), L.k(immr)), L.k(mask));
  } else {
    const unsigned pos = w - immr;
    mask = ones(imms + 1) << pos;
    field = L.op(Opcode::And, w, L.op(Opcode::Lsl, w, L.x(f.u<'n'>()), L.k(pos)), L.k(mask));
  }
  const Temp keep = L.op(Opcode::AndNot, w, L.x(d), L.k(mask));
  L.set_x(d, L.op(Opcode::Or, w, keep, field));
  return true;
}

// EXTR: (Rn:Rm) >> lsb, the low w bits (ROR (immediate) is EXTR with Rn = Rm).
bool EXTR(Lifter& L, uint32_t insn) {
  const Fields<pat::EXTR> f{insn};
  const unsigned w = f.u<'s'>() ? 64 : 32;
  const unsigned lsb = f.u<'S'>();
  if (f.u<'N'>() != (w == 64) || lsb >= w) return false;
  const Temp lo = L.op(Opcode::Lsr, w, L.x(f.u<'m'>()), L.k(lsb));
  if (lsb == 0) {
    L.set_x(f.u<'d'>(), lo);
    return true;
  }
  const Temp hi = L.op(Opcode::Lsl, w, L.x(f.u<'n'>()), L.k(w - lsb));
  L.set_x(f.u<'d'>(), L.op(Opcode::Or, w, hi, lo));
  return true;
}

bool ADR(Lifter& L, uint32_t insn) {
  const Fields<pat::ADR> f{insn};
  const int64_t off = (f.s<'i'>() << 2) | f.u<'l'>();
  L.set_x(f.u<'d'>(), L.k(L.pc + static_cast<uint64_t>(off)));
  return true;
}

bool ADRP(Lifter& L, uint32_t insn) {
  const Fields<pat::ADRP> f{insn};
  const int64_t off = ((f.s<'i'>() << 2) | f.u<'l'>()) * 4096;
  L.set_x(f.u<'d'>(), L.k((L.pc & ~uint64_t{0xfff}) + static_cast<uint64_t>(off)));
  return true;
}

}  // namespace xvm::arm64::lift
