// State comparison of the system-level difftest, with the masks docs/difftest.md lists.
#pragma once
#include <string>
#include <vector>

#include "sys_case.h"

namespace xvm::difftest::sys {

bool is_abort(uint64_t esr);
// Differences between two stops / two runs, one line each; empty when they agree.
std::vector<std::string> compare(const SysSnap& a, const SysSnap& b);
std::vector<std::string> compare_runs(const SysRun& x, const SysRun& u);

}  // namespace xvm::difftest::sys
