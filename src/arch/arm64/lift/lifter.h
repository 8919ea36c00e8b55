// The A64 lifter: guest instructions -> xvm IR (ir/ir.h).
//
// Driven by the same decode table as the interpreter: every a64.inc line whose handler name
// appears in lift/lifted.inc has a lift function of the same name (lift::ADD_imm, ...); every
// other line, and every lift function that declines an encoding (returns false), becomes a
// CallInterp of the interpreter handler, counted in LiftStats::interp_calls.
#pragma once
#include <cstdint>
#include <span>

#include "arch/arm64/decoder.h"
#include "ir/ir.h"

namespace xvm::arm64::lift {

// State of the lift of one block, handed to the per-encoding functions.
class Lifter {
 public:
  explicit Lifter(ir::Block& b) : b(b) {}
  ir::Builder b;
  uint64_t pc = 0;     // address of the instruction being lifted
  const DecodeEntry* entry = nullptr;  // its decode-table line (entry->handler: the slow path)
  bool ended = false;  // the instruction emitted the block's terminator
  // Conditional branches whose not-taken side is the next instruction become side exits
  // (ExitIf) and the lift goes on past them (a trace along the fall-through path).
  bool continue_past_branches = false;

  // Register operands (Arm ARM: X[n] reads 31 as XZR; the SP forms read slot 31).
  ir::Temp x(unsigned n) { return n == 31 ? b.konst(0) : b.get_reg(n); }
  ir::Temp xsp(unsigned n) { return b.get_reg(n); }
  // Writes Xd (31 = XZR: discarded) / Xd|SP. A 32-bit result must already be zero-extended
  // (every width-32 ALU op's is); `zext32` adds the extension for values that are not.
  void set_x(unsigned n, ir::Temp v) {
    if (n != 31) b.set_reg(n, v);
  }
  void set_xsp(unsigned n, ir::Temp v) { b.set_reg(n, v); }
  ir::Temp zext32(ir::Temp v) { return b.op1(ir::Opcode::ZExt, 64, v, 32); }
  ir::Temp k(uint64_t v) { return b.konst(v); }
  ir::Temp op(ir::Opcode o, unsigned w, ir::Temp a, ir::Temp c) { return b.op2(o, w, a, c); }
};

using LiftFn = bool (*)(Lifter&, uint32_t insn);

// Declarations of the lift functions, one per lifted.inc line.
#define LIFT(name) bool name(Lifter& L, uint32_t insn);
#include "arch/arm64/lift/lifted.inc"
#undef LIFT

struct LiftStats {
  uint64_t blocks = 0;
  uint64_t insns = 0;         // guest instructions lifted, interpreter calls included
  uint64_t interp_calls = 0;  // of which CallInterp
};

// Lifts the guest instructions `insns` starting at `pc` (one interpreter block: it ends at a
// kEnds instruction or runs on into the next block) into `out`. May stop early to bound the
// block's size; out.guest_insns says how many were covered.
// With `trace`, conditional branches that fall through to the next word do not end the
// block (see Lifter::continue_past_branches).
// With `system` (system mode), a block whose last instruction is one that
// ends_block_in_system_mode names leaves to the dispatcher (ExitConst aux 1) instead of
// linking to the next.
void lift_block(uint64_t pc, std::span<const uint32_t> insns, ir::Block& out, LiftStats& stats,
                bool trace = false, bool system = false);

// The lift function for a decode-table entry, or nullptr when the line is not lifted.
LiftFn lifter_for(const DecodeEntry* e);

}  // namespace xvm::arm64::lift
