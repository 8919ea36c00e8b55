// The interpreter engine: runs an arm64::Cpu over pre-decoded blocks until it stops.
//
// Each guest instruction is decoded once (through the a64.inc table) into a block of
// {handler, encoding} pairs; hot code then costs one indirect call per instruction. Blocks end
// at a branch/exception instruction, after kMaxBlockInsns instructions, or at a page boundary, so a
// page's code can be dropped without looking inside blocks.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "arch/arm64/cpu.h"
#include "arch/arm64/decoder.h"

namespace xvm::engine {

// Where the engine reads guest code from, with the guest's execute permission.
class CodeSource {
 public:
  virtual ~CodeSource() = default;
  // The 32-bit instruction at `addr`, or false when the page is not mapped executable.
  virtual bool fetch(uint64_t addr, uint32_t* insn) const = 0;
  // A vCPU executed IC IVAU: every other vCPU reading this code must drop its decoded blocks.
  virtual void broadcast_code_change() const {}
  // Code changes (mappings replaced, removed or re-protected; IC IVAU) are numbered. The
  // ranges [start, end) that changed after change number `seq` are appended to `ranges`
  // ([0, ~0) when they are not known any more), and the current number is returned.
  virtual uint64_t code_changes_since(uint64_t seq,
                                      std::vector<std::pair<uint64_t, uint64_t>>* ranges) const {
    (void)seq;
    ranges->push_back({0, ~uint64_t{0}});
    return 0;
  }
  virtual uint64_t code_change_seq() const { return 0; }
  // The block at `pc` is being decoded: watch its page for stores (self-modifying code).
  virtual void watch_code(uint64_t pc) const { (void)pc; }
  // This thread's stores hit watched code (kPendingCodeWritten): log those pages as changed.
  virtual void code_written() const {}
};

// Requests that mean "guest code may have changed": the engine drops what it decoded.
constexpr uint32_t kPendingCodeChange =
    arm64::kPendingFlushCode | arm64::kPendingBroadcastFlush | arm64::kPendingCodeWritten;
// Takes the thread's pending requests (Cpu::pending), tells `code` about stores to watched
// code and IC IVAU, and returns them for the engine to act on (kPendingCodeChange,
// kPendingInterrupt). Both engines call it between blocks.
uint32_t take_requests(arm64::Cpu& cpu, const CodeSource& code);

// One decoded guest instruction: the handler that executes it and its encoding.
struct DecodedOp {
  arm64::Handler fn;
  uint32_t insn;
};

struct EngineStats {
  uint64_t blocks_decoded = 0;
  uint64_t insns_decoded = 0;
  uint64_t code_flushes = 0;
};

class Interpreter {
 public:
  explicit Interpreter(const CodeSource& code);
  ~Interpreter();

  // Runs until the Cpu stops (syscall, exception, pending request); returns why.
  arm64::Stop run(arm64::Cpu& cpu);
  // Executes exactly one instruction (difftest, single-stepping).
  arm64::Stop step(arm64::Cpu& cpu);
  // Drops every decoded block (code changed, mappings changed).
  void flush();

  const EngineStats& stats() const { return stats_; }

  using Op = DecodedOp;
  struct Block {
    uint64_t pc;
    uint32_t count;
    bool ends;  // the last op is a kEnds instruction that sets pc itself
    std::vector<Op> ops;
  };

 private:
  Block* lookup(uint64_t pc);
  Block* translate(uint64_t pc);

  static constexpr uint32_t kFastBits = 14;

  const CodeSource& code_;
  std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;
  std::vector<Block*> fast_;  // direct-mapped front of blocks_, indexed by (pc >> 2)
  EngineStats stats_;
};

// The block decoder every engine uses: decodes guest code from `pc` up to and including a
// kEnds instruction, kMaxBlockInsns instructions or the end of the page. A fetch fault at `pc`
// or an encoding no table line matches becomes a trailing pseudo-op. With `system`, a block
// also ends after an instruction arm64::ends_block_in_system_mode names.
constexpr uint32_t kMaxBlockInsns = 64;
struct DecodedBlock {
  std::vector<DecodedOp> ops;
  uint32_t table_ops = 0;  // leading ops that have a decode-table entry (not a pseudo-op)
  bool ends = false;       // the last op sets pc itself (kEnds or a pseudo-op)
};
DecodedBlock decode_block(const CodeSource& code, uint64_t pc, bool system = false);

// Pseudo-handlers every engine places in a block: an encoding that no table line matches
// (unimplemented), and a fetch from a page that is not executable (instruction abort).
void unimplemented_op(arm64::Cpu& cpu, uint32_t insn);
void insn_abort_op(arm64::Cpu& cpu, uint32_t insn);

// Prints (once per address) why an instruction is undefined, as the issue asks:
// "xvm: unimplemented A64 instruction 0x4e284800 at 0x4012a0".
void report_undefined(const arm64::Stop& stop, uint64_t pc);

}  // namespace xvm::engine
