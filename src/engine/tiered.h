// The tiered engine: cold code runs in the interpreter (pre-decoded blocks, as in
// interpreter.h) with a counter per block; a block run `threshold` times is lifted to IR
// (arch/arm64/lift), optimised (ir/opt.h) and emitted as x86-64 code (jit/x64) into a bounded
// per-thread code cache. Translated blocks jump to each other directly (patched jumps) or
// through a per-thread indirect-branch table, and come back to this dispatcher only for
// syscalls, exceptions, pending requests and targets that are not translated yet.
//
// --engine=jit is this engine with threshold 0 (translate on first execution).
//
// System mode (the Tiered(Cpu&) constructor; Cpu::sys set): code is fetched through the vCPU's
// MMU, blocks are keyed by virtual pc and remember the RAM page (and its code version,
// arm64::sys::CodeVersions) they were decoded from, which every entry from the dispatcher
// checks; translated code reaches guest memory through the fast TLB, links directly only
// within a page and reaches other pages through one indirect table per EL, whose entries go
// when the TLB maintenance, ASID change or code change that may affect them happens.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "arch/arm64/cpu.h"
#include "arch/arm64/decoder.h"
#include "base/u64_map.h"
#include "engine/interpreter.h"

namespace xvm::engine {

struct JitOptions {
  bool system = false;  // set by the system-mode constructor
  uint32_t threshold = 50;               // executions of a block before it is translated
  size_t cache_bytes = size_t{32} << 20; // code cache bound per thread; flushed when full
  bool check = false;  // co-simulate: run each translated block on the interpreter too, compare
  bool count_insns = false;  // keep cpu.icount exact in translated code (--stats)
  // Check each block's IR (ir::verify) before emitting it; also on under `check` and with
  // $XVM_JIT_VERIFY set. Off by default: it costs ~2% of translation and only catches lifter bugs.
  bool verify_ir = false;
};

struct JitStats {
  uint64_t blocks_translated = 0;
  uint64_t insns_translated = 0;   // guest instructions in translated blocks
  uint64_t insns_interp_call = 0;  // of which not lifted (run through the interpreter handler)
  uint64_t host_bytes = 0;         // x86-64 code emitted
  uint64_t translate_ns = 0;       // time spent lifting, optimising and emitting
  uint64_t insns_interpreted = 0;  // guest instructions executed by the cold (interpreter) path
  uint64_t jit_entries = 0;        // dispatcher -> translated code transitions
  uint64_t links_patched = 0;      // direct exits patched to jump straight to their target
  uint64_t cache_flushes = 0;      // because the cache was full
  uint64_t code_flushes = 0;       // everything dropped: guest code may have changed (IC IVAU)
  uint64_t invalidations = 0;      // code ranges changed (mmap over code, munmap, mprotect)
  uint64_t blocks_invalidated = 0; // decoded or translated blocks dropped by those
  // Counted by translated code when JitOptions::count_insns (--stats), from the Cpu:
  uint64_t exits = 0;              // direct exits (branch targets known at translation)
  uint64_t exit_misses = 0;        // of which left to the dispatcher (not linked, or a request)
  uint64_t indirect = 0;           // indirect branches (BR, BLR, RET)
  uint64_t indirect_hits = 0;      // of which found in the lookup table
  uint64_t check_blocks = 0;       // --check: blocks compared
  uint64_t check_mismatches = 0;   // --check: blocks whose results differed
};

JitStats& operator+=(JitStats& a, const JitStats& b);
// One line of JIT figures for --stats.
void print_jit_stats(const JitStats& s, std::FILE* out);
// The same as a JSON object; `guest_insns` (all engines) gives the JIT-executed count.
std::string jit_stats_json(const JitStats& s, uint64_t guest_insns);
class Tiered;
// An engine's figures with the counters translated code keeps in its thread's Cpu.
JitStats jit_stats_of(const Tiered& t, const arm64::Cpu& cpu);

class Tiered {
 public:
  Tiered(const CodeSource& code, const JitOptions& opts);
  // System mode, for the vCPU `cpu` (its Cpu::sys set); `opts.check` is not supported.
  Tiered(arm64::Cpu& cpu, const JitOptions& opts);
  ~Tiered();

  // Runs until a stop: in system mode also an exception the machine must take, a WFI/HVC, or
  // a pending interrupt request (StopKind::Interrupt).
  arm64::Stop run(arm64::Cpu& cpu);
  // Drops every decoded block and every translation.
  void flush();
  // Drops the blocks (decoded and translated) on the pages of [start, end); links into them
  // fall back to the dispatcher until they are translated again.
  void invalidate(uint64_t start, uint64_t end);

  const EngineStats& stats() const { return stats_; }
  const JitStats& jit_stats() const { return jit_; }

 private:
  using Op = DecodedOp;
  struct Block {
    uint64_t pc = 0;
    uint32_t count = 0;
    bool ends = false;
    uint32_t hits = 0;
    uint32_t lift_count = 0;     // leading ops with a decode-table entry (what may be lifted)
    bool no_translate = false;   // translation failed or is pointless
    const void* code = nullptr;  // translation, once there is one
    std::vector<Op> ops;
    // System mode: the RAM page (host address) and its code version the block came from.
    const uint8_t* host_page = nullptr;
    uint32_t version = 0;
  };
  struct Impl;

  void init();
  Block* lookup(uint64_t pc);
  arm64::Stop run_system(arm64::Cpu& cpu);
  // Applies the code changes logged since the last call (CodeSource::code_changes_since).
  void apply_code_changes();
  Block* decode_block(uint64_t pc);
  // Translates b; false when it could not (b is then marked), or when the cache was flushed
  // to make room (then b no longer exists).
  bool translate(Block* b, bool* flushed);
  void interpret(arm64::Cpu& cpu, Block* b);
  void run_translated(arm64::Cpu& cpu, Block* b);

  std::unique_ptr<CodeSource> own_code_;  // system mode: fetches through the vCPU's MMU
  const CodeSource& code_;
  JitOptions opts_;
  std::unique_ptr<Impl> impl_;
  U64Map<std::unique_ptr<Block>> blocks_;
  std::vector<Block*> fast_;
  // Block pcs by guest page (invalidate), and the last code change applied.
  std::unordered_map<uint64_t, std::vector<uint64_t>> by_page_;
  uint64_t code_seq_ = 0;
  // System mode: the RAM page and code version of each guest page that has blocks, the page
  // being decoded from, and the translation generation / code epochs the tables reflect.
  struct PageSource {
    const uint8_t* host_page;
    uint32_t version;
  };
  std::unordered_map<uint64_t, PageSource> page_source_;
  PageSource decoding_{};
  uint64_t seen_full_ = ~uint64_t{0}, seen_asid_ = 0, seen_pages_ = 0;
  uint64_t seen_epoch_ = 0, seen_all_ = 0;
  EngineStats stats_;
  JitStats jit_;
};

}  // namespace xvm::engine
