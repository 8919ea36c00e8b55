// Known disagreements of the system-level difftest (docs/difftest.md, "System level"): each
// rule recognises one, says whose fault it is, and excuses the case (counted, never failing).
#pragma once
#include <cstddef>

#include "sys_case.h"

namespace xvm::difftest::sys {

inline constexpr size_t kNumExclusions = 6;
const char* exclusion_name(size_t k);
// The rule that excuses this disagreement, or -1.
int classify(const SysCase& c, const SysRun& x, const SysRun& u);

}  // namespace xvm::difftest::sys
