// One guest thread: its vCPU, its interpreter (block cache) and its signal state. Each runs on
// a host thread of its own; the host thread id is the guest thread id (gettid, tgkill).
#pragma once
#include <signal.h>

#include <cstdint>
#include <memory>

#include "arch/arm64/cpu.h"
#include "engine/interpreter.h"
#include "engine/tiered.h"

namespace xvm::linux_user {

struct Thread {
  arm64::Cpu cpu;
  std::unique_ptr<engine::Interpreter> engine;
  std::unique_ptr<engine::Tiered> tiered;  // runs instead of `engine` with --engine=tiered|jit
  int tid = 0;
  uint64_t sigmask = 0;          // blocked signals (the guest's view)
  uint64_t pending_signals = 0;  // forwarded from the host, waiting for a safe point
  siginfo_t siginfo[65] = {};    // siginfo of the last instance of each pending signal
  uint64_t clear_child_tid = 0;  // CLONE_CHILD_CLEARTID / set_tid_address
  uint64_t altstack_sp = 0, altstack_size = 0;
  uint32_t altstack_flags = 2;   // SS_DISABLE
};

// The guest thread bound to the calling host thread (nullptr on host threads of xvm's own).
Thread*& current_thread();

}  // namespace xvm::linux_user
