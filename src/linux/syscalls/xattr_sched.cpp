// Extended attributes (paths through the sysroot) and scheduler queries: plain pass-through,
// the structures (sched_param, struct timespec) are the same on both ABIs.
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

constexpr uint64_t kXattrMax = 65536;

int64_t get_common(Process& p, const SyscallArgs& a, long nr) {
  auto path = guest_path(p, a.a[0]);
  auto name = p.arena().read_cstring(a.a[1], 255);
  if (!path || !name) return -EFAULT;
  uint8_t* v = guest_out(p, a.a[2], std::min(a.a[3], kXattrMax));
  if (!v) return -EFAULT;
  return host_result(syscall(nr, path->c_str(), name->c_str(), v, std::min(a.a[3], kXattrMax)));
}

int64_t list_common(Process& p, const SyscallArgs& a, long nr) {
  auto path = guest_path(p, a.a[0]);
  if (!path) return -EFAULT;
  uint8_t* v = guest_out(p, a.a[1], std::min(a.a[2], kXattrMax));
  if (!v) return -EFAULT;
  return host_result(syscall(nr, path->c_str(), v, std::min(a.a[2], kXattrMax)));
}

int64_t set_common(Process& p, const SyscallArgs& a, long nr) {
  auto path = guest_path(p, a.a[0]);
  auto name = p.arena().read_cstring(a.a[1], 255);
  if (!path || !name) return -EFAULT;
  if (a.a[3] > kXattrMax) return -E2BIG;
  const uint8_t* v = guest_in(p, a.a[2], a.a[3]);
  if (!v) return -EFAULT;
  return host_result(syscall(nr, path->c_str(), name->c_str(), v, a.a[3], int(a.a[4])));
}

}  // namespace

int64_t sys_getxattr(Process& p, const SyscallArgs& a) { return get_common(p, a, SYS_getxattr); }
int64_t sys_lgetxattr(Process& p, const SyscallArgs& a) { return get_common(p, a, SYS_lgetxattr); }
int64_t sys_listxattr(Process& p, const SyscallArgs& a) { return list_common(p, a, SYS_listxattr); }
int64_t sys_llistxattr(Process& p, const SyscallArgs& a) {
  return list_common(p, a, SYS_llistxattr);
}
int64_t sys_setxattr(Process& p, const SyscallArgs& a) { return set_common(p, a, SYS_setxattr); }
int64_t sys_lsetxattr(Process& p, const SyscallArgs& a) { return set_common(p, a, SYS_lsetxattr); }

int64_t sys_fgetxattr(Process& p, const SyscallArgs& a) {
  auto name = p.arena().read_cstring(a.a[1], 255);
  if (!name) return -EFAULT;
  uint8_t* v = guest_out(p, a.a[2], std::min(a.a[3], kXattrMax));
  if (!v) return -EFAULT;
  return host_result(fgetxattr(int(a.a[0]), name->c_str(), v, std::min(a.a[3], kXattrMax)));
}

int64_t sys_flistxattr(Process& p, const SyscallArgs& a) {
  uint8_t* v = guest_out(p, a.a[1], std::min(a.a[2], kXattrMax));
  if (!v) return -EFAULT;
  return host_result(flistxattr(int(a.a[0]), reinterpret_cast<char*>(v), std::min(a.a[2], kXattrMax)));
}

int64_t sys_fsetxattr(Process& p, const SyscallArgs& a) {
  auto name = p.arena().read_cstring(a.a[1], 255);
  if (!name) return -EFAULT;
  if (a.a[3] > kXattrMax) return -E2BIG;
  const uint8_t* v = guest_in(p, a.a[2], a.a[3]);
  if (!v) return -EFAULT;
  return host_result(fsetxattr(int(a.a[0]), name->c_str(), v, a.a[3], int(a.a[4])));
}

int64_t sys_sched_setaffinity(Process& p, const SyscallArgs& a) {
  if (a.a[1] > 8192) return -EINVAL;
  const uint8_t* m = guest_in(p, a.a[2], a.a[1]);
  if (!m) return -EFAULT;
  return host_result(syscall(SYS_sched_setaffinity, pid_t(a.a[0]), a.a[1], m));
}

int64_t sys_sched_getscheduler(Process&, const SyscallArgs& a) {
  return host_result(sched_getscheduler(pid_t(a.a[0])));
}

int64_t sys_sched_getparam(Process& p, const SyscallArgs& a) {
  sched_param sp;
  if (sched_getparam(pid_t(a.a[0]), &sp) != 0) return -errno;
  return write_guest(p, a.a[1], sp) ? 0 : -EFAULT;
}

int64_t sys_sched_setscheduler(Process& p, const SyscallArgs& a) {
  sched_param sp;
  if (!read_guest(p, a.a[2], &sp)) return -EFAULT;
  return host_result(sched_setscheduler(pid_t(a.a[0]), int(a.a[1]), &sp));
}

int64_t sys_sched_get_priority_max(Process&, const SyscallArgs& a) {
  return host_result(sched_get_priority_max(int(a.a[0])));
}

int64_t sys_sched_get_priority_min(Process&, const SyscallArgs& a) {
  return host_result(sched_get_priority_min(int(a.a[0])));
}

int64_t sys_personality(Process&, const SyscallArgs& a) {
  // Only the query (0xffffffff) and PER_LINUX are meaningful for an emulated process.
  const uint32_t v = uint32_t(a.a[0]);
  return (v == 0xffffffffu || v == 0) ? 0 : -EINVAL;
}

int64_t sys_fadvise64(Process&, const SyscallArgs& a) {
  return -posix_fadvise(int(a.a[0]), off_t(a.a[1]), off_t(a.a[2]), int(a.a[3]));
}

}  // namespace xvm::linux_user
