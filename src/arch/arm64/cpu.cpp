#include "arch/arm64/cpu.h"

namespace xvm::arm64 {

// The engine that runs the Cpu set `unwind` (sigsetjmp) before calling any handler.
void raise_stop(Cpu& cpu, const Stop& stop) {
  cpu.stop = stop;
  siglongjmp(*cpu.unwind, 1);
}

}  // namespace xvm::arm64
