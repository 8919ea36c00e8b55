#include "ir/ir.h"

#include <bit>
#include <cstdio>

namespace xvm::ir {
namespace {

using namespace opflag;

}  // namespace

std::string print(const Block& b) {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "block 0x%llx: %u guest instructions, %u temps\n",
                static_cast<unsigned long long>(b.pc), b.guest_insns, b.ntemps);
  out += line;
  for (const Inst& i : b.insts) {
    const OpInfo& oi = info(i.op);
    int n = 0;
    if (i.dst != kNoTemp) n += std::snprintf(line + n, sizeof line - n, "  t%u = ", i.dst);
    else n += std::snprintf(line + n, sizeof line - n, "  ");
    n += std::snprintf(line + n, sizeof line - n, "%s.%u", oi.name, i.width);
    for (unsigned k = 0; k < oi.nargs; ++k)
      n += std::snprintf(line + n, sizeof line - n, "%s t%u", k ? "," : "", i.a[k]);
    if (i.aux) n += std::snprintf(line + n, sizeof line - n, " aux=%u", i.aux);
    if (i.imm || i.op == Opcode::Const)
      n += std::snprintf(line + n, sizeof line - n, " #0x%llx",
                         static_cast<unsigned long long>(i.imm));
    if (i.imm2)
      std::snprintf(line + n, sizeof line - n, " #0x%llx", static_cast<unsigned long long>(i.imm2));
    out += line;
    out += '\n';
  }
  return out;
}

std::string verify(const Block& b) {
  std::vector<bool> defined(b.ntemps, false);
  char msg[160];
  if (b.insts.empty() || !has(b.insts.back().op, T)) return "block does not end in a terminator";
  for (size_t k = 0; k < b.insts.size(); ++k) {
    const Inst& i = b.insts[k];
    const OpInfo& oi = info(i.op);
    if (has(i.op, T) && k + 1 != b.insts.size()) {
      std::snprintf(msg, sizeof msg, "#%zu %s: terminator before the end", k, oi.name);
      return msg;
    }
    for (unsigned a = 0; a < 3; ++a) {
      const bool want = a < oi.nargs;
      if (want && (i.a[a] >= b.ntemps || !defined[i.a[a]])) {
        std::snprintf(msg, sizeof msg, "#%zu %s: operand %u is not a defined temp", k, oi.name, a);
        return msg;
      }
      if (!want && i.a[a] != kNoTemp) {
        std::snprintf(msg, sizeof msg, "#%zu %s: extra operand %u", k, oi.name, a);
        return msg;
      }
    }
    if (has(i.op, R)) {
      if (i.dst >= b.ntemps || defined[i.dst]) {
        std::snprintf(msg, sizeof msg, "#%zu %s: result temp redefined or out of range", k,
                      oi.name);
        return msg;
      }
      defined[i.dst] = true;
    } else if (i.dst != kNoTemp) {
      std::snprintf(msg, sizeof msg, "#%zu %s: result on an opcode without one", k, oi.name);
      return msg;
    }
    // Memory widths are bytes (a CheckRange covers up to a pair of Q registers); ALU widths bits.
    const bool mem = i.op == Opcode::Load || i.op == Opcode::Store || i.op == Opcode::VLoad ||
                     i.op == Opcode::VStore || i.op == Opcode::CheckRange ||
                     i.op == Opcode::VGet || i.op == Opcode::VSet || i.op == Opcode::FpOp ||
                     i.op == Opcode::FpCmp || i.op == Opcode::VecOp || i.op == Opcode::VDup;
    const unsigned max_bytes = i.op == Opcode::CheckRange ? 32 : 16;
    if (mem ? !(std::has_single_bit(unsigned(i.width)) && i.width <= max_bytes)
            : !(i.width == 32 || i.width == 64)) {
      std::snprintf(msg, sizeof msg, "#%zu %s: bad width %u", k, oi.name, i.width);
      return msg;
    }
  }
  return {};
}

}  // namespace xvm::ir
