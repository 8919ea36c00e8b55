// Data processing -- immediate (Arm ARM C4.1.86): add/sub, logical, move wide, bitfield,
// extract, PC-relative addressing.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {
namespace {

uint64_t trunc(uint64_t v, bool is64) {
  return is64 ? v : static_cast<uint32_t>(v);
}

// Rotate right within a datasize-bit value, datasize 2..64 (Arm ARM J1 "ROR").
uint64_t ror(uint64_t v, unsigned r, unsigned datasize) {
  r %= datasize;
  if (r == 0) return v;
  return ((v >> r) | (v << (datasize - r))) & ones(datasize);
}

// Copies the esize-bit pattern across 64 bits (Arm ARM J1 "Replicate").
uint64_t replicate(uint64_t v, unsigned esize) {
  for (unsigned s = esize; s < 64; s *= 2) v |= v << s;
  return v;
}

struct BitMasks {
  uint64_t wmask;
  uint64_t tmask;
};

// Arm ARM J1 "DecodeBitMasks". Returns false for the reserved combinations (len < 1, and for
// the logical-immediate form an all-ones element), which the caller turns into UNDEF.
bool decode_bit_masks(unsigned n, unsigned imms, unsigned immr, bool immediate, unsigned datasize,
                      BitMasks* out) {
  const unsigned combined = (n << 6) | (~imms & 0x3f);
  if (combined == 0) return false;
  const unsigned len = 31 - __builtin_clz(combined);  // HighestSetBit
  if (len < 1) return false;
  const unsigned esize = 1u << len;
  if (esize > datasize) return false;
  const unsigned levels = esize - 1;
  if (immediate && (imms & levels) == levels) return false;
  const unsigned s = imms & levels, r = immr & levels;
  const unsigned d = (s - r) & levels;
  const uint64_t welem = ones(s + 1), telem = ones(d + 1);
  out->wmask = trunc(replicate(ror(welem, r, esize), esize), datasize == 64);
  out->tmask = trunc(replicate(telem, esize), datasize == 64);
  return true;
}

template <const Pattern& P>
void add_sub_imm(Cpu& cpu, uint32_t insn, bool sub, bool set_flags) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const uint64_t imm = uint64_t{f.template u<'i'>()} << (f.template u<'h'>() ? 12 : 0);
  const uint64_t x = cpu.xsp(f.template u<'n'>());
  // Arm ARM C6.2 ADD/SUB (immediate): x + NOT(imm) + 1 for subtraction.
  uint32_t nzcv;
  const uint64_t r = add_with_carry(x, sub ? ~imm : imm, sub, is64, &nzcv);
  if (set_flags) {
    cpu.nzcv = nzcv;
    cpu.set_xr(f.template u<'d'>(), r);  // ADDS/SUBS: Rd 31 is XZR (CMN/CMP)
  } else {
    cpu.set_xsp(f.template u<'d'>(), r);  // ADD/SUB: Rd 31 is SP (MOV to/from SP)
  }
}

// Logical (immediate): N = 1 with sf = 0 and DecodeBitMasks' reserved values are UNDEF.
template <const Pattern& P>
uint64_t logical_imm_operand(Cpu& cpu, uint32_t insn) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  if (!is64 && f.template u<'N'>()) undefined(cpu, insn);
  BitMasks m;
  if (!decode_bit_masks(f.template u<'N'>(), f.template u<'S'>(), f.template u<'R'>(), true,
                        is64 ? 64 : 32, &m))
    undefined(cpu, insn);
  return m.wmask;
}

template <const Pattern& P>
void move_wide(Cpu& cpu, uint32_t insn, int opc) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const unsigned hw = f.template u<'h'>();
  if (!is64 && hw >= 2) undefined(cpu, insn);  // Arm ARM C6.2 MOVZ: sf == 0 && hw<1> == 1
  const unsigned pos = hw * 16;
  const uint64_t imm = uint64_t{f.template u<'i'>()} << pos;
  const unsigned d = f.template u<'d'>();
  uint64_t r;
  switch (opc) {
    case 0:
      r = ~imm;
      break;  // MOVN
    case 2:
      r = imm;
      break;  // MOVZ
    default:
      r = (cpu.xr(d) & ~(uint64_t{0xffff} << pos)) | imm;  // MOVK
  }
  cpu.set_xr(d, trunc(r, is64));
}

// Bitfield moves (Arm ARM C6.2 SBFM/BFM/UBFM). opc: 0 SBFM, 1 BFM, 2 UBFM.
template <const Pattern& P>
void bitfield(Cpu& cpu, uint32_t insn, int opc) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const unsigned n = f.template u<'N'>(), immr = f.template u<'R'>(), imms = f.template u<'S'>();
  // sf == 1 && N != 1, and sf == 0 && (N != 0 || immr<5> != 0 || imms<5> != 0): UNDEF.
  if (n != is64) undefined(cpu, insn);
  if (!is64 && ((immr | imms) & 0x20)) undefined(cpu, insn);
  const unsigned datasize = is64 ? 64 : 32;
  BitMasks m;
  if (!decode_bit_masks(n, imms, immr, false, datasize, &m)) undefined(cpu, insn);
  const unsigned d = f.template u<'d'>();
  const uint64_t src = trunc(cpu.xr(f.template u<'n'>()), is64);
  const uint64_t dst = opc == 1 ? trunc(cpu.xr(d), is64) : 0;
  const uint64_t rot = ror(src, immr, datasize);
  uint64_t r;
  if (opc == 1) {
    const uint64_t bot = (dst & ~m.wmask) | (rot & m.wmask);
    r = (dst & ~m.tmask) | (bot & m.tmask);
  } else {
    const uint64_t bot = rot & m.wmask;
    const uint64_t top = (opc == 0 && bit(src, imms)) ? ~uint64_t{0} : 0;
    r = (top & ~m.tmask) | (bot & m.tmask);
  }
  cpu.set_xr(d, trunc(r, is64));
}

}  // namespace

void ADD_imm(Cpu& cpu, uint32_t insn) {
  add_sub_imm<pat::ADD_imm>(cpu, insn, false, false);
}
void ADDS_imm(Cpu& cpu, uint32_t insn) {
  add_sub_imm<pat::ADDS_imm>(cpu, insn, false, true);
}
void SUB_imm(Cpu& cpu, uint32_t insn) {
  add_sub_imm<pat::SUB_imm>(cpu, insn, true, false);
}
void SUBS_imm(Cpu& cpu, uint32_t insn) {
  add_sub_imm<pat::SUBS_imm>(cpu, insn, true, true);
}

// AND/ORR/EOR (immediate) write Rd as SP (so ORR can build a stack pointer); ANDS writes XZR.
void AND_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::AND_imm> f{insn};
  const uint64_t imm = logical_imm_operand<pat::AND_imm>(cpu, insn);
  cpu.set_xsp(f.u<'d'>(), trunc(cpu.xr(f.u<'n'>()) & imm, f.u<'s'>()));
}

void ORR_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::ORR_imm> f{insn};
  const uint64_t imm = logical_imm_operand<pat::ORR_imm>(cpu, insn);
  cpu.set_xsp(f.u<'d'>(), trunc(cpu.xr(f.u<'n'>()) | imm, f.u<'s'>()));
}

void EOR_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::EOR_imm> f{insn};
  const uint64_t imm = logical_imm_operand<pat::EOR_imm>(cpu, insn);
  cpu.set_xsp(f.u<'d'>(), trunc(cpu.xr(f.u<'n'>()) ^ imm, f.u<'s'>()));
}

void ANDS_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::ANDS_imm> f{insn};
  const bool is64 = f.u<'s'>();
  const uint64_t imm = logical_imm_operand<pat::ANDS_imm>(cpu, insn);
  const uint64_t r = trunc(cpu.xr(f.u<'n'>()) & imm, is64);
  cpu.nzcv = make_nzcv(bit(r, is64 ? 63 : 31), r == 0, false, false);
  cpu.set_xr(f.u<'d'>(), r);
}

void MOVN(Cpu& cpu, uint32_t insn) {
  move_wide<pat::MOVN>(cpu, insn, 0);
}
void MOVZ(Cpu& cpu, uint32_t insn) {
  move_wide<pat::MOVZ>(cpu, insn, 2);
}
void MOVK(Cpu& cpu, uint32_t insn) {
  move_wide<pat::MOVK>(cpu, insn, 3);
}

void SBFM(Cpu& cpu, uint32_t insn) {
  bitfield<pat::SBFM>(cpu, insn, 0);
}
void BFM(Cpu& cpu, uint32_t insn) {
  bitfield<pat::BFM>(cpu, insn, 1);
}
void UBFM(Cpu& cpu, uint32_t insn) {
  bitfield<pat::UBFM>(cpu, insn, 2);
}

// Arm ARM C6.2 EXTR: (Rn:Rm)<lsb+datasize-1:lsb>; N must equal sf, and imms < 32 when sf = 0.
void EXTR(Cpu& cpu, uint32_t insn) {
  const Fields<pat::EXTR> f{insn};
  const bool is64 = f.u<'s'>();
  const unsigned lsb = f.u<'S'>();
  if (f.u<'N'>() != is64 || (!is64 && lsb >= 32)) undefined(cpu, insn);
  const uint64_t hi = cpu.xr(f.u<'n'>()), lo = cpu.xr(f.u<'m'>());
  uint64_t r;
  if (is64) {
    r = lsb == 0 ? lo : (lo >> lsb) | (hi << (64 - lsb));
  } else {
    const uint64_t both = (hi << 32) | static_cast<uint32_t>(lo);
    r = static_cast<uint32_t>(both >> lsb);
  }
  cpu.set_xr(f.u<'d'>(), r);
}

void ADR(Cpu& cpu, uint32_t insn) {
  const Fields<pat::ADR> f{insn};
  const int64_t imm = sign_extend((uint64_t{f.u<'i'>()} << 2) | f.u<'l'>(), 21);
  cpu.set_xr(f.u<'d'>(), cpu.pc + static_cast<uint64_t>(imm));
}

// ADRP: the 4 KB page of the instruction plus imm * 4096.
void ADRP(Cpu& cpu, uint32_t insn) {
  const Fields<pat::ADRP> f{insn};
  const int64_t imm = sign_extend((uint64_t{f.u<'i'>()} << 2) | f.u<'l'>(), 21);
  cpu.set_xr(f.u<'d'>(), (cpu.pc & ~uint64_t{0xfff}) + (static_cast<uint64_t>(imm) << 12));
}

}  // namespace xvm::arm64::interp
