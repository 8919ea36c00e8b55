// Dispatch over table.inc, --strace printing and the once-per-syscall ENOSYS warning.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <mutex>
#include <string>

#include "linux/syscalls/common.h"
#include "memory/code_watch.h"

namespace xvm::linux_user {
namespace {

using Fn = int64_t (*)(Process&, const SyscallArgs&);

struct Entry {
  Fn fn = nullptr;
  const char* name = nullptr;
  const char* kinds = nullptr;
};

constexpr size_t kMaxNr = 512;

constexpr std::array<Entry, kMaxNr> make_table() {
  std::array<Entry, kMaxNr> t{};
#define SYSCALL(nr, name, k) t[nr] = Entry{&sys_##name, #name, k};
#define NOSYS(nr, name) t[nr] = Entry{nullptr, #name, ""};
#include "linux/syscalls/table.inc"
#undef SYSCALL
#undef NOSYS
  return t;
}

constexpr std::array<Entry, kMaxNr> kTable = make_table();

constexpr std::array<const char*, kMaxNr> make_names() {
  std::array<const char*, kMaxNr> n{};
#define NAME(nr, name) n[nr] = #name;
#include "linux/syscalls/names.inc"
#undef NAME
  return n;
}

constexpr std::array<const char*, kMaxNr> kNames = make_names();

std::string show_string(Process& p, uint64_t addr) {
  auto s = p.arena().read_cstring(addr, 4096);
  if (!s) return addr ? "0x" + std::to_string(addr) : "NULL";
  std::string out = "\"";
  for (char c : s->substr(0, 64)) {
    if (c == '\n') out += "\\n";
    else if (c == '"') out += "\\\"";
    else if (static_cast<unsigned char>(c) < 32) out += '?';
    else out += c;
  }
  if (s->size() > 64) out += "\"...";
  else out += '"';
  return out;
}

std::string show_arg(Process& p, char kind, uint64_t v) {
  char buf[64];
  switch (kind) {
    case 'd': std::snprintf(buf, sizeof buf, "%ld", static_cast<long>(v)); return buf;
    case 'u': std::snprintf(buf, sizeof buf, "%lu", static_cast<unsigned long>(v)); return buf;
    case 'o': std::snprintf(buf, sizeof buf, "0%lo", static_cast<unsigned long>(v)); return buf;
    case 's': return show_string(p, v);
    case 'F':
      if (static_cast<int>(v) == -100) return "AT_FDCWD";
      std::snprintf(buf, sizeof buf, "%d", static_cast<int>(v));
      return buf;
    case 'p':
      if (v == 0) return "NULL";
      [[fallthrough]];
    default: std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(v)); return buf;
  }
}

void warn_enosys(uint64_t nr, const char* name) {
  static std::mutex mu;
  static std::array<bool, kMaxNr + 1> warned{};
  std::lock_guard lock(mu);
  bool& w = warned[nr < kMaxNr ? nr : kMaxNr];
  if (w) return;
  w = true;
  if (name) std::fprintf(stderr, "xvm: warning: syscall %s (%lu) is not implemented\n", name, nr);
  else std::fprintf(stderr, "xvm: warning: unknown syscall %lu\n", static_cast<unsigned long>(nr));
}

}  // namespace

int64_t dispatch_syscall(Process& p, uint64_t nr, const SyscallArgs& a) {
  const Entry* e = nr < kMaxNr ? &kTable[nr] : nullptr;
  const bool trace = p.options().strace;
  std::string line;
  if (trace) {
    const char* name = e && e->name ? e->name : nr < kMaxNr ? kNames[nr] : nullptr;
    line = std::to_string(getpid()) + " " + (name ? name : "syscall_" + std::to_string(nr)) + "(";
    const char* k = e && e->name ? e->kinds : "xxxxxx";
    for (int i = 0; k[i]; ++i) line += (i ? ", " : "") + show_arg(p, k[i], a.a[i]);
    line += ")";
    // Print before calls that may not return (exit, execve) or block for long.
    if (nr == 93 || nr == 94 || nr == 221) std::fprintf(stderr, "%s = ?\n", line.c_str());
  }
  int64_t r;
  if (!e || !e->fn) {
    // NOSYS lines are deliberate (the guest's libc copes, e.g. rseq, clone3): no warning.
    if (!e || !e->name) warn_enosys(nr, nr < kMaxNr ? kNames[nr] : nullptr);
    r = -ENOSYS;
  } else {
    r = e->fn(p, a);
    // The host kernel cannot write guest pages that are write-watched for self-modifying code
    // (memory/code_watch.h): release them (their code is dropped) and try once more.
    if (r == -EFAULT && memory::code_watch_release_all() > 0) r = e->fn(p, a);
  }
  if (trace && r != kNoReturn) {
    if (r < 0 && r >= -4095)
      std::fprintf(stderr, "%s = -1 errno=%ld (%s)\n", line.c_str(), static_cast<long>(-r),
                   std::strerror(static_cast<int>(-r)));
    else if (r >= 0 && r < 4096)
      std::fprintf(stderr, "%s = %ld\n", line.c_str(), static_cast<long>(r));
    else
      std::fprintf(stderr, "%s = 0x%lx\n", line.c_str(), static_cast<unsigned long>(r));
  } else if (trace) {
    std::fprintf(stderr, "%s = ?\n", line.c_str());
  }
  return r;
}

std::optional<std::string> guest_path(Process& p, uint64_t addr) {
  auto s = p.arena().read_cstring(addr, PATH_MAX);
  if (!s) return std::nullopt;
  return p.host_path(*s);
}

namespace {
// asm-generic/fcntl.h (arm64) vs arch/x86/include/uapi/asm/fcntl.h — only these differ.
constexpr uint64_t kArmDirectory = 040000, kArmNofollow = 0100000, kArmDirect = 0200000,
                   kArmLargefile = 0400000;
constexpr uint64_t kX86Direct = 040000, kX86Largefile = 0100000, kX86Directory = 0200000,
                   kX86Nofollow = 0400000;
constexpr uint64_t kDiffering = 0740000;
}  // namespace

uint64_t open_flags_to_host(uint64_t g) {
  uint64_t h = g & ~kDiffering;
  if (g & kArmDirectory) h |= kX86Directory;
  if (g & kArmNofollow) h |= kX86Nofollow;
  if (g & kArmDirect) h |= kX86Direct;
  if (g & kArmLargefile) h |= kX86Largefile;
  return h;
}

uint64_t open_flags_to_guest(uint64_t h) {
  uint64_t g = h & ~kDiffering;
  if (h & kX86Directory) g |= kArmDirectory;
  if (h & kX86Nofollow) g |= kArmNofollow;
  if (h & kX86Direct) g |= kArmDirect;
  if (h & kX86Largefile) g |= kArmLargefile;
  return g;
}

}  // namespace xvm::linux_user
