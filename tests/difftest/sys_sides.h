// The two runners of the system-level difftest (sys_case.h).
#pragma once
#include <memory>

#include "sys_case.h"

struct uc_struct;
struct uc_context;

namespace xvm::difftest::sys {

// xvm: engine::SystemInterpreter over a sys::System whose PhysBus is a plain buffer; stops are
// turned into exceptions by arm64::sys::take_stop_exception, as the arm64 virt machine does.
SysRun run_xvm(const SysCase& c);

// xvm: the same vCPU on the system-mode JIT (engine::Tiered, every block translated on first
// execution), run as the machine runs it: until an exception, an HVC/WFI or a pending request.
// The end of the sequence is the UDF #0 after it, which the JIT stops at (sys_xvm.cpp).
// Translated code has no instruction budget; it counts instructions (cpu.icount, one add per
// block entered), and a watchdog brings it back to the loop every few ms, where a segment
// that has run kMaxSteps instructions without a stop ends the run as RunEnd::Failed, detail
// "budget …", as on the other sides. How far past kMaxSteps it ran is unknown, so only its
// stops before the loop can be compared (system_difftest.cpp). A segment that makes no count
// for kJitStuckMs (a JIT looping in its own code) ends it as RunEnd::Failed, "stuck …".
// `insns`, if given, gets the count of each segment (up to stop k; the last: to the end of the
// run); a faulting block counts whole (the add is on entry).
SysRun run_xvm_jit(const SysCase& c, std::vector<uint64_t>* insns = nullptr);
constexpr unsigned kJitStuckMs = 1000;

// Unicorn 2.0.1 (QEMU 5.0's TCG core), Cortex-A57 model.
class UnicornSys {
 public:
  UnicornSys();
  ~UnicornSys();
  SysRun run(const SysCase& c);

 private:
  void open();
  void close();
  void find_cpu();
  static void on_interrupt(uc_struct* uc, uint32_t intno, void* self);
  SysSnap snapshot();

  uc_struct* uc_ = nullptr;
  uc_context* ctx_ = nullptr;
  void* cpu_ = nullptr;  // QEMU's CPUState of the engine (see find_cpu)
  bool interrupted_ = false;
  uint32_t intno_ = 0;
  uint64_t runs_ = 0;
};

}  // namespace xvm::difftest::sys
