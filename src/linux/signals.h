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

// The host mask for a guest mask: every guest-blocked signal except the fault signals,
// SIGKILL and SIGSTOP (bit n-1 = signal n, the kernel's 64-bit sigset on both ABIs).
uint64_t host_mask_for(uint64_t guest_mask);

// Host signal calls through the raw syscalls: glibc's wrappers refuse or silently drop the
// signals it reserves for itself (32 and 33), which the guest's own libc uses for the same
// purposes and must be able to handle, block and send.
int raw_sigaction_default(int sig);   // SIG_DFL
int raw_sigprocmask(int how, uint64_t set, uint64_t* old);
int raw_sigsuspend(uint64_t mask);

}  // namespace xvm::linux_user
