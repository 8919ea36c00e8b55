// Unconditional and conditional branches (Arm ARM C6.2: B, BL, B.cond, CBZ, TBZ, BR, BLR, RET).
// Every handler here ends its block and sets cpu.pc: the target when taken, pc + 4 otherwise.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {
namespace {

// Taken: pc + offset (the field is in words); not taken: the next instruction.
void branch_if(Cpu& cpu, bool taken, int64_t words) {
  cpu.pc += taken ? static_cast<uint64_t>(words * 4) : 4;
}

}  // namespace

void B_uncond(Cpu& cpu, uint32_t insn) {
  const Fields<pat::B_uncond> f{insn};
  cpu.pc += static_cast<uint64_t>(f.s<'i'>() * 4);
}

void BL(Cpu& cpu, uint32_t insn) {
  const Fields<pat::BL> f{insn};
  cpu.x[30] = cpu.pc + 4;
  cpu.pc += static_cast<uint64_t>(f.s<'i'>() * 4);
}

// BR/BLR/RET read Xn (31 = XZR) before BLR writes X30, so "BLR X30" jumps to the old X30.
void BR(Cpu& cpu, uint32_t insn) {
  const Fields<pat::BR> f{insn};
  cpu.pc = cpu.xr(f.u<'n'>());
}

void BLR(Cpu& cpu, uint32_t insn) {
  const Fields<pat::BLR> f{insn};
  const uint64_t target = cpu.xr(f.u<'n'>());
  cpu.x[30] = cpu.pc + 4;
  cpu.pc = target;
}

void RET(Cpu& cpu, uint32_t insn) {
  const Fields<pat::RET> f{insn};
  cpu.pc = cpu.xr(f.u<'n'>());
}

void B_cond(Cpu& cpu, uint32_t insn) {
  const Fields<pat::B_cond> f{insn};
  branch_if(cpu, condition_holds(cpu, f.u<'c'>()), f.s<'i'>());
}

void CBZ(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CBZ> f{insn};
  const uint64_t v = cpu.xr(f.u<'t'>());
  branch_if(cpu, (f.u<'s'>() ? v : static_cast<uint32_t>(v)) == 0, f.s<'i'>());
}

void CBNZ(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CBNZ> f{insn};
  const uint64_t v = cpu.xr(f.u<'t'>());
  branch_if(cpu, (f.u<'s'>() ? v : static_cast<uint32_t>(v)) != 0, f.s<'i'>());
}

// TBZ/TBNZ test bit b5:b40 of Rt; b5 = 0 is the W form (bit numbers 0..31), so the bit number
// alone selects the bit and no datasize truncation is needed.
void TBZ(Cpu& cpu, uint32_t insn) {
  const Fields<pat::TBZ> f{insn};
  const unsigned pos = (f.u<'b'>() << 5) | f.u<'c'>();
  branch_if(cpu, !bit(cpu.xr(f.u<'t'>()), pos), f.s<'i'>());
}

void TBNZ(Cpu& cpu, uint32_t insn) {
  const Fields<pat::TBNZ> f{insn};
  const unsigned pos = (f.u<'b'>() << 5) | f.u<'c'>();
  branch_if(cpu, bit(cpu.xr(f.u<'t'>()), pos), f.s<'i'>());
}

}  // namespace xvm::arm64::interp
