// stat family, statfs, readlink and timestamps. arm64 uses the asm-generic struct stat, whose
// layout differs from x86-64's; statx and statfs are the same on both.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

// include/uapi/asm-generic/stat.h, 128 bytes.
struct Arm64Stat {
  uint64_t st_dev;
  uint64_t st_ino;
  uint32_t st_mode;
  uint32_t st_nlink;
  uint32_t st_uid;
  uint32_t st_gid;
  uint64_t st_rdev;
  uint64_t pad1;
  int64_t st_size;
  int32_t st_blksize;
  int32_t pad2;
  int64_t st_blocks;
  int64_t st_atime_sec;
  uint64_t st_atime_nsec;
  int64_t st_mtime_sec;
  uint64_t st_mtime_nsec;
  int64_t st_ctime_sec;
  uint64_t st_ctime_nsec;
  uint32_t unused4;
  uint32_t unused5;
};
static_assert(sizeof(Arm64Stat) == 128);

Arm64Stat to_guest(const struct stat& s) {
  Arm64Stat g{};
  g.st_dev = s.st_dev;
  g.st_ino = s.st_ino;
  g.st_mode = s.st_mode;
  g.st_nlink = static_cast<uint32_t>(s.st_nlink);
  g.st_uid = s.st_uid;
  g.st_gid = s.st_gid;
  g.st_rdev = s.st_rdev;
  g.st_size = s.st_size;
  g.st_blksize = static_cast<int32_t>(s.st_blksize);
  g.st_blocks = s.st_blocks;
  g.st_atime_sec = s.st_atim.tv_sec;
  g.st_atime_nsec = static_cast<uint64_t>(s.st_atim.tv_nsec);
  g.st_mtime_sec = s.st_mtim.tv_sec;
  g.st_mtime_nsec = static_cast<uint64_t>(s.st_mtim.tv_nsec);
  g.st_ctime_sec = s.st_ctim.tv_sec;
  g.st_ctime_nsec = static_cast<uint64_t>(s.st_ctim.tv_nsec);
  return g;
}

}  // namespace

int64_t sys_newfstatat(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  if (!guest_out(p, a.a[2], sizeof(Arm64Stat))) return -EFAULT;
  struct stat st;
  if (fstatat(int(a.a[0]), path->c_str(), &st, int(a.a[3])) != 0) return -errno;
  write_guest(p, a.a[2], to_guest(st));
  return 0;
}

int64_t sys_fstat(Process& p, const SyscallArgs& a) {
  if (!guest_out(p, a.a[1], sizeof(Arm64Stat))) return -EFAULT;
  struct stat st;
  if (fstat(int(a.a[0]), &st) != 0) return -errno;
  write_guest(p, a.a[1], to_guest(st));
  return 0;
}

int64_t sys_statx(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  uint8_t* out = guest_out(p, a.a[4], sizeof(struct statx));
  if (!out) return -EFAULT;
  return host_result(
      syscall(SYS_statx, int(a.a[0]), path->c_str(), int(a.a[2]), unsigned(a.a[3]), out));
}

int64_t sys_statfs(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[0]);
  if (!path) return -EFAULT;
  uint8_t* out = guest_out(p, a.a[1], sizeof(struct statfs));
  if (!out) return -EFAULT;
  return host_result(syscall(SYS_statfs, path->c_str(), out));
}

int64_t sys_fstatfs(Process& p, const SyscallArgs& a) {
  uint8_t* out = guest_out(p, a.a[1], sizeof(struct statfs));
  if (!out) return -EFAULT;
  return host_result(syscall(SYS_fstatfs, int(a.a[0]), out));
}

int64_t sys_readlinkat(Process& p, const SyscallArgs& a) {
  auto raw = p.arena().read_cstring(a.a[1], PATH_MAX);
  if (!raw) return -EFAULT;
  auto path = std::optional<std::string>(*raw);
  uint8_t* buf = guest_out(p, a.a[2], a.a[3]);
  if (!buf) return -EFAULT;
  if (static_cast<int64_t>(a.a[3]) <= 0) return -EINVAL;
  // /proc/self/exe names the guest program, not xvm (what qemu-user does too).
  if (raw->starts_with("/proc/") && raw->ends_with("/exe") && p.host_path(*raw) == p.exe_path) {
    const size_t n = std::min<size_t>(p.exe_path.size(), a.a[3]);
    std::memcpy(buf, p.exe_path.data(), n);
    return int64_t(n);
  }
  *path = p.host_path(*raw);
  return host_result(readlinkat(int(a.a[0]), path->c_str(), reinterpret_cast<char*>(buf), a.a[3]));
}

int64_t sys_utimensat(Process& p, const SyscallArgs& a) {
  timespec ts[2];
  if (a.a[2] && !p.arena().read(a.a[2], ts, sizeof ts)) return -EFAULT;
  std::optional<std::string> path;
  if (a.a[1]) {
    path = guest_path(p, a.a[1]);
    if (!path) return -EFAULT;
  }
  // A NULL path with a descriptor is futimens(); the raw syscall accepts it, libc does not.
  return host_result(syscall(SYS_utimensat, int(a.a[0]), path ? path->c_str() : nullptr,
                             a.a[2] ? ts : nullptr, int(a.a[3])));
}

}  // namespace xvm::linux_user
