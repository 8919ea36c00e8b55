// Disagreements between xvm and Unicorn that depend on the state, not only on the encoding
// (so exclusions.txt cannot express them), and where the Arm ARM is on xvm's side or leaves
// the choice to the implementation. Each rule is documented in docs/difftest.md.
#pragma once
#include <cstdint>

#include "state.h"

namespace xvm::difftest {

// The name of the rule under which this disagreement is allowed, or nullptr.
const char* known_deviation(uint32_t insn, const State& in, const Result& xvm, const Result& uc);

}  // namespace xvm::difftest
