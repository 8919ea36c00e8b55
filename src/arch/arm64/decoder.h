// The A64 decode table machinery (STYLE.md: one declarative table, expanded everywhere).
//
// Each line of a64.inc is INST(Handler, "Arm ARM name", "32-char bit pattern", flags): '0'/'1'
// are fixed bits, any letter is a field (contiguous, named once), '-' is a don't-care bit.
// From the same lines come: the handler declarations (handlers.h), the compile-time field
// extractors (Fields<pat::X>), the runtime decoder below, the disassembly names and the
// difftest's random-instruction generator.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace xvm::arm64 {

struct Cpu;
using Handler = void (*)(Cpu&, uint32_t insn);

// Flags column of a64.inc.
enum InsnFlags : uint8_t {
  kNone = 0,
  kEnds = 1,  // ends a block: the handler sets cpu.pc itself (branches, SVC, exceptions)
};

struct Pattern {
  char s[33] = {};
  consteval Pattern(const char (&p)[33]) {
    for (int i = 0; i < 32; ++i) {
      const char c = p[i];
      if (!(c == '0' || c == '1' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        throw "bad character in A64 pattern";
      s[i] = c;
    }
  }
  constexpr uint32_t mask() const {
    uint32_t m = 0;
    for (int i = 0; i < 32; ++i)
      if (s[i] == '0' || s[i] == '1') m |= 1u << (31 - i);
    return m;
  }
  constexpr uint32_t value() const {
    uint32_t v = 0;
    for (int i = 0; i < 32; ++i)
      if (s[i] == '1') v |= 1u << (31 - i);
    return v;
  }
};

struct FieldPos {
  unsigned lsb;
  unsigned width;
};

// Position of field `c` in pattern p; a compile error if absent or not contiguous.
consteval FieldPos field_pos(const Pattern& p, char c) {
  int first = -1, last = -1;
  for (int i = 0; i < 32; ++i) {
    if (p.s[i] == c) {
      if (first < 0) first = i;
      else if (last != i - 1) throw "A64 field is not contiguous";
      last = i;
    }
  }
  if (first < 0) throw "A64 field letter not in pattern";
  return FieldPos{static_cast<unsigned>(31 - last), static_cast<unsigned>(last - first + 1)};
}

// Typed access to the fields of one encoding: `const Fields<pat::ADD_imm> f{insn};
// f.u<'d'>()` is the unsigned field d, `f.s<'i'>()` the sign-extended field i. Field positions
// are computed at compile time from the table line.
template <const Pattern& P>
struct Fields {
  uint32_t raw;
  template <char C>
  constexpr uint32_t u() const {
    constexpr FieldPos fp = field_pos(P, C);
    return (raw >> fp.lsb) & static_cast<uint32_t>((uint64_t{1} << fp.width) - 1);
  }
  template <char C>
  constexpr int64_t s() const {
    constexpr FieldPos fp = field_pos(P, C);
    return static_cast<int64_t>(static_cast<uint64_t>(u<C>()) << (64 - fp.width)) >>
           (64 - fp.width);
  }
};

// Compile-time pattern objects, one per table line: pat::ADD_imm, ...
namespace pat {
#define INST(name, desc, pattern, flags) inline constexpr Pattern name{pattern};
#include "a64.inc"
#undef INST
}  // namespace pat

struct DecodeEntry {
  uint32_t mask;
  uint32_t value;
  Handler handler;
  uint8_t flags;
  std::string_view name;  // handler name, e.g. "ADD_imm"
  std::string_view desc;  // Arm ARM heading, e.g. "ADD (immediate)"
};

// All table lines, in table order.
std::span<const DecodeEntry> decode_table();

// The entry that executes `insn`, or nullptr when no line matches (unimplemented). Among
// matching lines the one with the most fixed bits wins (more specific encodings first); ties go
// to the earlier line.
const DecodeEntry* decode(uint32_t insn);

// In system mode, instructions after which an engine must go back to its dispatcher, though
// they do not set pc themselves: WFI (the vCPU waits), MSR to SCTLR_EL1/TTBRx_EL1/TCR_EL1
// (the translation regime changes), TLBI and AT. Engines end blocks after them and do not link
// such a block to the next. (Writes that may raise or unmask an interrupt -- DAIF, the timer,
// the GIC CPU interface -- set the Cpu's interrupt request instead, which every exit checks.)
bool ends_block_in_system_mode(uint32_t insn);

}  // namespace xvm::arm64
