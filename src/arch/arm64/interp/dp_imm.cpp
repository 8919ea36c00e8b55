// Data processing -- immediate (Arm ARM C4.1.86): add/sub, logical, move wide, bitfield,
// extract, PC-relative addressing.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {

void ADD_imm(Cpu& cpu, uint32_t insn) {
  const Fields<pat::ADD_imm> f{insn};
  const bool is64 = f.u<'s'>();
  const uint64_t imm = uint64_t{f.u<'i'>()} << (f.u<'h'>() ? 12 : 0);
  const uint64_t r = cpu.xsp(f.u<'n'>()) + imm;
  cpu.set_xsp(f.u<'d'>(), is64 ? r : static_cast<uint32_t>(r));
}

}  // namespace xvm::arm64::interp
