// Architectural state the difftest compares, the random initial states it starts from, and how
// differences are printed. Independent of both xvm and Unicorn, so neither side can bias it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/splitmix.h"

namespace xvm::difftest {

// The guest address space both sides see (docs/difftest.md): one executable code page holding
// the instruction under test followed by a read/write data window. The code page sits right
// below the window so that PC-relative loads (LDR literal, ADR + load) can reach the window.
constexpr uint64_t kCodePage = 0xff000;
constexpr uint64_t kPageSize = 0x1000;
constexpr uint64_t kWindow = 0x100000;
constexpr uint64_t kWindowSize = 0x10000;

using test::Rng;

struct State {
  uint64_t x[31] = {};
  uint64_t sp = 0;
  uint64_t pc = 0;  // where execution starts
  // Instructions to execute from pc: 1, or more when prologue instructions set up state the
  // one under test (the last, at pc + 4 * (steps - 1)) depends on, e.g. LDXR before STXR.
  unsigned steps = 1;
  uint32_t nzcv = 0;
  uint32_t fpcr = 0;
  uint32_t fpsr = 0;
  uint64_t tpidr_el0 = 0;
  uint64_t tpidrro_el0 = 0;   // read-only at EL0 (the kernel's per-thread value)
  uint64_t v[32][2] = {};     // V0..V31 as {low, high} 64-bit halves
  std::vector<uint8_t> code;  // kPageSize bytes at kCodePage (the instruction is at pc)
  std::vector<uint8_t> mem;   // kWindowSize bytes at kWindow
};

// How one instruction ended. Exceptions are compared by class only (docs/difftest.md).
enum class Outcome { Ok, Undefined, Syscall, Breakpoint, DataAbort, Alignment, Other };
const char* outcome_name(Outcome o);

struct Result {
  Outcome outcome = Outcome::Ok;
  std::string detail;       // side-specific: Unicorn error / interrupt number, xvm fault address
  uint64_t fault_addr = 0;  // xvm: address of a DataAbort/Alignment (Unicorn does not say)
  State state;              // final state (meaningful when outcome == Ok)
};

// A random initial state with `insn` at a random slot of the code page, biased towards cases
// that exercise corner semantics (pointers into the window, FP special values, ...).
State random_state(Rng& rng, uint32_t insn);

// Puts `prologue` in front of the instructions at pc (pc moves back one slot, or the sequence
// moves up at slot 0); both sides execute them all. The instruction under test must not be in
// the page's last slot.
void add_prologue(State& s, uint32_t prologue);

// Lines "name initial xvm unicorn" for every register either side changed or on which the
// sides disagree (disagreements marked '!'), plus differing memory bytes. Empty if equal.
std::string diff_states(const State& initial, const State& a, const State& b, bool* differs);

}  // namespace xvm::difftest
