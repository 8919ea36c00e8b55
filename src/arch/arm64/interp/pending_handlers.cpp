// Weak fallbacks for table lines whose handler is not linked in yet: while encoding classes are
// being filled in, the build keeps linking and such an encoding behaves exactly like one with no
// table line (the guest gets SIGILL, the user sees "unimplemented A64 instruction"). A real
// handler (a strong definition) always wins.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {

#define INST(name, desc, pattern, flags)                         \
  [[gnu::weak]] void name(Cpu& cpu, uint32_t insn) {             \
    Stop s;                                                      \
    s.kind = StopKind::Undefined;                                \
    s.unimplemented = true;                                      \
    s.insn = insn;                                               \
    raise_stop(cpu, s);                                          \
  }
#include "arch/arm64/a64.inc"
#undef INST

}  // namespace xvm::arm64::interp
