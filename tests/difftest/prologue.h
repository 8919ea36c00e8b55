// Prologue instructions: state a single instruction cannot see from registers and memory
// alone, set up by executing one instruction before it on both sides (docs/difftest.md).
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

}  // namespace xvm::difftest
