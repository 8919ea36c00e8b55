// Exception generation and system instructions (Arm ARM C6.2: SVC, BRK, MRS/MSR, hints,
// barriers, DC/IC).
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {

void SVC(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SVC> f{insn};
  cpu.stop.kind = StopKind::Syscall;
  cpu.stop.insn = f.u<'i'>();
  cpu.pc += 4;  // the preferred return address of an SVC is the next instruction
}

}  // namespace xvm::arm64::interp
