// Blocking host syscalls that a guest signal must be able to interrupt without a lost wake-up.
//
// A host signal for the guest only queues the signal and marks the vCPU (signals.cpp); the
// guest handler runs later, at a safe point. If the signal arrives after the last check of the
// queue but before a blocking syscall (read on a pipe, futex wait) has started in the kernel,
// that syscall would sleep with the signal already consumed. xvm_safe_syscall closes the gap:
// it tests the vCPU's pending word immediately before the `syscall` instruction, and the host
// signal handler moves a thread interrupted between that test and the instruction to a
// "restart" exit (safe_syscall_fixup), so the syscall returns kRestartSyscall instead of
// sleeping. The same technique as QEMU's safe_syscall (linux-user/safe-syscall.S), written
// anew here.
#pragma once
#include <cstdint>

namespace xvm::linux_user {

// Returned when a guest signal arrived before the host syscall started: the caller re-executes
// the guest's SVC after delivering the signal (Linux -ERESTARTSYS).
constexpr long kRestartSyscall = -512;

// Runs host syscall `nr` unless bit 0 (kPendingInterrupt) of *pending is set; returns the raw
// kernel result (-errno on failure) or kRestartSyscall.
extern "C" long xvm_safe_syscall(const volatile uint32_t* pending, long nr, long a1, long a2,
                                 long a3, long a4, long a5, long a6);

// For the host signal handler: if the interrupted instruction pointer lies between the test and
// the `syscall` instruction, moves it to the restart exit. `rip` is the saved register.
void safe_syscall_fixup(unsigned long long* rip);

}  // namespace xvm::linux_user
