#include "arch/arm64/decoder.h"

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

#include "arch/arm64/features.h"
#include "arch/arm64/handlers.h"

namespace xvm::arm64 {
namespace {

constexpr DecodeEntry kTable[] = {
#define INST(name, desc, pattern, flags) \
  {pat::name.mask(), pat::name.value(), &interp::name, flags, #name, desc},
#include "a64.inc"
#undef INST
};

// Candidate lists bucketed by the top 12 bits of the encoding, each sorted most-specific first.
// A line lands in every bucket its fixed top bits allow.
struct Buckets {
  static constexpr unsigned kBits = 12;
  std::array<std::vector<const DecodeEntry*>, 1u << kBits> lists;

  Buckets() {
    std::vector<const DecodeEntry*> order;
    for (const auto& e : kTable) order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](const DecodeEntry* a, const DecodeEntry* b) {
      return std::popcount(a->mask) > std::popcount(b->mask);
    });
    for (uint32_t top = 0; top < lists.size(); ++top) {
      const uint32_t hi = top << (32 - kBits);
      const uint32_t himask = ~0u << (32 - kBits);
      for (const DecodeEntry* e : order)
        if (((hi ^ e->value) & e->mask & himask) == 0) lists[top].push_back(e);
    }
  }
};

const Buckets& buckets() {
  static const Buckets b;
  return b;
}

}  // namespace

std::span<const DecodeEntry> decode_table() { return kTable; }

const DecodeEntry* decode(uint32_t insn) {
  for (const DecodeEntry* e : buckets().lists[insn >> (32 - Buckets::kBits)])
    if ((insn & e->mask) == e->value) return e;
  return nullptr;
}

}  // namespace xvm::arm64

namespace xvm::arm64 {

bool ends_block_in_system_mode(uint32_t insn) {
  if (insn == 0xd503207f) return true;                        // WFI
  if ((insn & 0xfff00000) == 0xd5100000) {                    // MSR (register)
    switch ((insn >> 5) & 0xffff) {                           // op0 op1 CRn CRm op2 (sysreg())
      case sysreg(3, 0, 1, 0, 0):  // SCTLR_EL1
      case sysreg(3, 0, 2, 0, 0):  // TTBR0_EL1
      case sysreg(3, 0, 2, 0, 1):  // TTBR1_EL1
      case sysreg(3, 0, 2, 0, 2):  // TCR_EL1
        return true;
      default:
        return false;
    }
  }
  if ((insn & 0xfff80000) == 0xd5080000) {  // SYS
    const unsigned crn = (insn >> 12) & 15, crm = (insn >> 8) & 15;
    return crn == 8 || (crn == 7 && crm == 8);  // TLBI, AT
  }
  return false;
}

}  // namespace xvm::arm64
