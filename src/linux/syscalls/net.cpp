// Sockets. struct sockaddr*, struct msghdr, struct cmsghdr, struct linger and the SOL_SOCKET
// option numbers are identical on the arm64 and x86-64 ABIs (asm-generic layouts on 64-bit),
// so data passes through; only guest pointers are checked and translated.
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

constexpr uint64_t kMaxSockaddr = sizeof(sockaddr_storage);

// A sockaddr input argument: host pointer to its bytes, or nullptr if the range is bad.
const uint8_t* sockaddr_in_arg(Process& p, uint64_t addr, uint64_t len) {
  if (len > kMaxSockaddr) return nullptr;
  return guest_in(p, addr, len);
}

// sockaddr output arguments (buffer + value-result length): reads the guest's length,
// runs `call(host_addr, &len)`, writes back the bytes and the length.
template <class Call>
int64_t with_sockaddr_out(Process& p, uint64_t addr, uint64_t len_addr, Call call) {
  if (!addr) {
    const long r = call(nullptr, nullptr);
    return r == -1 ? -errno : r;
  }
  uint32_t len;
  if (!read_guest(p, len_addr, &len)) return -EFAULT;
  if (int32_t(len) < 0) return -EINVAL;
  sockaddr_storage ss{};
  socklen_t hl = sizeof ss;
  long r = call(reinterpret_cast<sockaddr*>(&ss), &hl);
  if (r == kRestartSyscall) return r;
  if (r < 0) return r == -1 ? -errno : r;
  if (!p.arena().write(addr, &ss, std::min<uint64_t>(len, hl)) || !write_guest(p, len_addr, uint32_t(hl)))
    return -EFAULT;
  return r;
}

// Guest struct msghdr (56 bytes on both ABIs).
struct GuestMsghdr {
  uint64_t name;
  uint32_t namelen;
  uint32_t pad;
  uint64_t iov;
  uint64_t iovlen;
  uint64_t control;
  uint64_t controllen;
  int32_t flags;
  int32_t pad2;
};
static_assert(sizeof(GuestMsghdr) == 56);

// Builds a host msghdr pointing into guest memory (all ranges checked).
bool host_msghdr(Process& p, const GuestMsghdr& g, bool out, msghdr* h, std::vector<iovec>* iov) {
  if (g.iovlen > IOV_MAX || g.namelen > kMaxSockaddr || g.controllen > (1u << 20)) return false;
  const int prot = out ? memory::kWrite : memory::kRead;
  std::vector<uint64_t> raw(g.iovlen * 2);
  if (g.iovlen && !p.arena().read(g.iov, raw.data(), g.iovlen * 16)) return false;
  iov->resize(g.iovlen);
  for (uint64_t i = 0; i < g.iovlen; ++i) {
    uint8_t* b = guest_buf(p, raw[2 * i], raw[2 * i + 1], prot);
    if (!b) return false;
    (*iov)[i] = iovec{b, raw[2 * i + 1]};
  }
  *h = msghdr{};
  h->msg_iov = iov->data();
  h->msg_iovlen = iov->size();
  if (g.name && g.namelen) {
    h->msg_name = guest_buf(p, g.name, g.namelen, prot);
    if (!h->msg_name) return false;
    h->msg_namelen = g.namelen;
  }
  if (g.control && g.controllen) {
    h->msg_control = guest_buf(p, g.control, g.controllen, prot);
    if (!h->msg_control) return false;
    h->msg_controllen = g.controllen;
  }
  h->msg_flags = g.flags;
  return true;
}

}  // namespace

int64_t sys_socket(Process&, const SyscallArgs& a) {
  return host_result(socket(int(a.a[0]), int(a.a[1]), int(a.a[2])));
}

int64_t sys_socketpair(Process& p, const SyscallArgs& a) {
  int sv[2];
  if (!guest_out(p, a.a[3], sizeof sv)) return -EFAULT;
  if (socketpair(int(a.a[0]), int(a.a[1]), int(a.a[2]), sv) != 0) return -errno;
  write_guest(p, a.a[3], sv);
  return 0;
}

int64_t sys_bind(Process& p, const SyscallArgs& a) {
  const uint8_t* sa = sockaddr_in_arg(p, a.a[1], a.a[2]);
  if (!sa) return a.a[2] > kMaxSockaddr ? -EINVAL : -EFAULT;
  return host_result(bind(int(a.a[0]), reinterpret_cast<const sockaddr*>(sa), socklen_t(a.a[2])));
}

int64_t sys_connect(Process& p, const SyscallArgs& a) {
  const uint8_t* sa = sockaddr_in_arg(p, a.a[1], a.a[2]);
  if (!sa) return a.a[2] > kMaxSockaddr ? -EINVAL : -EFAULT;
  return blocking(p, SYS_connect, int(a.a[0]), sa, a.a[2]);
}

int64_t sys_listen(Process&, const SyscallArgs& a) {
  return host_result(listen(int(a.a[0]), int(a.a[1])));
}

int64_t sys_accept(Process& p, const SyscallArgs& a) {
  SyscallArgs b = a;
  b.a[3] = 0;
  return sys_accept4(p, b);
}

int64_t sys_accept4(Process& p, const SyscallArgs& a) {
  return with_sockaddr_out(p, a.a[1], a.a[2], [&](sockaddr* sa, socklen_t* len) {
    return blocking(p, SYS_accept4, int(a.a[0]), sa, len, int(a.a[3]));
  });
}

int64_t sys_getsockname(Process& p, const SyscallArgs& a) {
  return with_sockaddr_out(p, a.a[1], a.a[2], [&](sockaddr* sa, socklen_t* len) {
    return sa ? getsockname(int(a.a[0]), sa, len) : (errno = EFAULT, -1);
  });
}

int64_t sys_getpeername(Process& p, const SyscallArgs& a) {
  return with_sockaddr_out(p, a.a[1], a.a[2], [&](sockaddr* sa, socklen_t* len) {
    return sa ? getpeername(int(a.a[0]), sa, len) : (errno = EFAULT, -1);
  });
}

int64_t sys_sendto(Process& p, const SyscallArgs& a) {
  const uint8_t* buf = guest_in(p, a.a[1], a.a[2]);
  if (!buf) return -EFAULT;
  const uint8_t* sa = nullptr;
  if (a.a[4]) {
    sa = sockaddr_in_arg(p, a.a[4], a.a[5]);
    if (!sa) return -EFAULT;
  }
  return blocking(p, SYS_sendto, int(a.a[0]), buf, a.a[2], int(a.a[3]), sa, a.a[5]);
}

int64_t sys_recvfrom(Process& p, const SyscallArgs& a) {
  uint8_t* buf = guest_out(p, a.a[1], a.a[2]);
  if (!buf) return -EFAULT;
  return with_sockaddr_out(p, a.a[4], a.a[5], [&](sockaddr* sa, socklen_t* len) {
    return blocking(p, SYS_recvfrom, int(a.a[0]), buf, a.a[2], int(a.a[3]), sa, len);
  });
}

int64_t sys_setsockopt(Process& p, const SyscallArgs& a) {
  if (a.a[4] > 4096) return -EINVAL;
  const uint8_t* v = guest_in(p, a.a[3], a.a[4]);
  if (!v) return -EFAULT;
  return host_result(setsockopt(int(a.a[0]), int(a.a[1]), int(a.a[2]), v, socklen_t(a.a[4])));
}

int64_t sys_getsockopt(Process& p, const SyscallArgs& a) {
  uint32_t len;
  if (!read_guest(p, a.a[4], &len)) return -EFAULT;
  if (len > 4096) len = 4096;
  uint8_t* v = guest_out(p, a.a[3], len);
  if (!v) return -EFAULT;
  socklen_t hl = len;
  if (getsockopt(int(a.a[0]), int(a.a[1]), int(a.a[2]), v, &hl) != 0) return -errno;
  return write_guest(p, a.a[4], uint32_t(hl)) ? 0 : -EFAULT;
}

int64_t sys_shutdown(Process&, const SyscallArgs& a) {
  return host_result(shutdown(int(a.a[0]), int(a.a[1])));
}

int64_t sys_sendmsg(Process& p, const SyscallArgs& a) {
  GuestMsghdr g;
  if (!read_guest(p, a.a[1], &g)) return -EFAULT;
  msghdr h;
  std::vector<iovec> iov;
  if (!host_msghdr(p, g, false, &h, &iov)) return -EFAULT;
  return blocking(p, SYS_sendmsg, int(a.a[0]), &h, int(a.a[2]));
}

int64_t sys_recvmsg(Process& p, const SyscallArgs& a) {
  GuestMsghdr g;
  if (!read_guest(p, a.a[1], &g)) return -EFAULT;
  msghdr h;
  std::vector<iovec> iov;
  if (!host_msghdr(p, g, true, &h, &iov)) return -EFAULT;
  const int64_t r = blocking(p, SYS_recvmsg, int(a.a[0]), &h, int(a.a[2]));
  if (r < 0) return r;
  // The value-result fields: name length, control length, flags.
  g.namelen = h.msg_namelen;
  g.controllen = h.msg_controllen;
  g.flags = h.msg_flags;
  return write_guest(p, a.a[1], g) ? r : -EFAULT;
}

}  // namespace xvm::linux_user
