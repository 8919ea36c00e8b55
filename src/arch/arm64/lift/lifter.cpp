#include "arch/arm64/lift/lifter.h"

#include <string_view>
#include <vector>

namespace xvm::arm64::lift {
namespace {

struct Named {
  std::string_view name;
  LiftFn fn;
};
constexpr Named kLifted[] = {
#define LIFT(name) {#name, &name},
#include "arch/arm64/lift/lifted.inc"
#undef LIFT
};

// Lift functions indexed like decode_table(), matched by handler name once.
const std::vector<LiftFn>& by_entry() {
  static const std::vector<LiftFn> v = [] {
    const auto table = decode_table();
    std::vector<LiftFn> r(table.size(), nullptr);
    for (size_t i = 0; i < table.size(); ++i)
      for (const Named& n : kLifted)
        if (n.name == table[i].name) r[i] = n.fn;
    return r;
  }();
  return v;
}

// Bounds on one translated block: the x64 backend gives every temp a stack slot.
constexpr uint32_t kMaxTemps = 900;
constexpr uint32_t kMaxTempsPerInsn = 40;

}  // namespace

LiftFn lifter_for(const DecodeEntry* e) {
  if (!e) return nullptr;
  return by_entry()[static_cast<size_t>(e - decode_table().data())];
}

void lift_block(uint64_t pc, std::span<const uint32_t> insns, ir::Block& out, LiftStats& stats,
                bool trace, bool system) {
  out.insts.clear();  // keeps the capacity: blocks are lifted into the same buffer
  out.pc = pc;
  out.guest_insns = out.interp_calls = out.ntemps = 0;
  Lifter L(out);
  L.continue_past_branches = trace;
  for (size_t n = 0; n < insns.size() && !L.ended; ++n) {
    if (out.ntemps + kMaxTempsPerInsn > kMaxTemps) break;
    const uint32_t insn = insns[n];
    L.pc = pc + 4 * n;
    L.b.emit({.op = ir::Opcode::InsnStart, .imm = L.pc});
    const size_t mark = out.insts.size();
    const uint32_t temps_mark = out.ntemps;
    const DecodeEntry* e = decode(insn);
    const LiftFn fn = lifter_for(e);
    L.entry = e;
    ++out.guest_insns;
    if (fn && fn(L, insn)) continue;
    // Not lifted (or declined): run the interpreter's handler, which also raises UNDEF for
    // encodings no line matches (the engine never sees those: its blocks end before them).
    out.insts.resize(mark);
    out.ntemps = temps_mark;
    L.ended = false;
    if (!e) {
      --out.guest_insns;
      break;
    }
    L.b.emit({.op = ir::Opcode::CallInterp,
              .imm = reinterpret_cast<uint64_t>(e->handler),
              .imm2 = insn});
    ++out.interp_calls;
    if (e->flags & kEnds) {
      L.b.emit({.op = ir::Opcode::ExitDispatch});
      L.ended = true;
    }
  }
  if (!L.ended) {
    const bool unlinked = system && out.guest_insns > 0 &&
                          ends_block_in_system_mode(insns[out.guest_insns - 1]);
    L.b.emit({.op = ir::Opcode::ExitConst, .aux = uint8_t(unlinked ? 1 : 0),
              .imm = pc + 4 * out.guest_insns});
  }
  ++stats.blocks;
  stats.insns += out.guest_insns;
  stats.interp_calls += out.interp_calls;
}

}  // namespace xvm::arm64::lift
