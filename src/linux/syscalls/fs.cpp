// Files, descriptors and directories. Guest descriptors are host descriptors: xvm keeps none
// of its own open while the guest runs.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <vector>

#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

int dirfd_arg(uint64_t v) { return static_cast<int>(v); }

// Reads a guest iovec array (struct iovec is {u64 base, u64 len} on both ABIs) into host iovecs
// after checking every buffer.
std::optional<std::vector<iovec>> guest_iovecs(Process& p, uint64_t addr, uint64_t count,
                                               int prot) {
  if (count > IOV_MAX) return std::nullopt;
  std::vector<uint64_t> raw(count * 2);
  if (count && !p.arena().read(addr, raw.data(), count * 16)) return std::nullopt;
  std::vector<iovec> v(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t* h = guest_buf(p, raw[2 * i], raw[2 * i + 1], prot);
    if (!h) return std::nullopt;
    v[i] = iovec{h, raw[2 * i + 1]};
  }
  return v;
}

}  // namespace

int64_t sys_openat(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  if (auto r = open_proc_view(p, *path, a.a[2])) return *r;
  return host_result(openat(dirfd_arg(a.a[0]), path->c_str(),
                            static_cast<int>(open_flags_to_host(a.a[2])),
                            static_cast<mode_t>(a.a[3])));
}

int64_t sys_close(Process&, const SyscallArgs& a) { return host_result(close(int(a.a[0]))); }

int64_t sys_read(Process& p, const SyscallArgs& a) {
  uint8_t* buf = guest_out(p, a.a[1], a.a[2]);
  if (!buf) return -EFAULT;
  return blocking(p, SYS_read, int(a.a[0]), buf, a.a[2]);
}

int64_t sys_write(Process& p, const SyscallArgs& a) {
  const uint8_t* buf = guest_in(p, a.a[1], a.a[2]);
  if (!buf) return -EFAULT;
  return blocking(p, SYS_write, int(a.a[0]), buf, a.a[2]);
}

int64_t sys_pread64(Process& p, const SyscallArgs& a) {
  uint8_t* buf = guest_out(p, a.a[1], a.a[2]);
  if (!buf) return -EFAULT;
  return blocking(p, SYS_pread64, int(a.a[0]), buf, a.a[2], a.a[3]);
}

int64_t sys_pwrite64(Process& p, const SyscallArgs& a) {
  const uint8_t* buf = guest_in(p, a.a[1], a.a[2]);
  if (!buf) return -EFAULT;
  return blocking(p, SYS_pwrite64, int(a.a[0]), buf, a.a[2], a.a[3]);
}

int64_t sys_readv(Process& p, const SyscallArgs& a) {
  auto v = guest_iovecs(p, a.a[1], a.a[2], memory::kWrite);
  if (!v) return a.a[2] > IOV_MAX ? -EINVAL : -EFAULT;
  return blocking(p, SYS_readv, int(a.a[0]), v->data(), v->size());
}

int64_t sys_writev(Process& p, const SyscallArgs& a) {
  auto v = guest_iovecs(p, a.a[1], a.a[2], memory::kRead);
  if (!v) return a.a[2] > IOV_MAX ? -EINVAL : -EFAULT;
  return blocking(p, SYS_writev, int(a.a[0]), v->data(), v->size());
}

int64_t sys_lseek(Process&, const SyscallArgs& a) {
  return host_result(lseek(int(a.a[0]), off_t(a.a[1]), int(a.a[2])));
}

int64_t sys_dup(Process&, const SyscallArgs& a) { return host_result(dup(int(a.a[0]))); }

int64_t sys_dup3(Process&, const SyscallArgs& a) {
  return host_result(dup3(int(a.a[0]), int(a.a[1]), int(open_flags_to_host(a.a[2]))));
}

int64_t sys_fcntl(Process& p, const SyscallArgs& a) {
  const int fd = int(a.a[0]), cmd = int(a.a[1]);
  switch (cmd) {
    case F_GETFL: {
      const int r = fcntl(fd, F_GETFL);
      return r < 0 ? -errno : int64_t(open_flags_to_guest(uint64_t(r)));
    }
    case F_SETFL:
      return host_result(fcntl(fd, F_SETFL, int(open_flags_to_host(a.a[2]))));
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW: {
      // struct flock has the same 32-byte layout on both 64-bit ABIs.
      uint8_t* fl = guest_buf(p, a.a[2], sizeof(struct flock), memory::kRead | memory::kWrite);
      if (!fl) return -EFAULT;
      return blocking(p, SYS_fcntl, fd, cmd, fl);  // F_SETLKW may wait
    }
    case F_DUPFD: case F_DUPFD_CLOEXEC: case F_GETFD: case F_SETFD: case F_GETOWN:
    case F_SETOWN: case F_GETSIG: case F_SETSIG: case F_SETPIPE_SZ: case F_GETPIPE_SZ:
    case F_ADD_SEALS: case F_GET_SEALS: case F_SETLEASE: case F_GETLEASE: case F_NOTIFY:
      return host_result(fcntl(fd, cmd, a.a[2]));
    default:
      return -EINVAL;
  }
}

int64_t sys_ioctl(Process& p, const SyscallArgs& a) {
  const int fd = int(a.a[0]);
  const unsigned long req = a.a[1];
  // Terminal and descriptor ioctls whose argument layouts are identical on both ABIs
  // (asm-generic/ioctls.h numbers are used by both arm64 and x86-64).
  size_t in = 0, out = 0;
  switch (req) {
    case TCGETS: out = 36; break;  // struct termios (kernel): 4 flags, c_line, c_cc[19]
    case TCSETS: case TCSETSW: case TCSETSF: in = 36; break;
    case TIOCGWINSZ: out = sizeof(winsize); break;
    case TIOCSWINSZ: in = sizeof(winsize); break;
    case TIOCGPGRP: case FIONREAD: case TIOCGSID: case TIOCOUTQ: out = sizeof(int); break;
    case TIOCSPGRP: case FIONBIO: case FIOASYNC: in = sizeof(int); break;
    case TIOCSCTTY: case TIOCNOTTY: case FIOCLEX: case FIONCLEX: case TCFLSH: case TCXONC:
    case TCSBRK:
      return host_result(ioctl(fd, req, a.a[2]));
    default:
      return -ENOTTY;
  }
  uint8_t* buf = guest_buf(p, a.a[2], in + out, in ? memory::kRead : memory::kWrite);
  if (!buf) return -EFAULT;
  return host_result(ioctl(fd, req, buf));
}

int64_t sys_pipe2(Process& p, const SyscallArgs& a) {
  int fds[2];
  if (!guest_out(p, a.a[0], sizeof fds)) return -EFAULT;
  if (pipe2(fds, int(open_flags_to_host(a.a[1]))) != 0) return -errno;
  write_guest(p, a.a[0], fds);
  return 0;
}

int64_t sys_flock(Process& p, const SyscallArgs& a) {
  return blocking(p, SYS_flock, int(a.a[0]), int(a.a[1]));
}

int64_t sys_mknodat(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  return host_result(mknodat(dirfd_arg(a.a[0]), path->c_str(), mode_t(a.a[2]), dev_t(a.a[3])));
}

int64_t sys_mkdirat(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  return host_result(mkdirat(dirfd_arg(a.a[0]), path->c_str(), mode_t(a.a[2])));
}

int64_t sys_unlinkat(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  return host_result(unlinkat(dirfd_arg(a.a[0]), path->c_str(), int(a.a[2])));
}

int64_t sys_symlinkat(Process& p, const SyscallArgs& a) {
  // The link's contents are stored verbatim (not translated); only where it is made is.
  auto target = p.arena().read_cstring(a.a[0], PATH_MAX);
  auto path = guest_path(p, a.a[2]);
  if (!target || !path) return -EFAULT;
  return host_result(symlinkat(target->c_str(), dirfd_arg(a.a[1]), path->c_str()));
}

int64_t sys_linkat(Process& p, const SyscallArgs& a) {
  auto from = guest_path(p, a.a[1]);
  auto to = guest_path(p, a.a[3]);
  if (!from || !to) return -EFAULT;
  return host_result(
      linkat(dirfd_arg(a.a[0]), from->c_str(), dirfd_arg(a.a[2]), to->c_str(), int(a.a[4])));
}

int64_t sys_renameat(Process& p, const SyscallArgs& a) {
  SyscallArgs b = a;
  b.a[4] = 0;
  return sys_renameat2(p, b);
}

int64_t sys_renameat2(Process& p, const SyscallArgs& a) {
  auto from = guest_path(p, a.a[1]);
  auto to = guest_path(p, a.a[3]);
  if (!from || !to) return -EFAULT;
  return host_result(syscall(SYS_renameat2, dirfd_arg(a.a[0]), from->c_str(), dirfd_arg(a.a[2]),
                             to->c_str(), unsigned(a.a[4])));
}

int64_t sys_truncate(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[0]);
  if (!path) return -EFAULT;
  return host_result(truncate(path->c_str(), off_t(a.a[1])));
}

int64_t sys_ftruncate(Process&, const SyscallArgs& a) {
  return host_result(ftruncate(int(a.a[0]), off_t(a.a[1])));
}

int64_t sys_fallocate(Process&, const SyscallArgs& a) {
  return host_result(fallocate(int(a.a[0]), int(a.a[1]), off_t(a.a[2]), off_t(a.a[3])));
}

int64_t sys_faccessat(Process& p, const SyscallArgs& a) {
  SyscallArgs b = a;
  b.a[3] = 0;
  return sys_faccessat2(p, b);
}

int64_t sys_faccessat2(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  return host_result(
      syscall(SYS_faccessat2, dirfd_arg(a.a[0]), path->c_str(), int(a.a[2]), int(a.a[3])));
}

int64_t sys_chdir(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[0]);
  if (!path) return -EFAULT;
  return host_result(chdir(path->c_str()));
}

int64_t sys_fchdir(Process&, const SyscallArgs& a) { return host_result(fchdir(int(a.a[0]))); }

int64_t sys_chroot(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[0]);
  if (!path) return -EFAULT;
  return host_result(chroot(path->c_str()));
}

int64_t sys_fchmod(Process&, const SyscallArgs& a) {
  return host_result(fchmod(int(a.a[0]), mode_t(a.a[1])));
}

int64_t sys_fchmodat(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  return host_result(fchmodat(dirfd_arg(a.a[0]), path->c_str(), mode_t(a.a[2]), 0));
}

int64_t sys_fchownat(Process& p, const SyscallArgs& a) {
  auto path = guest_path(p, a.a[1]);
  if (!path) return -EFAULT;
  return host_result(
      fchownat(dirfd_arg(a.a[0]), path->c_str(), uid_t(a.a[2]), gid_t(a.a[3]), int(a.a[4])));
}

int64_t sys_fchown(Process&, const SyscallArgs& a) {
  return host_result(fchown(int(a.a[0]), uid_t(a.a[1]), gid_t(a.a[2])));
}

int64_t sys_getcwd(Process& p, const SyscallArgs& a) {
  uint8_t* buf = guest_out(p, a.a[0], a.a[1]);
  if (!buf) return -EFAULT;
  // The raw syscall returns the length including the NUL, as the guest's libc expects.
  return host_result(syscall(SYS_getcwd, buf, a.a[1]));
}

int64_t sys_getdents64(Process& p, const SyscallArgs& a) {
  // struct linux_dirent64 is the same on every architecture.
  uint8_t* buf = guest_out(p, a.a[1], a.a[2]);
  if (!buf) return -EFAULT;
  return host_result(syscall(SYS_getdents64, int(a.a[0]), buf, a.a[2]));
}

int64_t sys_sync(Process&, const SyscallArgs&) {
  sync();
  return 0;
}

int64_t sys_fsync(Process&, const SyscallArgs& a) { return host_result(fsync(int(a.a[0]))); }

int64_t sys_fdatasync(Process&, const SyscallArgs& a) {
  return host_result(fdatasync(int(a.a[0])));
}

int64_t sys_umask(Process&, const SyscallArgs& a) { return umask(mode_t(a.a[0])); }

int64_t sys_sendfile(Process& p, const SyscallArgs& a) {
  off_t off = 0;
  if (a.a[2] && !read_guest(p, a.a[2], &off)) return -EFAULT;
  const ssize_t r = sendfile(int(a.a[0]), int(a.a[1]), a.a[2] ? &off : nullptr, a.a[3]);
  if (r >= 0 && a.a[2]) write_guest(p, a.a[2], off);
  return host_result(r);
}

int64_t sys_copy_file_range(Process& p, const SyscallArgs& a) {
  loff_t in_off = 0, out_off = 0;
  if (a.a[1] && !read_guest(p, a.a[1], &in_off)) return -EFAULT;
  if (a.a[3] && !read_guest(p, a.a[3], &out_off)) return -EFAULT;
  const ssize_t r = copy_file_range(int(a.a[0]), a.a[1] ? &in_off : nullptr, int(a.a[2]),
                                    a.a[3] ? &out_off : nullptr, a.a[4], unsigned(a.a[5]));
  if (r >= 0 && a.a[1]) write_guest(p, a.a[1], in_off);
  if (r >= 0 && a.a[3]) write_guest(p, a.a[3], out_off);
  return host_result(r);
}

int64_t sys_ppoll(Process& p, const SyscallArgs& a) {
  // struct pollfd and struct timespec are identical on both ABIs.
  const uint64_t n = a.a[1];
  if (n > 65536) return -EINVAL;
  uint8_t* fds = guest_buf(p, a.a[0], n * sizeof(pollfd), memory::kRead | memory::kWrite);
  if (!fds) return -EFAULT;
  timespec ts;
  if (a.a[2] && !read_guest(p, a.a[2], &ts)) return -EFAULT;
  uint64_t mask = 0;
  if (a.a[3] && !read_guest(p, a.a[3], &mask)) return -EFAULT;
  // Signal numbers (and so sigset bits) are the same on both ABIs; fault signals stay open.
  mask &= ~((uint64_t{1} << (SIGSEGV - 1)) | (uint64_t{1} << (SIGBUS - 1)));
  const int64_t r = blocking(p, SYS_ppoll, fds, n, a.a[2] ? &ts : nullptr, a.a[3] ? &mask : nullptr, 8);
  if (r >= 0 && a.a[2]) write_guest(p, a.a[2], ts);
  return r;
}

int64_t sys_pselect6(Process& p, const SyscallArgs& a) {
  const int n = int(a.a[0]);
  if (n < 0 || n > 1024) return -EINVAL;
  const uint64_t bytes = (uint64_t(n) + 63) / 64 * 8;
  uint8_t* sets[3];
  for (int i = 0; i < 3; ++i) {
    sets[i] = nullptr;
    if (a.a[1 + i]) {
      sets[i] = guest_buf(p, a.a[1 + i], bytes, memory::kRead | memory::kWrite);
      if (!sets[i]) return -EFAULT;
    }
  }
  timespec ts;
  if (a.a[4] && !read_guest(p, a.a[4], &ts)) return -EFAULT;
  const int64_t r = blocking(p, SYS_pselect6, n, sets[0], sets[1], sets[2], a.a[4] ? &ts : nullptr,
                             nullptr);
  if (r >= 0 && a.a[4]) write_guest(p, a.a[4], ts);
  return r;
}

}  // namespace xvm::linux_user
