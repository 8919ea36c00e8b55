// Prologue instructions: state a single instruction cannot see from registers and memory
// alone, set up by executing instructions before it on both sides (docs/difftest.md).
#pragma once
#include <cstdint>
#include <optional>

#include "state.h"

namespace xvm::difftest {

// For a store-exclusive (STXR, STLXR, STXP, STLXP and the B/H forms): a load-exclusive of the
// same size from the same base register, so that the exclusive monitor is armed and the store
// can succeed. Its destination registers avoid every register the store reads. nullopt for
// other instructions.
std::optional<uint32_t> prologue_for(uint32_t insn, Rng& rng);

// Half of the store-exclusives get that load-exclusive in front; a quarter of those also a
// CLREX between the two, which must make the store fail again.
void add_prologues(Rng& rng, uint32_t insn, State& s);

}  // namespace xvm::difftest
