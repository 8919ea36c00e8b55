// The system-mode interpreter: runs a vCPU whose Cpu::sys is set (EL1/EL0 behind the MMU)
// until it stops. Unlike the user-mode Interpreter it keeps no blocks decoded by address (an
// address means different code in different address spaces, and the kernel rewrites pages
// freely): every instruction is fetched through the TLB and decoded through a small cache
// keyed by the instruction word, which is context-free, so there is nothing to invalidate.
#pragma once
#include <cstdint>
#include <memory>

#include "arch/arm64/cpu.h"

namespace xvm::engine {

class SystemInterpreter {
 public:
  SystemInterpreter();
  ~SystemInterpreter();
  SystemInterpreter(const SystemInterpreter&) = delete;
  SystemInterpreter& operator=(const SystemInterpreter&) = delete;

  // Runs until a stop (exception, HVC, WFI, a pending request) or after about `budget`
  // instructions (then StopKind::None). cpu.sys must be set.
  arm64::Stop run(arm64::Cpu& cpu, uint64_t budget);

 private:
  struct Cache;
  std::unique_ptr<Cache> cache_;
};

}  // namespace xvm::engine
