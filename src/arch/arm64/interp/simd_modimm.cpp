// Advanced SIMD modified immediate (Arm ARM C4.1.96.19): MOVI, MVNI, ORR/BIC (vector,
// immediate), FMOV (vector, immediate). The table has one line per op:cmode encoding; every
// handler expands the 8-bit immediate a:b:c:d:e:f:g:h with AdvSIMDExpandImm (Arm ARM J1) into
// the 64-bit pattern that is repeated across the vector.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

uint64_t replicate32(uint64_t x) {
  return x | (x << 32);
}
uint64_t replicate16(uint64_t x) {
  return replicate32(x | (x << 16));
}

// AdvSIMDExpandImm(op, cmode, imm8). cmode is read from the encoding itself: the table lines
// fix some of its bits and leave the others as the field c, so the whole value is bits 15:12.
uint64_t expand_imm(uint32_t insn, bool op) {
  const unsigned cmode = bits(insn, 12, 4);
  const uint64_t imm8 = (bits(insn, 16, 3) << 5) | bits(insn, 5, 5);
  switch (cmode >> 1) {
    case 0:
    case 1:
    case 2:
    case 3:  // 32-bit lanes, imm8 shifted by 0/8/16/24
      return replicate32(imm8 << (8 * (cmode >> 1)));
    case 4:
    case 5:  // 16-bit lanes, imm8 shifted by 0/8
      return replicate16(imm8 << (8 * ((cmode >> 1) & 1)));
    case 6:  // 32-bit lanes, "shifting ones": imm8 followed by 8 or 16 one bits
      return replicate32((imm8 << (8 * ((cmode & 1) + 1))) | ones(8 * ((cmode & 1) + 1)));
    default:
      break;
  }
  if (cmode == 0xe) {
    if (!op) return replicate16(imm8 | (imm8 << 8));  // every byte imm8
    uint64_t r = 0;  // every bit of imm8 widened into a byte of ones or zeros
    for (unsigned k = 0; k < 8; ++k)
      if ((imm8 >> k) & 1) r |= uint64_t{0xff} << (8 * k);
    return r;
  }
  // cmode == 1111: VFPExpandImm, a:NOT(b):Replicate(b):c:d:e:f:g:h followed by zeros.
  const uint64_t a = imm8 >> 7, b = (imm8 >> 6) & 1, cdefgh = imm8 & 0x3f;
  if (!op)  // single precision: a:NOT(b):bbbbb:cdefgh:Zeros(19)
    return replicate32((a << 31) | ((b ^ 1) << 30) | ((b ? 0x1fULL : 0) << 25) | (cdefgh << 19));
  return (a << 63) | ((b ^ 1) << 62) | ((b ? 0xffULL : 0) << 54) | (cdefgh << 48);
}

enum class Combine { Move, MoveNot, Or, AndNot };

// Writes the expanded immediate, combined with Vd as the instruction says, to the 64 or 128
// bits Q selects (a 64-bit result zeroes the upper half).
void modimm(Cpu& cpu, uint32_t insn, bool op, Combine how) {
  const unsigned q = bits(insn, 30, 1), d = bits(insn, 0, 5);
  const uint64_t imm = expand_imm(insn, op);
  VReg r{};
  for (unsigned h = 0; h < (q ? 2u : 1u); ++h) {
    const uint64_t old = cpu.v[d].d[h];
    switch (how) {
      case Combine::Move:
        r.d[h] = imm;
        break;
      case Combine::MoveNot:
        r.d[h] = ~imm;
        break;
      case Combine::Or:
        r.d[h] = old | imm;
        break;
      case Combine::AndNot:
        r.d[h] = old & ~imm;
        break;
    }
  }
  cpu.v[d] = r;
}

}  // namespace

// The op bit each line fixes is passed on; Q (bit 30, fixed on the 64-bit lines) and Rd sit at
// the same place in every line of the class, so modimm() reads them from the encoding.
void MOVI_8(Cpu& c, uint32_t i) {
  modimm(c, i, false, Combine::Move);
}
void MOVI_16(Cpu& c, uint32_t i) {
  modimm(c, i, false, Combine::Move);
}
void MOVI_32(Cpu& c, uint32_t i) {
  modimm(c, i, false, Combine::Move);
}
void MOVI_32_ones(Cpu& c, uint32_t i) {
  modimm(c, i, false, Combine::Move);
}
void MOVI_64_scalar(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::Move);
}
void MOVI_64(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::Move);
}
void MVNI_16(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::MoveNot);
}
void MVNI_32(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::MoveNot);
}
void MVNI_32_ones(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::MoveNot);
}
void ORR_vec_imm16(Cpu& c, uint32_t i) {
  modimm(c, i, false, Combine::Or);
}
void ORR_vec_imm32(Cpu& c, uint32_t i) {
  modimm(c, i, false, Combine::Or);
}
void BIC_vec_imm16(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::AndNot);
}
void BIC_vec_imm32(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::AndNot);
}
void FMOV_vec_imm32(Cpu& c, uint32_t i) {
  modimm(c, i, false, Combine::Move);
}
void FMOV_vec_imm64(Cpu& c, uint32_t i) {
  modimm(c, i, true, Combine::Move);
}

}  // namespace xvm::arm64::interp
