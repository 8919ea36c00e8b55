// Clocks, sleeps and interval timers. struct timespec/timeval/itimerval/tms have the same
// layout on both 64-bit ABIs, so results are copied as they are.
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "linux/syscalls/common.h"

namespace xvm::linux_user {

int64_t sys_clock_gettime(Process& p, const SyscallArgs& a) {
  timespec ts;
  if (clock_gettime(clockid_t(a.a[0]), &ts) != 0) return -errno;
  return write_guest(p, a.a[1], ts) ? 0 : -EFAULT;
}

int64_t sys_clock_getres(Process& p, const SyscallArgs& a) {
  timespec ts;
  if (clock_getres(clockid_t(a.a[0]), &ts) != 0) return -errno;
  if (a.a[1] && !write_guest(p, a.a[1], ts)) return -EFAULT;
  return 0;
}

int64_t sys_gettimeofday(Process& p, const SyscallArgs& a) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  if (a.a[0] && !write_guest(p, a.a[0], tv)) return -EFAULT;
  if (a.a[1]) {
    const uint32_t tz[2] = {0, 0};
    if (!p.arena().write(a.a[1], tz, sizeof tz)) return -EFAULT;
  }
  return 0;
}

int64_t sys_nanosleep(Process& p, const SyscallArgs& a) {
  timespec req, rem{};
  if (!read_guest(p, a.a[0], &req)) return -EFAULT;
  const int64_t r = blocking(p, SYS_nanosleep, &req, &rem);
  if (r == -EINTR && a.a[1]) write_guest(p, a.a[1], rem);
  return r;
}

int64_t sys_clock_nanosleep(Process& p, const SyscallArgs& a) {
  timespec req, rem{};
  if (!read_guest(p, a.a[2], &req)) return -EFAULT;
  const int64_t r =
      blocking(p, SYS_clock_nanosleep, clockid_t(a.a[0]), int(a.a[1]), &req, &rem);
  if (r == -EINTR && a.a[3] && !(a.a[1] & TIMER_ABSTIME)) write_guest(p, a.a[3], rem);
  return r;
}

int64_t sys_getitimer(Process& p, const SyscallArgs& a) {
  itimerval v;
  if (getitimer(__itimer_which_t(a.a[0]), &v) != 0) return -errno;
  return write_guest(p, a.a[1], v) ? 0 : -EFAULT;
}

int64_t sys_setitimer(Process& p, const SyscallArgs& a) {
  itimerval n, o;
  if (!read_guest(p, a.a[1], &n)) return -EFAULT;
  if (setitimer(__itimer_which_t(a.a[0]), &n, &o) != 0) return -errno;
  if (a.a[2] && !write_guest(p, a.a[2], o)) return -EFAULT;
  return 0;
}

int64_t sys_times(Process& p, const SyscallArgs& a) {
  tms t;
  const clock_t r = times(&t);
  if (a.a[0] && !write_guest(p, a.a[0], t)) return -EFAULT;
  return int64_t(r);
}

}  // namespace xvm::linux_user
