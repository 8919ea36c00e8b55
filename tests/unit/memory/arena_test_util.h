// Helpers shared by the arena tests: arenas, anonymous mappings, the disjointness invariant and
// a forked-child probe that tells whether a host access faults.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>

#include "memory/arena.h"

namespace xvm::memory::test {

constexpr uint64_t P = kPageSize;
constexpr int kRW = kRead | kWrite;
constexpr uint64_t kBase = 0x100000;  // well above mmap_min_addr

inline std::unique_ptr<Arena> make_arena(uint64_t size = uint64_t{1} << 32) {
  auto a = Arena::create(size);
  EXPECT_TRUE(a.has_value()) << a.error();
  return std::move(*a);
}

inline int map_anon(Arena& a, uint64_t addr, uint64_t len, int prot, std::string name = "") {
  return a.map_fixed(addr, len, prot, false, -1, 0, std::move(name));
}

// The arena's bookkeeping must stay sorted and non-overlapping whatever happens to it.
inline void expect_disjoint(const Arena& a) {
  auto m = a.mappings();
  for (size_t i = 0; i < m.size(); ++i) {
    EXPECT_LT(m[i].start, m[i].end) << "empty mapping at " << std::hex << m[i].start;
    if (i) {
      EXPECT_LE(m[i - 1].end, m[i].start) << "overlap at " << std::hex << m[i].start;
    }
  }
}

// Runs `touch` in a forked child with the default SIGSEGV/SIGBUS action (sanitizers install
// their own handlers) and reports whether the child died of a memory fault.
template <class F>
bool child_faults(F touch) {
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    touch();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
}

}  // namespace xvm::memory::test
