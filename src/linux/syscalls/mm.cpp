// Memory: brk, mmap family. Placement is xvm's own and always inside the arena; the host only
// backs the pages (ARCHITECTURE.md, user-mode memory).
#include <sys/mman.h>
#include <unistd.h>

#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

// Linux flags (same values on arm64 and x86-64, asm-generic/mman-common.h).
constexpr uint64_t kMapShared = 0x01, kMapPrivate = 0x02, kMapSharedValidate = 0x03,
                   kMapFixed = 0x10, kMapAnonymous = 0x20, kMapFixedNoReplace = 0x100000;

std::string fd_name(int fd) {
  char buf[PATH_MAX];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// Decoded blocks of a range whose mapping changes are dropped (only when it held code).
void code_changed(Process& p, uint64_t addr, uint64_t len) {
  if (p.arena().any_exec(addr, len)) p.flush_code_all_threads(addr, len);
}

}  // namespace

int64_t sys_brk(Process& p, const SyscallArgs& a) {
  const uint64_t want = a.a[0];
  if (want < p.brk_start || want > p.brk_limit) return int64_t(p.brk_cur);
  const uint64_t old_top = page_up(p.brk_cur), new_top = page_up(want);
  if (new_top > old_top) {
    // Like Linux, refuse to grow into another mapping.
    if (!p.arena().is_free(old_top, new_top - old_top)) return int64_t(p.brk_cur);
    if (p.arena().map_fixed(old_top, new_top - old_top, memory::kRead | memory::kWrite, false, -1,
                            0, "[heap]") != 0)
      return int64_t(p.brk_cur);
  } else if (new_top < old_top) {
    p.arena().unmap(new_top, old_top - new_top);
  }
  p.brk_cur = want;
  return int64_t(want);
}

int64_t sys_mmap(Process& p, const SyscallArgs& a) {
  const uint64_t addr = a.a[0], flags = a.a[3], off = a.a[5];
  const int prot = int(a.a[2]) & (memory::kRead | memory::kWrite | memory::kExec);
  const int fd = int(a.a[4]);
  if (a.a[1] == 0 || (off & (kPageSize - 1))) return -EINVAL;
  if (a.a[1] > p.arena().size()) return -ENOMEM;
  const uint64_t len = page_up(a.a[1]);
  const uint64_t type = flags & 0x0f;
  if (type != kMapShared && type != kMapPrivate && type != kMapSharedValidate) return -EINVAL;
  const bool anon = flags & kMapAnonymous;
  uint64_t where;
  if (flags & (kMapFixed | kMapFixedNoReplace)) {
    if (addr & (kPageSize - 1)) return -EINVAL;
    if (addr + len < addr || addr + len > p.arena().size()) return -ENOMEM;
    if ((flags & kMapFixedNoReplace) && !(flags & kMapFixed) && !p.arena().is_free(addr, len))
      return -EEXIST;
    where = addr;
  } else {
    auto f = p.arena().find_free(len, page_down(addr));
    if (!f) return -ENOMEM;
    where = *f;
  }
  code_changed(p, where, len);
  const int r = p.arena().map_fixed(where, len, prot, type != kMapPrivate, anon ? -1 : fd, off,
                                    anon ? std::string() : fd_name(fd));
  if (r < 0) return r;
  return int64_t(where);
}

int64_t sys_munmap(Process& p, const SyscallArgs& a) {
  if (a.a[1] == 0) return -EINVAL;
  code_changed(p, a.a[0], a.a[1]);
  return p.arena().unmap(a.a[0], a.a[1]);
}

int64_t sys_mprotect(Process& p, const SyscallArgs& a) {
  code_changed(p, a.a[0], a.a[1]);
  return p.arena().protect(a.a[0], a.a[1], int(a.a[2]) & 7);
}

int64_t sys_mremap(Process& p, const SyscallArgs& a) {
  constexpr uint64_t kMayMove = 1, kFixed = 2;
  const uint64_t flags = a.a[3];
  if (flags & ~(kMayMove | kFixed)) return -EINVAL;
  std::optional<uint64_t> to;
  if (flags & kFixed) to = a.a[4];
  code_changed(p, a.a[0], a.a[1]);
  auto r = p.arena().remap(a.a[0], a.a[1], a.a[2], flags & kMayMove, to);
  return r ? int64_t(*r) : r.error();
}

int64_t sys_madvise(Process& p, const SyscallArgs& a) {
  constexpr int kDontNeed = 4;
  // MADV_DONTNEED on private anonymous memory must read back as zeroes: let the host do it on
  // the same pages. Other advice is only a hint.
  if (int(a.a[2]) == kDontNeed) {
    uint8_t* h = p.arena().host(a.a[0], a.a[1], 0);
    if (!h) return -ENOMEM;
    return host_result(madvise(h, a.a[1], MADV_DONTNEED));
  }
  return 0;
}

int64_t sys_msync(Process& p, const SyscallArgs& a) {
  uint8_t* h = p.arena().host(a.a[0], a.a[1], 0);
  if (!h) return -ENOMEM;
  return host_result(msync(h, a.a[1], int(a.a[2])));
}

int64_t sys_mlock(Process&, const SyscallArgs&) { return 0; }
int64_t sys_munlock(Process&, const SyscallArgs&) { return 0; }

int64_t sys_mincore(Process& p, const SyscallArgs& a) {
  const uint64_t pages = page_up(a.a[1]) / kPageSize;
  uint8_t* h = p.arena().host(a.a[0], a.a[1], 0);
  uint8_t* vec = guest_out(p, a.a[2], pages);
  if (!h) return -ENOMEM;
  if (!vec) return -EFAULT;
  return host_result(mincore(h, a.a[1], vec));
}

}  // namespace xvm::linux_user
