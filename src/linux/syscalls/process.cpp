// Processes, identity and limits: exit, clone (fork/vfork), execve, wait, kill, ids, futex.
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "linux/elf_loader.h"
#include "linux/signals.h"
#include "linux/syscalls/common.h"

namespace xvm::linux_user {

int64_t sys_exit(Process& p, const SyscallArgs& a) { p.exit_thread(int(a.a[0])); }
int64_t sys_exit_group(Process& p, const SyscallArgs& a) { p.exit_group(int(a.a[0])); }

int64_t sys_getpid(Process&, const SyscallArgs&) { return getpid(); }
int64_t sys_getppid(Process&, const SyscallArgs&) { return getppid(); }
int64_t sys_gettid(Process&, const SyscallArgs&) { return gettid(); }
int64_t sys_getuid(Process&, const SyscallArgs&) { return getuid(); }
int64_t sys_geteuid(Process&, const SyscallArgs&) { return geteuid(); }
int64_t sys_getgid(Process&, const SyscallArgs&) { return getgid(); }
int64_t sys_getegid(Process&, const SyscallArgs&) { return getegid(); }
// Credentials change per thread at the syscall level (the guest's libc broadcasts to its
// threads itself, with its own signal); the host libc wrappers would broadcast to every host
// thread with a signal of their own, so the raw syscalls are used.
int64_t sys_setuid(Process&, const SyscallArgs& a) { return host_result(syscall(SYS_setuid, a.a[0])); }
int64_t sys_setgid(Process&, const SyscallArgs& a) { return host_result(syscall(SYS_setgid, a.a[0])); }
int64_t sys_setreuid(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_setreuid, a.a[0], a.a[1]));
}
int64_t sys_setregid(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_setregid, a.a[0], a.a[1]));
}
int64_t sys_setresuid(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_setresuid, a.a[0], a.a[1], a.a[2]));
}
int64_t sys_setresgid(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_setresgid, a.a[0], a.a[1], a.a[2]));
}

int64_t sys_getresuid(Process& p, const SyscallArgs& a) {
  uid_t r, e, s;
  getresuid(&r, &e, &s);
  if (!write_guest(p, a.a[0], r) || !write_guest(p, a.a[1], e) || !write_guest(p, a.a[2], s))
    return -EFAULT;
  return 0;
}

int64_t sys_getresgid(Process& p, const SyscallArgs& a) {
  gid_t r, e, s;
  getresgid(&r, &e, &s);
  if (!write_guest(p, a.a[0], r) || !write_guest(p, a.a[1], e) || !write_guest(p, a.a[2], s))
    return -EFAULT;
  return 0;
}

int64_t sys_getgroups(Process& p, const SyscallArgs& a) {
  const int n = int(a.a[0]);
  if (n < 0) return -EINVAL;
  uint8_t* buf = guest_out(p, a.a[1], uint64_t(n) * sizeof(gid_t));
  if (!buf) return -EFAULT;
  return host_result(getgroups(n, reinterpret_cast<gid_t*>(buf)));
}

int64_t sys_setgroups(Process& p, const SyscallArgs& a) {
  const uint64_t n = a.a[0];
  if (n > 65536) return -EINVAL;
  const uint8_t* buf = guest_in(p, a.a[1], n * sizeof(gid_t));
  if (!buf) return -EFAULT;
  return host_result(syscall(SYS_setgroups, n, buf));
}

int64_t sys_setpgid(Process&, const SyscallArgs& a) {
  return host_result(setpgid(pid_t(a.a[0]), pid_t(a.a[1])));
}
int64_t sys_getpgid(Process&, const SyscallArgs& a) { return host_result(getpgid(pid_t(a.a[0]))); }
int64_t sys_getsid(Process&, const SyscallArgs& a) { return host_result(getsid(pid_t(a.a[0]))); }
int64_t sys_setsid(Process&, const SyscallArgs&) { return host_result(setsid()); }

int64_t sys_getpriority(Process&, const SyscallArgs& a) {
  // The raw syscall returns 20 - nice (never negative); libc wrappers undo that.
  return host_result(syscall(SYS_getpriority, int(a.a[0]), id_t(a.a[1])));
}
int64_t sys_setpriority(Process&, const SyscallArgs& a) {
  return host_result(setpriority(__priority_which_t(a.a[0]), id_t(a.a[1]), int(a.a[2])));
}

int64_t sys_set_tid_address(Process& p, const SyscallArgs& a) {
  p.thread().clear_child_tid = a.a[0];
  return gettid();
}

int64_t sys_set_robust_list(Process&, const SyscallArgs& a) {
  // Robust futex lists matter only when a thread dies holding a lock without unlocking it
  // (the kernel then marks the lock OWNER_DIED). xvm accepts the registration (the size must
  // match) but does not walk the list when a guest thread dies.
  return a.a[1] == 24 ? 0 : -EINVAL;
}

int64_t sys_sched_yield(Process&, const SyscallArgs&) { return host_result(sched_yield()); }

int64_t sys_sched_getaffinity(Process& p, const SyscallArgs& a) {
  if (a.a[1] == 0 || a.a[1] > 8192) return -EINVAL;
  uint8_t* buf = guest_out(p, a.a[2], a.a[1]);
  if (!buf) return -EFAULT;
  return host_result(syscall(SYS_sched_getaffinity, pid_t(a.a[0]), a.a[1], buf));
}

int64_t sys_getcpu(Process& p, const SyscallArgs& a) {
  unsigned cpu = 0, node = 0;
  if (syscall(SYS_getcpu, &cpu, &node, nullptr) != 0) return -errno;
  if (a.a[0] && !write_guest(p, a.a[0], cpu)) return -EFAULT;
  if (a.a[1] && !write_guest(p, a.a[1], node)) return -EFAULT;
  return 0;
}

int64_t sys_uname(Process& p, const SyscallArgs& a) {
  struct utsname u;
  uname(&u);
  std::snprintf(u.machine, sizeof u.machine, "aarch64");
  return write_guest(p, a.a[0], u) ? 0 : -EFAULT;
}

int64_t sys_sysinfo(Process& p, const SyscallArgs& a) {
  struct sysinfo si;  // same layout on both 64-bit ABIs
  if (sysinfo(&si) != 0) return -errno;
  return write_guest(p, a.a[0], si) ? 0 : -EFAULT;
}

int64_t sys_getrlimit(Process& p, const SyscallArgs& a) {
  struct rlimit r;
  if (getrlimit(__rlimit_resource_t(a.a[0]), &r) != 0) return -errno;
  return write_guest(p, a.a[1], r) ? 0 : -EFAULT;
}

int64_t sys_setrlimit(Process& p, const SyscallArgs& a) {
  struct rlimit r;
  if (!read_guest(p, a.a[1], &r)) return -EFAULT;
  return host_result(setrlimit(__rlimit_resource_t(a.a[0]), &r));
}

int64_t sys_prlimit64(Process& p, const SyscallArgs& a) {
  struct rlimit nl, ol;
  if (a.a[2] && !read_guest(p, a.a[2], &nl)) return -EFAULT;
  if (a.a[3] && !guest_out(p, a.a[3], sizeof ol)) return -EFAULT;
  const long r = syscall(SYS_prlimit64, pid_t(a.a[0]), int(a.a[1]), a.a[2] ? &nl : nullptr,
                         a.a[3] ? &ol : nullptr);
  if (r == 0 && a.a[3]) write_guest(p, a.a[3], ol);
  return host_result(r);
}

int64_t sys_getrusage(Process& p, const SyscallArgs& a) {
  struct rusage ru;  // same layout on both 64-bit ABIs
  if (getrusage(int(a.a[0]), &ru) != 0) return -errno;
  return write_guest(p, a.a[1], ru) ? 0 : -EFAULT;
}

int64_t sys_prctl(Process& p, const SyscallArgs& a) {
  switch (int(a.a[0])) {
    case PR_SET_NAME: {
      auto s = p.arena().read_cstring(a.a[1], 16);
      char name[16] = {};
      if (!s) {
        if (!p.arena().read(a.a[1], name, 15)) return -EFAULT;
      } else {
        std::snprintf(name, sizeof name, "%s", s->c_str());
      }
      return host_result(prctl(PR_SET_NAME, name));
    }
    case PR_GET_NAME: {
      char name[16] = {};
      prctl(PR_GET_NAME, name);
      return p.arena().write(a.a[1], name, sizeof name) ? 0 : -EFAULT;
    }
    case PR_SET_PDEATHSIG: case PR_GET_DUMPABLE: case PR_SET_DUMPABLE:
    case PR_SET_NO_NEW_PRIVS: case PR_GET_NO_NEW_PRIVS: case PR_SET_CHILD_SUBREAPER:
      return host_result(prctl(int(a.a[0]), a.a[1], a.a[2], a.a[3], a.a[4]));
    default:
      return -EINVAL;
  }
}

int64_t sys_getrandom(Process& p, const SyscallArgs& a) {
  uint8_t* buf = guest_out(p, a.a[0], a.a[1]);
  if (!buf) return -EFAULT;
  return host_result(syscall(SYS_getrandom, buf, a.a[1], unsigned(a.a[2])));
}

int64_t sys_futex(Process& p, const SyscallArgs& a) {
  // Guest memory is host memory, so futex words are host futex words: pass the operation
  // through with translated addresses. The timeout (struct timespec) has the same layout.
  const int op = int(a.a[1]) & FUTEX_CMD_MASK;
  uint8_t* uaddr = guest_buf(p, a.a[0], 4, memory::kRead);
  if (!uaddr || (a.a[0] & 3)) return -EFAULT;
  timespec ts;
  const bool has_timeout = (op == FUTEX_WAIT || op == FUTEX_WAIT_BITSET || op == FUTEX_LOCK_PI ||
                            op == FUTEX_WAIT_REQUEUE_PI || op == FUTEX_LOCK_PI2) && a.a[3];
  if (has_timeout && !read_guest(p, a.a[3], &ts)) return -EFAULT;
  uint8_t* uaddr2 = nullptr;
  if (op == FUTEX_REQUEUE || op == FUTEX_CMP_REQUEUE || op == FUTEX_WAKE_OP ||
      op == FUTEX_CMP_REQUEUE_PI || op == FUTEX_WAIT_REQUEUE_PI) {
    uaddr2 = guest_buf(p, a.a[4], 4, memory::kRead);
    if (!uaddr2) return -EFAULT;
  }
  const uint64_t arg4 = has_timeout ? reinterpret_cast<uint64_t>(&ts) : a.a[3];
  return blocking(p, SYS_futex, uaddr, int(a.a[1]), uint32_t(a.a[2]), arg4, uaddr2, uint32_t(a.a[5]));
}

int64_t sys_kill(Process&, const SyscallArgs& a) {
  return host_result(kill(pid_t(a.a[0]), int(a.a[1])));
}

int64_t sys_tkill(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_tkill, pid_t(a.a[0]), int(a.a[1])));
}

int64_t sys_tgkill(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_tgkill, pid_t(a.a[0]), pid_t(a.a[1]), int(a.a[2])));
}

int64_t sys_wait4(Process& p, const SyscallArgs& a) {
  int status = 0;
  struct rusage ru;
  if (a.a[1] && !guest_out(p, a.a[1], sizeof status)) return -EFAULT;
  if (a.a[3] && !guest_out(p, a.a[3], sizeof ru)) return -EFAULT;
  const int64_t r = blocking(p, SYS_wait4, pid_t(a.a[0]), &status, int(a.a[2]), a.a[3] ? &ru : nullptr);
  if (r > 0) {
    if (a.a[1]) write_guest(p, a.a[1], status);
    if (a.a[3]) write_guest(p, a.a[3], ru);
  }
  return r;
}

int64_t sys_waitid(Process& p, const SyscallArgs& a) {
  siginfo_t si{};
  struct rusage ru;
  if (a.a[2] && !guest_out(p, a.a[2], sizeof si)) return -EFAULT;
  if (a.a[4] && !guest_out(p, a.a[4], sizeof ru)) return -EFAULT;
  const int64_t r = blocking(p, SYS_waitid, int(a.a[0]), id_t(a.a[1]), &si, int(a.a[3]),
                             a.a[4] ? &ru : nullptr);
  if (r == 0) {
    if (a.a[2]) write_guest(p, a.a[2], si);
    if (a.a[4]) write_guest(p, a.a[4], ru);
  }
  return r;
}

}  // namespace xvm::linux_user
