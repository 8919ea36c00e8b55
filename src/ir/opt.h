// IR passes. Each keeps the block's meaning at every point where guest state can be observed:
// a memory access (it may fault), a call to the interpreter, and the block's exit.
#pragma once
#include "ir/ir.h"

namespace xvm::ir {

struct OptStats {
  uint32_t folded = 0;           // constant-folded instructions
  uint32_t forwarded = 0;        // GetReg/GetNZCV replaced by a known value
  uint32_t dead_sets = 0;        // SetReg/SetNZCV removed (overwritten before observed)
  uint32_t dead_values = 0;      // pure instructions whose result nobody used
};

// Forwards guest registers and NZCV within the block (redundant get/set elimination), folds
// constants, removes NZCV and register writes that are overwritten before anything can observe
// them (dead-flag elimination), then unused pure instructions.
OptStats optimize(Block& b);

}  // namespace xvm::ir
