// Declarations of every interpreter handler, generated from a64.inc (never written by hand).
#pragma once
#include <cstdint>

namespace xvm::arm64 {
struct Cpu;
namespace interp {
#define INST(name, desc, pattern, flags) void name(Cpu& cpu, uint32_t insn);
#include "a64.inc"
#undef INST
}  // namespace interp
}  // namespace xvm::arm64
