#include "engine/system_interp.h"

#include <csetjmp>
#include <cstring>

#include "arch/arm64/decoder.h"
#include "arch/arm64/system/system.h"
#include "engine/interpreter.h"

namespace xvm::engine {

using arm64::Cpu;
using arm64::Stop;
using arm64::StopKind;

// Decoded instruction words, direct-mapped by the instruction's address and checked by the
// word itself: an entry is only ever used for the same 32-bit encoding, whatever address space
// or page it came from, so nothing needs invalidating. Indexing by address (not by a hash of
// the word) keeps consecutive instructions in consecutive entries, which is what the host's
// caches like (a hash index made the lookup the largest cost of a kernel boot).
struct SystemInterpreter::Cache {
  static constexpr unsigned kBits = 14;
  struct Entry {
    uint32_t insn = 0;
    bool valid = false;
    bool ends = false;
    arm64::Handler fn = nullptr;
  };
  Entry e[1u << kBits];
  const Entry& get(uint64_t pc, uint32_t insn) {
    Entry& x = e[(pc >> 2) & ((1u << kBits) - 1)];
    if (x.valid && x.insn == insn) [[likely]]
      return x;
    const arm64::DecodeEntry* d = arm64::decode(insn);
    x.insn = insn;
    x.valid = true;
    x.fn = d ? d->handler : &unimplemented_op;
    x.ends = d ? (d->flags & arm64::kEnds) != 0 : true;
    return x;
  }
};

SystemInterpreter::SystemInterpreter() : cache_(std::make_unique<Cache>()) {}
SystemInterpreter::~SystemInterpreter() = default;

Stop SystemInterpreter::run(Cpu& cpu, uint64_t budget) {
  sigjmp_buf unwind;
  cpu.stop = Stop{};
  cpu.unwind = &unwind;
  if (sigsetjmp(unwind, 0) != 0) {  // a handler raised a guest exception (raise_stop)
    cpu.unwind = nullptr;
    return cpu.stop;
  }
  arm64::sys::System& sys = *cpu.sys;
  sys.apply_remote_flushes();  // other vCPUs' TLBI …IS since the last slice
  Cache& cache = *cache_;
  // The page instructions come from, valid while the translation generation and the EL stay.
  uint64_t page_vpn = ~uint64_t{0}, page_gen = 0;
  unsigned page_el = 2;
  const uint8_t* page = nullptr;
  for (uint64_t n = 0; n < budget; ++n) {
    // Only interrupt requests concern this engine (it keeps no decoded code to flush).
    if (cpu.pending & arm64::kPendingInterrupt) [[unlikely]] {
      cpu.stop.kind = StopKind::Interrupt;  // the machine takes interrupts and requests
      break;
    }
    const uint64_t pc = cpu.pc;
    if ((pc >> 12) != page_vpn || (pc & 3) || sys.translation_generation() != page_gen ||
        sys.state.el != page_el) [[unlikely]] {
      if (pc & 3) {  // a branch to a misaligned address: PC alignment fault
        cpu.stop.kind = StopKind::PcAlignment;
        break;
      }
      page = sys.fetch_page(cpu, pc);
      if (!page) break;  // cpu.stop: InsnAbort
      page_vpn = pc >> 12;
      page_gen = sys.translation_generation();
      page_el = sys.state.el;
    }
    uint32_t insn;
    std::memcpy(&insn, page + (pc & 0xfff), 4);
    const Cache::Entry& d = cache.get(pc, insn);
    d.fn(cpu, insn);
    ++cpu.icount;
    if (!d.ends) cpu.pc = pc + 4;
    if (cpu.stop.kind != StopKind::None) break;
  }
  cpu.unwind = nullptr;
  return cpu.stop;
}

}  // namespace xvm::engine
