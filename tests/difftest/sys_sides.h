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
