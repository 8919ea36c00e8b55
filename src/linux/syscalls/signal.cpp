// Signal syscalls: dispositions, masks, alternate stacks, sigreturn, waiting for signals.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/signals.h"
#include "linux/thread.h"
#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

constexpr uint64_t kUnblockable = (uint64_t{1} << (SIGKILL - 1)) | (uint64_t{1} << (SIGSTOP - 1));

}  // namespace

int64_t sys_rt_sigaction(Process& p, const SyscallArgs& a) {
  const int sig = int(a.a[0]);
  if (sig < 1 || sig > 64 || a.a[3] != 8) return -EINVAL;
  // arm64 struct sigaction: handler, flags, restorer, mask (8 bytes each).
  if (a.a[2]) {
    const GuestSigaction& cur = p.sigactions[sig];
    const uint64_t old[4] = {cur.handler, cur.flags, cur.restorer, cur.mask};
    if (!p.arena().write(a.a[2], old, sizeof old)) return -EFAULT;
  }
  if (a.a[1]) {
    if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
    uint64_t n[4];
    if (!p.arena().read(a.a[1], n, sizeof n)) return -EFAULT;
    p.sigactions[sig] = GuestSigaction{n[0], n[1], n[2], n[3] & ~kUnblockable};
    apply_host_disposition(p, sig);
  }
  return 0;
}

int64_t sys_rt_sigprocmask(Process& p, const SyscallArgs& a) {
  if (a.a[3] != 8) return -EINVAL;
  const uint64_t old = p.thread().sigmask;
  if (a.a[1]) {
    uint64_t set;
    if (!read_guest(p, a.a[1], &set)) return -EFAULT;
    switch (int(a.a[0])) {
      case SIG_BLOCK: p.thread().sigmask |= set; break;
      case SIG_UNBLOCK: p.thread().sigmask &= ~set; break;
      case SIG_SETMASK: p.thread().sigmask = set; break;
      default: return -EINVAL;
    }
    p.thread().sigmask &= ~kUnblockable;
    apply_host_mask(p.thread().sigmask);
  }
  if (a.a[2] && !write_guest(p, a.a[2], old)) return -EFAULT;
  return 0;
}

int64_t sys_rt_sigpending(Process& p, const SyscallArgs& a) {
  uint64_t host = 0;
  syscall(SYS_rt_sigpending, &host, 8);
  const uint64_t set = p.thread().pending_signals | host;
  return write_guest(p, a.a[0], set & p.thread().sigmask) ? 0 : -EFAULT;
}

int64_t sys_rt_sigreturn(Process& p, const SyscallArgs&) { return p.sigreturn(); }

int64_t sys_sigaltstack(Process& p, const SyscallArgs& a) {
  // stack_t on arm64: ss_sp (8), ss_flags (4 + 4 padding), ss_size (8).
  struct GuestStack {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
  };
  const bool on = p.thread().altstack_size && p.cpu().x[31] - p.thread().altstack_sp < p.thread().altstack_size;
  if (a.a[1]) {
    GuestStack old{p.thread().altstack_sp, on ? SS_ONSTACK : int32_t(p.thread().altstack_flags), 0,
                   p.thread().altstack_size};
    if (!write_guest(p, a.a[1], old)) return -EFAULT;
  }
  if (a.a[0]) {
    GuestStack n;
    if (!read_guest(p, a.a[0], &n)) return -EFAULT;
    if (on) return -EPERM;
    if (n.flags & SS_DISABLE) {
      p.thread().altstack_sp = p.thread().altstack_size = 0;
      p.thread().altstack_flags = SS_DISABLE;
    } else {
      if (n.flags & ~(1 << 31) /* SS_AUTODISARM */) return -EINVAL;
      if (n.size < 5120) return -ENOMEM;  // the arm64 kernel's MINSIGSTKSZ
      p.thread().altstack_sp = n.sp;
      p.thread().altstack_size = n.size;
      p.thread().altstack_flags = 0;
    }
  }
  return 0;
}

int64_t sys_rt_sigsuspend(Process& p, const SyscallArgs& a) {
  uint64_t mask;
  if (a.a[1] != 8) return -EINVAL;
  if (!read_guest(p, a.a[0], &mask)) return -EFAULT;
  // Wait with the temporary mask on the host, then deliver with it still in force; the frame
  // saves the original mask, which sigreturn restores (Linux's saved_sigmask).
  const uint64_t saved = p.thread().sigmask;
  p.thread().sigmask = mask & ~kUnblockable;
  while (!(p.thread().pending_signals & ~p.thread().sigmask))
    raw_sigsuspend(host_mask_for(p.thread().sigmask));
  p.cpu().x[0] = static_cast<uint64_t>(-EINTR);  // what the guest sees after its handler
  if (!p.deliver_pending(saved)) {
    p.thread().sigmask = saved;
    apply_host_mask(saved);
    return -EINTR;
  }
  return kNoReturn;
}

int64_t sys_rt_sigtimedwait(Process& p, const SyscallArgs& a) {
  uint64_t set;
  if (a.a[3] != 8) return -EINVAL;
  if (!read_guest(p, a.a[0], &set)) return -EFAULT;
  timespec ts;
  if (a.a[2] && !read_guest(p, a.a[2], &ts)) return -EFAULT;
  // A signal xvm already took from the host (the guest had it unblocked) is answered first.
  Thread& t = p.thread();
  siginfo_t si{};
  if (const uint64_t mine = t.pending_signals & set) {
    const int sig = __builtin_ctzll(mine) + 1;
    __atomic_and_fetch(&t.pending_signals, ~(uint64_t{1} << (sig - 1)), __ATOMIC_SEQ_CST);
    si = t.siginfo[sig];
    si.si_signo = sig;
    apply_host_mask(t.sigmask);  // the host held it blocked until it was taken
    if (a.a[1] && !write_guest(p, a.a[1], si)) return -EFAULT;
    return sig;
  }
  const uint64_t hs = host_mask_for(set);
  const long r = syscall(SYS_rt_sigtimedwait, &hs, &si, a.a[2] ? &ts : nullptr, 8);
  if (r < 0) return -errno;
  if (a.a[1] && !write_guest(p, a.a[1], si)) return -EFAULT;
  return r;
}

}  // namespace xvm::linux_user
