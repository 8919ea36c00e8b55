#include "deviations.h"

namespace xvm::difftest {
namespace {

// Load/store exclusive class, store forms (STXR, STLXR, STXP, STLXP and byte/half): bits
// 29..24 = 001000, o2 (23) = 0, L (22) = 0 (Arm ARM C4.1.94 "Load/store exclusive register").
bool is_store_exclusive(uint32_t insn) {
  return (insn & 0x3fc00000) == 0x08000000;
}

// This side completed the store-exclusive as failed (status register Ws = 1) without touching
// memory. With Ws = WZR the status is not observable; the memory check still applies.
bool failed_store_exclusive(uint32_t insn, const State& in, const Result& r) {
  if (r.outcome != Outcome::Ok) return false;
  const unsigned s = (insn >> 16) & 31;
  if (s != 31 && r.state.x[s] != 1) return false;
  return r.state.mem == in.mem;
}

// Load-acquire / store-release register (LDAR*, STLR*, and ARMv8.1 LDLAR*/STLLR*): same class
// with o2 (23) = 1, o1 (21) = 0.
bool is_ordered_access(uint32_t insn) {
  return (insn & 0x3f800000) == 0x08800000 && ((insn >> 21) & 1) == 0;
}

bool in_window(uint64_t a) {
  return a >= kWindow && a < kWindow + kWindowSize;
}

}  // namespace

const char* known_deviation(uint32_t insn, const State& in, const Result& xvm, const Result& uc) {
  // Rule "alignment-before-translation": a misaligned exclusive, acquire/release or atomic
  // access to an unmapped or read-only address. In the Arm ARM's memory access pseudocode
  // (AArch64.MemSingle) AArch64.CheckAlignment runs before AArch64.TranslateAddress, so the
  // Alignment fault wins; Unicorn checks its memory map first and reports the access as
  // unmapped. Only for addresses outside the window: inside it Unicorn sees the mapping and
  // reports the alignment fault itself.
  if (xvm.outcome == Outcome::Alignment && uc.outcome == Outcome::DataAbort &&
      !in_window(xvm.fault_addr))
    return "alignment-before-translation";

  // Rule "ordered-alignment": LDAR/STLR use AccType_ORDERED, for which AArch64.CheckAlignment
  // requires natural alignment (ARMv8.0; only FEAT_LSE2 relaxes it). Unicorn 2.0.1 (QEMU 5.0)
  // emits these accesses without MO_ALIGN (translate-a64.c disas_ldst_excl), so it performs
  // the misaligned access.
  if (is_ordered_access(insn) && xvm.outcome == Outcome::Alignment && uc.outcome == Outcome::Ok &&
      (xvm.fault_addr & ((1u << (insn >> 30)) - 1)) != 0)
    return "ordered-alignment";

  if (is_store_exclusive(insn)) {
    // Rule "stxr-alignment-before-monitor": AArch64.ExclusiveMonitorsPass calls
    // AArch64.CheckAlignment before it consults the local monitor, so a misaligned
    // store-exclusive takes an Alignment fault even when the monitor would fail it. QEMU
    // compares the address with the monitor first and fails the store without a check.
    if (xvm.outcome == Outcome::Alignment && failed_store_exclusive(insn, in, uc))
      return "stxr-alignment-before-monitor";
    // Rule "stxr-abort-or-fail": it is IMPLEMENTATION DEFINED whether a memory abort of the
    // store is detected before the monitor check fails it (comment in
    // AArch64.ExclusiveMonitorsPass), so one side may abort where the other fails the store.
    // (QEMU marks an open monitor with the address -1, so a store-exclusive to that address
    // gets as far as the access and faults.)
    if ((xvm.outcome == Outcome::DataAbort && failed_store_exclusive(insn, in, uc)) ||
        (uc.outcome == Outcome::DataAbort && failed_store_exclusive(insn, in, xvm)))
      return "stxr-abort-or-fail";
  }
  return nullptr;
}

}  // namespace xvm::difftest
