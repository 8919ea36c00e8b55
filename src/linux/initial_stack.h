// The initial process stack exactly as Linux lays it out for arm64 (fs/binfmt_elf.c
// create_elf_tables): strings at the top, then AT_RANDOM bytes, then (16-byte aligned) argc,
// argv[], NULL, envp[], NULL, auxv pairs ending with AT_NULL.
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <utility>
#include <vector>

#include "memory/arena.h"

namespace xvm::linux_user {

struct StackImage {
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string execfn;                                // AT_EXECFN string
  std::vector<std::pair<uint64_t, uint64_t>> auxv;   // without AT_RANDOM/AT_EXECFN/AT_PLATFORM/AT_NULL
  uint8_t random[16] = {};
};

struct BuiltStack {
  uint64_t sp = 0;          // points at argc
  uint64_t auxv_addr = 0;   // guest address of the auxv array (for /proc/self/auxv)
  uint64_t auxv_bytes = 0;
};

// Writes the image below `top` (which must be mapped writable downwards far enough).
std::expected<BuiltStack, std::string> build_initial_stack(memory::Arena& arena, uint64_t top,
                                                           uint64_t limit,
                                                           const StackImage& image);

}  // namespace xvm::linux_user
