#include "engine/interpreter.h"

#include <cstdio>
#include <mutex>
#include <unordered_set>

#include "memory/code_watch.h"
#include "memory/host_fault.h"

namespace xvm::engine {
namespace {

using arm64::Cpu;
using arm64::Stop;
using arm64::StopKind;

}  // namespace

void unimplemented_op(Cpu& cpu, uint32_t insn) {
  Stop s;
  s.kind = StopKind::Undefined;
  s.unimplemented = true;
  s.insn = insn;
  arm64::raise_stop(cpu, s);
}

void insn_abort_op(Cpu& cpu, uint32_t) {
  Stop s;
  s.kind = StopKind::InsnAbort;
  s.addr = cpu.pc;
  arm64::raise_stop(cpu, s);
}

Interpreter::Interpreter(const CodeSource& code) : code_(code), fast_(1u << kFastBits, nullptr) {
  memory::install_host_fault_handler();
}

Interpreter::~Interpreter() = default;

void Interpreter::flush() {
  blocks_.clear();
  std::fill(fast_.begin(), fast_.end(), nullptr);
  ++stats_.code_flushes;
}

uint32_t take_requests(arm64::Cpu& cpu, const CodeSource& code) {
  const uint32_t p = __atomic_exchange_n(&cpu.pending, 0, __ATOMIC_ACQ_REL);
  if (p & arm64::kPendingCodeWritten) code.code_written();
  if (p & arm64::kPendingBroadcastFlush) code.broadcast_code_change();
  return p;
}

DecodedBlock decode_block(const CodeSource& code, uint64_t pc, bool system) {
  DecodedBlock b;
  code.watch_code(pc);  // blocks never cross a page
  uint64_t a = pc;
  do {
    uint32_t insn = 0;
    if (!code.fetch(a, &insn)) {
      if (a == pc) b.ops.push_back({&insn_abort_op, 0}), b.ends = true;
      break;  // a fault later in the block belongs to the next block
    }
    const arm64::DecodeEntry* e = arm64::decode(insn);
    if (!e) {
      b.ops.push_back({&unimplemented_op, insn});
      b.ends = true;
      break;
    }
    b.ops.push_back({e->handler, insn});
    ++b.table_ops;
    a += 4;
    if (e->flags & arm64::kEnds) {
      b.ends = true;
      break;
    }
    if (system && arm64::ends_block_in_system_mode(insn)) break;
  } while (b.ops.size() < kMaxBlockInsns && (a & 0xfff) != 0);
  return b;
}

Interpreter::Block* Interpreter::translate(uint64_t pc) {
  DecodedBlock d = decode_block(code_, pc);
  auto b = std::make_unique<Block>();
  b->pc = pc;
  b->ends = d.ends;
  b->ops = std::move(d.ops);
  b->count = static_cast<uint32_t>(b->ops.size());
  ++stats_.blocks_decoded;
  stats_.insns_decoded += b->count;
  Block* raw = b.get();
  blocks_[pc] = std::move(b);
  return raw;
}

Interpreter::Block* Interpreter::lookup(uint64_t pc) {
  Block*& slot = fast_[(pc >> 2) & ((1u << kFastBits) - 1)];
  if (slot && slot->pc == pc) [[likely]]
    return slot;
  auto it = blocks_.find(pc);
  slot = it != blocks_.end() ? it->second.get() : translate(pc);
  return slot;
}

Stop Interpreter::run(Cpu& cpu) {
  sigjmp_buf unwind;
  memory::HostFault fault;
  memory::FaultScope scope(cpu.mem_base, cpu.mem_size, &unwind, &fault);
  cpu.stop = Stop{};
  cpu.unwind = &unwind;
  const int how = sigsetjmp(unwind, 0);
  if (how == 2) {  // host fault inside the arena, at the instruction at cpu.pc
    cpu.stop = Stop{};
    cpu.stop.kind = StopKind::DataAbort;
    cpu.stop.addr = fault.guest_addr;
    cpu.stop.write = fault.write;
  }
  if (how != 0) {
    cpu.unwind = nullptr;
    return cpu.stop;
  }
  memory::code_watch_notify(&cpu.pending, arm64::kPendingCodeWritten);
  for (;;) {
    if (cpu.pending) [[unlikely]] {
      const uint32_t p = take_requests(cpu, code_);
      if (p & kPendingCodeChange) flush();
      if (p & arm64::kPendingInterrupt) {
        cpu.stop.kind = StopKind::Interrupt;
        break;
      }
    }
    Block* b = lookup(cpu.pc);
    const uint64_t base = b->pc;
    const Op* op = b->ops.data();
    for (uint32_t i = 0, n = b->count; i < n; ++i) {
      cpu.pc = base + 4 * i;
      op[i].fn(cpu, op[i].insn);
    }
    cpu.icount += b->count;
    if (!b->ends) cpu.pc = base + 4 * b->count;
    if (cpu.stop.kind != StopKind::None) break;
  }
  cpu.unwind = nullptr;
  return cpu.stop;
}

Stop Interpreter::step(Cpu& cpu) {
  sigjmp_buf unwind;
  memory::HostFault fault;
  memory::FaultScope scope(cpu.mem_base, cpu.mem_size, &unwind, &fault);
  cpu.stop = Stop{};
  cpu.unwind = &unwind;
  const int how = sigsetjmp(unwind, 0);
  if (how == 2) {
    cpu.stop = Stop{};
    cpu.stop.kind = StopKind::DataAbort;
    cpu.stop.addr = fault.guest_addr;
    cpu.stop.write = fault.write;
  }
  if (how == 0) {
    uint32_t insn = 0;
    if (!code_.fetch(cpu.pc, &insn)) {
      insn_abort_op(cpu, 0);
    }
    const arm64::DecodeEntry* e = arm64::decode(insn);
    if (!e) unimplemented_op(cpu, insn);
    e->handler(cpu, insn);
    if (!(e->flags & arm64::kEnds)) cpu.pc += 4;
    ++cpu.icount;
  }
  cpu.unwind = nullptr;
  return cpu.stop;
}

void report_undefined(const Stop& stop, uint64_t pc) {
  static std::mutex mu;
  static std::unordered_set<uint64_t> seen;
  std::lock_guard lock(mu);
  if (!seen.insert(pc).second) return;
  std::fprintf(stderr, "xvm: %s A64 instruction 0x%08x at 0x%lx\n",
               stop.unimplemented ? "unimplemented" : "undefined", stop.insn,
               static_cast<unsigned long>(pc));
}

}  // namespace xvm::engine
