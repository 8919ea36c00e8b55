// xvm's JIT intermediate representation: one block of guest code as a list of instructions over
// SSA temps, built by a lifter (arch/*/lift), improved by passes (ir/opt.cpp) and emitted by a
// backend (jit/x64). The opcodes and their properties come from ir/opcodes.inc.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xvm::ir {

// Properties of an opcode (the letters of opcodes.inc).
namespace opflag {
enum : uint16_t {
  R = 1 << 0,  // has a result temp
  M = 1 << 1,  // reads guest memory
  W = 1 << 2,  // writes guest memory
  F = 1 << 3,  // reads NZCV
  S = 1 << 4,  // writes NZCV
  G = 1 << 5,  // reads guest registers
  H = 1 << 6,  // writes guest registers
  X = 1 << 7,  // other side effects: may fault, calls out, marks state
  T = 1 << 8,  // terminator (last instruction of a block, and only there)
  C = 1 << 9,  // may call host code (clobbers the host's caller-saved registers)
};
}  // namespace opflag

// The operation of an FpOp (opcodes.inc), by Arm instruction.
enum class FpKind : uint8_t {
  Add, Sub, Mul, Div, NMul,      // FADD FSUB FMUL FDIV FNMUL: V[d] = V[n] op V[m]
  MAdd, MSub, NMAdd, NMSub,      // FMADD FMSUB FNMADD FNMSUB with V[a]
  Sqrt,                          // FSQRT: V[d] = sqrt(V[n])
  Mov, Abs, Neg,                 // FMOV FABS FNEG (register): bit operations, never exceptional
};
// Register fields of FpOp/FpCmp: packed into the low 32 bits of Inst::imm.
constexpr uint64_t fp_regs(unsigned d, unsigned n, unsigned m = 0, unsigned a = 0) {
  return d | n << 8 | m << 16 | a << 24;
}
// The operation of a VecOp (opcodes.inc), by Arm instruction.
enum class VecKind : uint8_t {
  CmEq, CmEqZero,               // CMEQ (register), CMEQ (zero)
  UMinP, UMaxP,                 // UMINP, UMAXP (bytes)
  Shrn,                         // SHRN/SHRN2: width = source element bytes, fp_regs a = shift
  And, Orr, Eor, Bic, Orn,      // bitwise
  Bsl, Bit, Bif,                // bitwise selects (read V[d] too)
};

// System registers of GetSysReg/SetSysReg.
enum class SysReg : uint8_t { TpidrEl0 };

enum class Opcode : uint8_t {
#define OPCODE(name, nargs, flags, doc) name,
#include "ir/opcodes.inc"
#undef OPCODE
};

struct OpInfo {
  const char* name;
  uint8_t nargs;
  uint16_t flags;
};
namespace detail {
using namespace opflag;
inline constexpr OpInfo kInfo[] = {
#define OPCODE(name, nargs, flags, doc) {#name, nargs, flags},
#include "ir/opcodes.inc"
#undef OPCODE
};
}  // namespace detail
inline const OpInfo& info(Opcode op) { return detail::kInfo[static_cast<unsigned>(op)]; }
inline bool has(Opcode op, uint16_t f) { return (info(op).flags & f) != 0; }

using Temp = uint32_t;
constexpr Temp kNoTemp = ~Temp{0};

struct Inst {
  Opcode op;
  uint8_t width = 64;  // ALU: 32 or 64; Load/Store/CheckRange: bytes
  uint8_t aux = 0;     // register number, condition, extension bits, load signedness
  Temp dst = kNoTemp;
  Temp a[3] = {kNoTemp, kNoTemp, kNoTemp};
  uint64_t imm = 0;   // Const value, exit target, handler address, instruction pc
  uint64_t imm2 = 0;  // second exit target, encoding of a CallInterp
};

struct Block {
  uint64_t pc = 0;           // guest address of the first instruction
  uint32_t guest_insns = 0;  // guest instructions covered
  uint32_t interp_calls = 0; // of which run through CallInterp (not lifted yet)
  uint32_t ntemps = 0;
  std::vector<Inst> insts;
};

// Appends instructions to a block; every value-producing helper returns the new temp.
class Builder {
 public:
  explicit Builder(Block& b) : b_(b) {}
  Temp emit(Inst i) {
    if (has(i.op, opflag::R)) i.dst = b_.ntemps++;
    b_.insts.push_back(i);
    return i.dst;
  }
  Temp konst(uint64_t v) { return emit({.op = Opcode::Const, .imm = v}); }
  Temp op1(Opcode op, unsigned width, Temp a, uint8_t aux = 0) {
    return emit({.op = op, .width = uint8_t(width), .aux = aux, .a = {a, kNoTemp, kNoTemp}});
  }
  Temp op2(Opcode op, unsigned width, Temp a, Temp b) {
    return emit({.op = op, .width = uint8_t(width), .a = {a, b, kNoTemp}});
  }
  Temp op3(Opcode op, unsigned width, Temp a, Temp b, Temp c) {
    return emit({.op = op, .width = uint8_t(width), .a = {a, b, c}});
  }
  Temp get_reg(unsigned r) { return emit({.op = Opcode::GetReg, .aux = uint8_t(r)}); }
  void set_reg(unsigned r, Temp v) {
    emit({.op = Opcode::SetReg, .aux = uint8_t(r), .a = {v, kNoTemp, kNoTemp}});
  }
  Temp get_nzcv() { return emit({.op = Opcode::GetNZCV}); }
  void set_nzcv(Temp v) { emit({.op = Opcode::SetNZCV, .a = {v, kNoTemp, kNoTemp}}); }
  Block& block() { return b_; }

 private:
  Block& b_;
};

// Human-readable listing, one instruction a line ("t3 = Add.64 t1, t2").
std::string print(const Block& b);
// Structural checks: temps defined before use and once, argument counts, widths, exactly one
// terminator at the end. Returns an empty string when the block is well formed.
std::string verify(const Block& b);

}  // namespace xvm::ir
