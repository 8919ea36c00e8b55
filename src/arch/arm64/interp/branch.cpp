// Unconditional and conditional branches (Arm ARM C6.2: B, BL, B.cond, CBZ, TBZ, BR, BLR, RET).
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {

void B_uncond(Cpu& cpu, uint32_t insn) {
  const Fields<pat::B_uncond> f{insn};
  cpu.pc += static_cast<uint64_t>(f.s<'i'>() * 4);
}

void BL(Cpu& cpu, uint32_t insn) {
  const Fields<pat::BL> f{insn};
  cpu.x[30] = cpu.pc + 4;
  cpu.pc += static_cast<uint64_t>(f.s<'i'>() * 4);
}

}  // namespace xvm::arm64::interp
