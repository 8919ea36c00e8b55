// The user-mode syscall layer: one dispatcher over table.inc, one file per family.
#pragma once
#include <cstdint>

namespace xvm::linux_user {

class Process;

struct SyscallArgs {
  uint64_t a[6];
};

// Returned by handlers that set the guest's registers themselves (rt_sigreturn).
constexpr int64_t kNoReturn = INT64_MIN;

// Runs guest syscall `nr`; returns the value for X0 (a negative errno on failure) or kNoReturn.
int64_t dispatch_syscall(Process& p, uint64_t nr, const SyscallArgs& args);

#define SYSCALL(nr, name, kinds) int64_t sys_##name(Process& p, const SyscallArgs& a);
#define NOSYS(nr, name)
#include "linux/syscalls/table.inc"
#undef SYSCALL
#undef NOSYS

}  // namespace xvm::linux_user
