#include "prologue.h"

namespace xvm::difftest {
namespace {

// Load/store exclusive class (Arm ARM C4.1.94): size:2 001000 o2 L o1 Rs:5 o0 Rt2:5 Rn:5 Rt:5.
// Stores are o2 = 0, L = 0.
bool is_store_exclusive(uint32_t insn) {
  return (insn & 0x3fc00000) == 0x08000000;
}

unsigned pick_other(Rng& rng, uint32_t used) {
  for (;;) {
    const unsigned r = static_cast<unsigned>(rng.below(31));
    if (!(used >> r & 1)) return r;
  }
}

}  // namespace

std::optional<uint32_t> prologue_for(uint32_t insn, Rng& rng) {
  if (!is_store_exclusive(insn)) return std::nullopt;
  const unsigned size = insn >> 30, pair = (insn >> 21) & 1, rs = (insn >> 16) & 31,
                 rt2 = (insn >> 10) & 31, rn = (insn >> 5) & 31, rt = insn & 31;
  uint32_t used = (1u << rs) | (1u << rn) | (1u << rt) | (pair ? 1u << rt2 : 0);
  const unsigned t1 = pick_other(rng, used);
  used |= 1u << t1;
  const uint32_t acquire = rng.chance(50) ? 1u << 15 : 0;  // LDAXR/LDAXP vs LDXR/LDXP
  if (!pair)  // LDXR: size 001000 0 1 0 11111 o0 11111 Rn Rt
    return 0x085f7c00 | (size << 30) | acquire | (rn << 5) | t1;
  // LDXP: 1 sz 001000 0 1 1 11111 o0 Rt2 Rn Rt, with Rt != Rt2 (CONSTRAINED UNPREDICTABLE
  // otherwise).
  const unsigned t2 = pick_other(rng, used);
  return 0x087f0000 | (size << 30) | acquire | (t2 << 10) | (rn << 5) | t1;
}

}  // namespace xvm::difftest

namespace xvm::difftest {

void add_prologues(Rng& rng, uint32_t insn, State& s) {
  if (!rng.chance(50)) return;
  const auto load = prologue_for(insn, rng);
  if (!load) return;
  // CLREX #imm: 11010101000000110011 CRm 01011111 (the immediate is ignored).
  if (rng.chance(25)) add_prologue(s, 0xd503305f | static_cast<uint32_t>(rng.below(16)) << 8);
  add_prologue(s, *load);
}

}  // namespace xvm::difftest
