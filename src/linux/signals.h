// Guest signal delivery for user mode: host signals are forwarded to the guest according to the
// guest's dispositions, and guest handlers run on frames laid out as Linux lays them for arm64
// (arch/arm64/kernel/signal.c: rt_sigframe = siginfo + ucontext with fpsimd_context).
#pragma once
#include <cstdint>

namespace xvm::linux_user {

class Process;
struct Thread;

// AT_MINSIGSTKSZ: the size of xvm's signal frame plus a red zone, rounded up.
constexpr uint64_t kMinSigStackSize = 5120;

// Mirrors the guest's initial dispositions from the host's (ignored signals stay ignored across
// exec, as on Linux) and routes host signals to `p`.
void install_signal_forwarding(Process& p, Thread& main_thread);
// Applies a guest disposition change for `sig` to the host side.
void apply_host_disposition(Process& p, int sig);
// Applies the guest's blocked-signal mask to the host thread (never blocking fault signals).
void apply_host_mask(uint64_t guest_mask);

// Synchronous signals that the engine raises itself; the host must never block or ignore them.
bool is_fault_signal(int sig);

}  // namespace xvm::linux_user
