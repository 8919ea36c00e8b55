#include "ir/opt.h"

#include <array>
#include <optional>

#include "arch/arm64/cpu.h"  // condition_holds: CondHolds is A64's ConditionHolds

namespace xvm::ir {
namespace {

using namespace opflag;

// An instruction at which the guest state (registers, NZCV) held in the Cpu must be exact: it
// may fault (memory), it runs interpreter code, or it leaves the block.
bool observes_state(const Inst& i) {
  return has(i.op, X | T | M | W) && i.op != Opcode::InsnStart;
}

uint64_t mask(unsigned width) { return width == 64 ? ~uint64_t{0} : 0xffffffffu; }

std::optional<uint64_t> fold(const Inst& i, const std::vector<std::optional<uint64_t>>& k) {
  const auto arg = [&](unsigned n) { return k[i.a[n]]; };
  const unsigned w = i.width;
  switch (i.op) {
    case Opcode::Add: case Opcode::Sub: case Opcode::And: case Opcode::Or: case Opcode::Xor:
    case Opcode::AndNot: case Opcode::OrNot: case Opcode::Lsl: case Opcode::Lsr:
    case Opcode::Mul: {
      if (!arg(0) || !arg(1)) return std::nullopt;
      const uint64_t a = *arg(0), b = *arg(1);
      const unsigned sh = unsigned(b & (w - 1));
      uint64_t r = 0;
      switch (i.op) {
        case Opcode::Add: r = a + b; break;
        case Opcode::Sub: r = a - b; break;
        case Opcode::And: r = a & b; break;
        case Opcode::Or: r = a | b; break;
        case Opcode::Xor: r = a ^ b; break;
        case Opcode::AndNot: r = a & ~b; break;
        case Opcode::OrNot: r = a | ~b; break;
        case Opcode::Lsl: r = (a & mask(w)) << sh; break;
        case Opcode::Lsr: r = (a & mask(w)) >> sh; break;
        case Opcode::Mul: r = a * b; break;
        default: break;
      }
      return r & mask(w);
    }
    case Opcode::ZExt:
      if (!arg(0)) return std::nullopt;
      return *arg(0) & (i.aux == 64 ? ~uint64_t{0} : (uint64_t{1} << i.aux) - 1) & mask(w);
    default:
      return std::nullopt;
  }
}

// The operand that an operation with a neutral constant passes through, if any.
std::optional<Temp> identity(const Inst& i, const std::vector<std::optional<uint64_t>>& k) {
  const auto is = [&](unsigned n, uint64_t v) { return k[i.a[n]] && (*k[i.a[n]] & mask(i.width)) == v; };
  switch (i.op) {
    case Opcode::Add: case Opcode::Or: case Opcode::Xor:
      if (is(1, 0)) return i.a[0];
      if (is(0, 0)) return i.a[1];
      return std::nullopt;
    case Opcode::Sub: case Opcode::Lsl: case Opcode::Lsr: case Opcode::Asr: case Opcode::Ror:
    case Opcode::AndNot: case Opcode::OrNot:
      if (i.op == Opcode::OrNot ? is(1, mask(i.width)) : is(1, 0)) return i.a[0];
      return std::nullopt;
    case Opcode::And:
      if (is(1, mask(i.width))) return i.a[0];
      if (is(0, mask(i.width))) return i.a[1];
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

bool is_flag_op(const Inst* d) {
  return d && (d->op == Opcode::FlagsSub || d->op == Opcode::FlagsAdd || d->op == Opcode::FlagsLogic);
}

// A64's conditional compares (CCMP, CCMN) set NZCV to a compare's flags or to a constant:
// Select(c, F, K). A condition of that, CondHolds(Select(c, F, K), cc), becomes
// Select(c, CondHolds(F, cc), holds(K, cc)) — and with c a 0/1 value and holds(K, cc) false,
// And(c, CondHolds(F, cc)) — so that the backend tests F with the host's flags instead of
// packing it into NZCV form and decoding that again. The packed Select stays for whoever
// else reads it (a SetNZCV); unused, it is swept with the dead values.
void split_conditional_compares(Block& b, const std::vector<const Inst*>& def,
                                const std::vector<std::optional<uint64_t>>& konst, OptStats& st) {
  const auto pattern = [&](const Inst& i) -> const Inst* {
    if (i.op != Opcode::CondHolds || i.aux >= 14) return nullptr;
    const Inst* s = def[i.a[0]];
    if (!s || s->op != Opcode::Select || !konst[s->a[2]] || !is_flag_op(def[s->a[1]])) return nullptr;
    return s;
  };
  bool any = false;
  for (const Inst& i : b.insts) any = any || pattern(i);
  if (!any) return;
  thread_local std::vector<Inst> out;
  out.clear();
  for (const Inst& i : b.insts) {
    const Inst* s = pattern(i);
    if (!s) {
      out.push_back(i);
      continue;
    }
    const Temp c = s->a[0];
    const Temp h = b.ntemps++;
    out.push_back({.op = Opcode::CondHolds, .aux = i.aux, .dst = h, .a = {s->a[1], kNoTemp, kNoTemp}});
    const bool k = arm64::condition_holds(uint32_t(*konst[s->a[2]]), i.aux);
    const Inst* cd = def[c];
    if (!k && cd && cd->op == Opcode::CondHolds) {
      out.push_back({.op = Opcode::And, .dst = i.dst, .a = {c, h, kNoTemp}});
    } else {
      const Temp kt = b.ntemps++;
      out.push_back({.op = Opcode::Const, .dst = kt, .imm = k ? 1u : 0u});
      out.push_back({.op = Opcode::Select, .dst = i.dst, .a = {c, h, kt}});
    }
    ++st.folded;
  }
  b.insts.swap(out);
}

}  // namespace

OptStats optimize(Block& b) {
  OptStats st;
  // Per-thread scratch, reused from block to block (translation runs for every hot block).
  thread_local std::vector<Temp> remap;
  thread_local std::vector<std::optional<uint64_t>> konst;
  thread_local std::vector<const Inst*> def;
  thread_local std::vector<bool> used, keep;
  remap.resize(b.ntemps);
  for (Temp t = 0; t < b.ntemps; ++t) remap[t] = t;
  konst.assign(b.ntemps, std::nullopt);
  std::array<Temp, 32> reg;  // temp known to hold X[r], or kNoTemp
  reg.fill(kNoTemp);
  Temp nzcv = kNoTemp;
  def.assign(b.ntemps, nullptr);

  // Forward: forwarding and folding.
  for (Inst& i : b.insts) {
    for (unsigned n = 0; n < info(i.op).nargs; ++n) i.a[n] = remap[i.a[n]];
    if (i.dst != kNoTemp) def[i.dst] = &i;
    // CLZ of RBIT (A64's count-trailing-zeros idiom) is a Ctz of the RBIT's operand.
    if (i.op == Opcode::Clz && def[i.a[0]] && def[i.a[0]]->op == Opcode::Rbit &&
        def[i.a[0]]->width == i.width) {
      i.op = Opcode::Ctz;
      i.a[0] = def[i.a[0]]->a[0];
      ++st.folded;
    }
    switch (i.op) {
      case Opcode::Const:
        konst[i.dst] = i.imm;
        break;
      case Opcode::GetReg:
        if (reg[i.aux] != kNoTemp) {
          remap[i.dst] = reg[i.aux];
          ++st.forwarded;
        } else {
          reg[i.aux] = i.dst;
        }
        break;
      case Opcode::SetReg:
        reg[i.aux] = i.a[0];
        break;
      case Opcode::GetNZCV:
        if (nzcv != kNoTemp) {
          remap[i.dst] = nzcv;
          ++st.forwarded;
        } else {
          nzcv = i.dst;
        }
        break;
      case Opcode::SetNZCV:
        nzcv = i.a[0];
        break;
      case Opcode::CallInterp:
        reg.fill(kNoTemp);
        nzcv = kNoTemp;
        break;
      default:
        if (has(i.op, R)) {
          // x op 0 (and 0 | x, 0 + x, x & ~0) is x: the A64 register moves (ORR Xd, XZR, Xm;
          // ADD Xd, Xn, #0). In width 32 the result is x zero-extended.
          if (auto x = identity(i, konst)) {
            const Temp d = i.dst;
            if (i.width == 64) {
              remap[d] = *x;
              i = Inst{.op = Opcode::Const, .dst = d, .imm = 0};  // dead now, swept below
            } else {
              i = Inst{.op = Opcode::ZExt, .width = 64, .aux = 32, .dst = d, .a = {*x, kNoTemp, kNoTemp}};
            }
            ++st.folded;
            break;
          }
          if (auto v = fold(i, konst)) {
            const Temp d = i.dst;
            i = Inst{.op = Opcode::Const, .dst = d, .imm = *v};
            konst[d] = *v;
            ++st.folded;
          }
        }
        break;
    }
  }

  split_conditional_compares(b, def, konst, st);

  // Backward: dead SetReg/SetNZCV (overwritten before observed), then dead pure values.
  std::array<bool, 32> reg_live;
  reg_live.fill(true);
  bool nzcv_live = true;
  used.assign(b.ntemps, false);
  keep.assign(b.insts.size(), true);
  for (size_t k = b.insts.size(); k-- > 0;) {
    Inst& i = b.insts[k];
    if (observes_state(i)) {
      reg_live.fill(true);
      nzcv_live = true;
    }
    bool live = true;
    switch (i.op) {
      case Opcode::SetReg:
        live = reg_live[i.aux];
        reg_live[i.aux] = false;
        if (!live) ++st.dead_sets;
        break;
      case Opcode::SetNZCV:
        live = nzcv_live;
        nzcv_live = false;
        if (!live) ++st.dead_sets;
        break;
      // A Get whose value is unused (forwarded from an earlier Set or Get) reads nothing.
      case Opcode::GetReg:
        live = used[i.dst];
        if (live) reg_live[i.aux] = true;
        break;
      case Opcode::GetNZCV:
        live = used[i.dst];
        if (live) nzcv_live = true;
        break;
      default:
        if (has(i.op, R) && !has(i.op, X | M)) {
          live = used[i.dst];
          if (!live && i.op != Opcode::Const) ++st.dead_values;
        }
        break;
    }
    keep[k] = live;
    if (live)
      for (unsigned n = 0; n < info(i.op).nargs; ++n) used[i.a[n]] = true;
  }
  size_t out = 0;
  for (size_t k = 0; k < b.insts.size(); ++k)
    if (keep[k]) b.insts[out++] = b.insts[k];
  b.insts.resize(out);
  return st;
}

}  // namespace xvm::ir
