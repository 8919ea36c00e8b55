// Helpers shared by the syscall families: guest-memory access through the arena's bounded
// helpers (STYLE.md rule 7), errno conversion, path translation.
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "linux/process.h"
#include "linux/safe_syscall.h"
#include "linux/syscalls/syscalls.h"
#include "memory/arena.h"

namespace xvm::linux_user {

// Host libc result (-1 + errno) → Linux syscall result (-errno).
inline int64_t host_result(long r) { return r < 0 ? -int64_t{errno} : r; }

// A host syscall that may block, interruptible by guest signals without a lost wake-up
// (linux/safe_syscall.h). Returns -errno on failure, or kRestartSyscall.
template <class... Args>
int64_t blocking(Process& p, long nr, Args... args) {
  static_assert(sizeof...(Args) <= 6);
  long v[6] = {(long)args...};
  return xvm_safe_syscall(&p.cpu().pending, nr, v[0], v[1], v[2], v[3], v[4], v[5]);
}

// Host pointer for a guest buffer, or nullptr when [addr, addr+len) is not accessible.
inline uint8_t* guest_buf(Process& p, uint64_t addr, uint64_t len, int prot) {
  if (len == 0) return p.arena().base();  // never dereferenced
  return p.arena().host(addr, len, prot);
}
inline uint8_t* guest_in(Process& p, uint64_t addr, uint64_t len) {
  return guest_buf(p, addr, len, memory::kRead);
}
inline uint8_t* guest_out(Process& p, uint64_t addr, uint64_t len) {
  return guest_buf(p, addr, len, memory::kWrite);
}

template <class T>
bool read_guest(Process& p, uint64_t addr, T* v) {
  return p.arena().read(addr, v, sizeof(T));
}
template <class T>
bool write_guest(Process& p, uint64_t addr, const T& v) {
  return p.arena().write(addr, &v, sizeof(T));
}

// A guest path argument (at most PATH_MAX bytes), translated through the sysroot.
std::optional<std::string> guest_path(Process& p, uint64_t addr);

// Opens xvm's own views of /proc files that must describe the guest, not xvm
// (/proc/self/auxv, /proc/self/maps, /proc/cpuinfo); nullopt for any other path.
std::optional<int64_t> open_proc_view(Process& p, const std::string& path, uint64_t flags);

// arm64 and x86-64 disagree on four open(2) flag bits (asm-generic vs x86 fcntl.h).
uint64_t open_flags_to_host(uint64_t guest);
uint64_t open_flags_to_guest(uint64_t host);

}  // namespace xvm::linux_user
