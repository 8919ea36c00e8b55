// Loads an AArch64 ELF executable (ET_EXEC or ET_DYN/static-PIE) into a guest arena.
//
// Every rule a malformed file can break has its own message (STYLE.md rule 6): the caller
// prints "xvm: PROGRAM: <reason>" and exits non-zero; nothing is mapped on failure paths that
// the caller would keep using.
#pragma once
#include <cstdint>
#include <expected>
#include <span>
#include <string>

#include "memory/arena.h"

namespace xvm::linux_user {

struct LoadedElf {
  uint64_t entry = 0;      // entry point after relocation
  uint64_t load_bias = 0;  // added to every p_vaddr (0 for ET_EXEC)
  uint64_t phdr = 0;       // guest address of the program headers (AT_PHDR), 0 if not loaded
  uint16_t phnum = 0;
  uint64_t lowest = 0;     // first mapped byte
  uint64_t highest = 0;    // one past the last byte of the last segment (brk starts here)
  std::string interp;      // PT_INTERP path, empty for static programs
  bool exec_stack = false; // PT_GNU_STACK with PF_X
};

// Checks and loads `image` (the whole file). For ET_DYN, `dyn_base` is where address 0 of the
// image goes (page-aligned); for ET_EXEC it is ignored.
std::expected<LoadedElf, std::string> load_elf(memory::Arena& arena, std::span<const uint8_t> image,
                                               uint64_t dyn_base, const std::string& name);

// Only the checks (no mapping): the span covered by PT_LOAD segments, for choosing dyn_base.
std::expected<uint64_t, std::string> elf_load_span(std::span<const uint8_t> image);

// True if the bytes start like an AArch64 ELF (for execve's "run it under xvm?" decision).
bool is_aarch64_elf(std::span<const uint8_t> head);

}  // namespace xvm::linux_user
