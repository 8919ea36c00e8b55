// Event descriptors and timers: epoll (arm64's struct epoll_event is 16 bytes with padding,
// x86-64's is packed into 12, so events are converted), eventfd, timerfd, signalfd, memfd,
// inotify, POSIX timers. Their other structures (itimerspec, signalfd_siginfo,
// inotify_event, sigevent) have the same layout on both ABIs.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <vector>

#include "linux/signals.h"
#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

struct GuestEpollEvent {  // include/uapi/linux/eventpoll.h without __packed (arm64)
  uint32_t events;
  uint32_t pad;
  uint64_t data;
};
static_assert(sizeof(GuestEpollEvent) == 16);

// Guest sigset for a host call: fault signals stay deliverable to xvm.
uint64_t host_sigset(uint64_t guest) {
  return guest & ~((uint64_t{1} << (SIGSEGV - 1)) | (uint64_t{1} << (SIGBUS - 1)));
}

int64_t epoll_wait_common(Process& p, int fd, uint64_t events, int max, const timespec* ts,
                          int timeout_ms, bool use_ts, uint64_t mask_addr) {
  if (max <= 0 || max > 65536) return -EINVAL;
  if (!guest_out(p, events, uint64_t(max) * sizeof(GuestEpollEvent))) return -EFAULT;
  uint64_t mask = 0;
  if (mask_addr && !read_guest(p, mask_addr, &mask)) return -EFAULT;
  mask = host_sigset(mask);
  std::vector<epoll_event> host(static_cast<size_t>(max));
  int64_t r;
  if (use_ts)
    r = blocking(p, SYS_epoll_pwait2, fd, host.data(), max, ts, mask_addr ? &mask : nullptr, 8);
  else
    r = blocking(p, SYS_epoll_pwait, fd, host.data(), max, timeout_ms, mask_addr ? &mask : nullptr,
                 8);
  if (r < 0) return r;
  std::vector<GuestEpollEvent> out(static_cast<size_t>(r));
  for (long i = 0; i < r; ++i) out[i] = GuestEpollEvent{host[i].events, 0, host[i].data.u64};
  if (r && !p.arena().write(events, out.data(), out.size() * sizeof(GuestEpollEvent))) return -EFAULT;
  return r;
}

}  // namespace

int64_t sys_epoll_create1(Process&, const SyscallArgs& a) {
  return host_result(epoll_create1(int(a.a[0])));
}

int64_t sys_epoll_ctl(Process& p, const SyscallArgs& a) {
  epoll_event ev{};
  if (int(a.a[1]) != EPOLL_CTL_DEL || a.a[3]) {
    GuestEpollEvent g;
    if (!read_guest(p, a.a[3], &g)) return -EFAULT;
    ev.events = g.events;
    ev.data.u64 = g.data;
  }
  return host_result(epoll_ctl(int(a.a[0]), int(a.a[1]), int(a.a[2]), &ev));
}

int64_t sys_epoll_pwait(Process& p, const SyscallArgs& a) {
  return epoll_wait_common(p, int(a.a[0]), a.a[1], int(a.a[2]), nullptr, int(a.a[3]), false,
                           a.a[4]);
}

int64_t sys_epoll_pwait2(Process& p, const SyscallArgs& a) {
  timespec ts;
  if (a.a[3] && !read_guest(p, a.a[3], &ts)) return -EFAULT;
  return epoll_wait_common(p, int(a.a[0]), a.a[1], int(a.a[2]), a.a[3] ? &ts : nullptr, 0, true,
                           a.a[4]);
}

int64_t sys_eventfd2(Process&, const SyscallArgs& a) {
  return host_result(eventfd(unsigned(a.a[0]), int(a.a[1])));
}

int64_t sys_timerfd_create(Process&, const SyscallArgs& a) {
  return host_result(timerfd_create(int(a.a[0]), int(a.a[1])));
}

int64_t sys_timerfd_settime(Process& p, const SyscallArgs& a) {
  itimerspec n, o;
  if (!read_guest(p, a.a[2], &n)) return -EFAULT;
  if (timerfd_settime(int(a.a[0]), int(a.a[1]), &n, &o) != 0) return -errno;
  if (a.a[3] && !write_guest(p, a.a[3], o)) return -EFAULT;
  return 0;
}

int64_t sys_timerfd_gettime(Process& p, const SyscallArgs& a) {
  itimerspec o;
  if (timerfd_gettime(int(a.a[0]), &o) != 0) return -errno;
  return write_guest(p, a.a[1], o) ? 0 : -EFAULT;
}

int64_t sys_signalfd4(Process& p, const SyscallArgs& a) {
  uint64_t mask;
  if (a.a[2] != 8) return -EINVAL;
  if (!read_guest(p, a.a[1], &mask)) return -EFAULT;
  mask = host_sigset(mask);
  return host_result(syscall(SYS_signalfd4, int(a.a[0]), &mask, 8, int(a.a[3])));
}

int64_t sys_memfd_create(Process& p, const SyscallArgs& a) {
  auto name = p.arena().read_cstring(a.a[0], 249);
  if (!name) return -EFAULT;
  return host_result(memfd_create(name->c_str(), unsigned(a.a[1])));
}

int64_t sys_inotify_init1(Process&, const SyscallArgs& a) {
  return host_result(inotify_init1(int(a.a[0])));
}

int64_t sys_inotify_add_watch(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  return host_result(inotify_add_watch(int(a.a[0]), path->c_str(), uint32_t(a.a[2])));
}

int64_t sys_inotify_rm_watch(Process&, const SyscallArgs& a) {
  return host_result(inotify_rm_watch(int(a.a[0]), int(a.a[1])));
}

int64_t sys_timer_create(Process& p, const SyscallArgs& a) {
  // struct sigevent (64 bytes) is the same on both ABIs; SIGEV_THREAD_ID names a host tid,
  // which is the guest tid.
  uint8_t sev[64];
  if (a.a[1] && !p.arena().read(a.a[1], sev, sizeof sev)) return -EFAULT;
  int id;
  if (!guest_out(p, a.a[2], sizeof id)) return -EFAULT;
  const long r = syscall(SYS_timer_create, clockid_t(a.a[0]), a.a[1] ? sev : nullptr, &id);
  if (r == 0) write_guest(p, a.a[2], id);
  return host_result(r);
}

int64_t sys_timer_settime(Process& p, const SyscallArgs& a) {
  itimerspec n, o;
  if (!read_guest(p, a.a[2], &n)) return -EFAULT;
  const long r = syscall(SYS_timer_settime, int(a.a[0]), int(a.a[1]), &n, a.a[3] ? &o : nullptr);
  if (r == 0 && a.a[3] && !write_guest(p, a.a[3], o)) return -EFAULT;
  return host_result(r);
}

int64_t sys_timer_gettime(Process& p, const SyscallArgs& a) {
  itimerspec o;
  const long r = syscall(SYS_timer_gettime, int(a.a[0]), &o);
  if (r == 0 && !write_guest(p, a.a[1], o)) return -EFAULT;
  return host_result(r);
}

int64_t sys_timer_getoverrun(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_timer_getoverrun, int(a.a[0])));
}

int64_t sys_timer_delete(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_timer_delete, int(a.a[0])));
}

int64_t sys_rt_sigqueueinfo(Process& p, const SyscallArgs& a) {
  siginfo_t si;
  if (!read_guest(p, a.a[2], &si)) return -EFAULT;
  return host_result(syscall(SYS_rt_sigqueueinfo, pid_t(a.a[0]), int(a.a[1]), &si));
}

int64_t sys_rt_tgsigqueueinfo(Process& p, const SyscallArgs& a) {
  siginfo_t si;
  if (!read_guest(p, a.a[3], &si)) return -EFAULT;
  return host_result(
      syscall(SYS_rt_tgsigqueueinfo, pid_t(a.a[0]), pid_t(a.a[1]), int(a.a[2]), &si));
}

int64_t sys_pidfd_open(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_pidfd_open, pid_t(a.a[0]), unsigned(a.a[1])));
}

int64_t sys_close_range(Process&, const SyscallArgs& a) {
  return host_result(syscall(SYS_close_range, unsigned(a.a[0]), unsigned(a.a[1]), int(a.a[2])));
}

}  // namespace xvm::linux_user
