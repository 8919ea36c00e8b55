// A vCPU in system mode (ARCHITECTURE.md "System mode"): EL1 and EL0 behind the stage-1 MMU,
// physical memory and devices through a PhysBus, a soft TLB, and the EL1 system registers.
// A Cpu whose `sys` points at a System runs its loads, stores and fetches through here
// (arch/arm64/interp/common.h) instead of the user-mode arena.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "arch/arm64/cpu.h"
#include "arch/arm64/system/code_versions.h"
#include "arch/arm64/system/mmu.h"
#include "arch/arm64/system/state.h"

namespace xvm::arm64::sys {

// Guest-physical memory and devices as the vCPU sees them; the machine implements it.
class PhysBus {
 public:
  virtual ~PhysBus() = default;
  // Host pointer to [pa, pa + len) if it is all RAM (in one region), else null.
  virtual uint8_t* ram(uint64_t pa, uint64_t len) = 0;
  // A device access of 1, 2, 4 or 8 bytes; false when nothing answers at pa (the guest gets an
  // external abort).
  virtual bool mmio_read(uint64_t pa, unsigned size, uint64_t* value) = 0;
  virtual bool mmio_write(uint64_t pa, unsigned size, uint64_t value) = 0;
};

// System registers outside the core (the GIC CPU interface ICC_*, the generic timer CNT*), by
// MRS/MSR encoding (features.h sysreg()); the machine implements them. false = not handled.
class SysRegHooks {
 public:
  virtual ~SysRegHooks() = default;
  virtual bool read(unsigned el, uint32_t enc, uint64_t* value) = 0;
  virtual bool write(unsigned el, uint32_t enc, uint64_t value) = 0;
  // Whether the interrupt controller signals an IRQ to this vCPU now (masked or not).
  virtual bool interrupt_pending() { return true; }
};

class System {
 public:
  // `mpidr_aff`: this vCPU's affinity fields as MPIDR_EL1 reports them (Aff0..Aff2).
  System(PhysBus& bus, uint64_t mpidr_aff) : bus_(bus), mpidr_aff_(mpidr_aff) {
    flush_fast_tlb();
  }
  System(const System&) = delete;
  System& operator=(const System&) = delete;

  SysState state;
  void set_hooks(SysRegHooks* h) { hooks_ = h; }
  uint64_t mpidr_aff() const { return mpidr_aff_; }
  PhysBus& bus() { return bus_; }

  // --- memory, for the interpreter's access helpers (a fault leaves through raise_stop) ---
  // Host pointer for `n` bytes at virtual address va (RAM only, within one page or across two
  // pages that are contiguous in RAM); device memory or a fault raises a data abort.
  uint8_t* host_ptr(Cpu& cpu, uint64_t va, uint64_t n, bool write);
  uint64_t load(Cpu& cpu, uint64_t va, unsigned size);
  void store(Cpu& cpu, uint64_t va, unsigned size, uint64_t value);
  // Any length, any alignment, page by page; a store checks every page before writing.
  void read_bytes(Cpu& cpu, uint64_t va, void* dst, uint64_t n);
  void write_bytes(Cpu& cpu, uint64_t va, const void* src, uint64_t n);
  // For translated code's slow path: the host address of an n-byte access at va that lies in
  // one RAM page (the fast TLB filled), or null for device memory and page-crossing accesses
  // (then load/store/read_bytes/write_bytes); a fault raises the data abort.
  uint8_t* ram_ptr(Cpu& cpu, uint64_t va, unsigned n, bool write) {
    if ((va & 0xfff) + n > 0x1000) return nullptr;
    uint64_t pa;
    return translate(cpu, va, write ? Access::Write : Access::Read, &pa);
  }
  // Raises the fault, if any, of an n-byte access at va that crosses into the next page,
  // checking the pages in the order read_bytes (a read) and write_bytes (a write) access them.
  void probe(Cpu& cpu, uint64_t va, uint64_t n, bool write);
  // The host address of the executable RAM page holding va, for the engine to fetch from
  // while translation_generation() and the EL stay the same; null with cpu.stop filled.
  const uint8_t* fetch_page(Cpu& cpu, uint64_t va);
  // Changes whenever a cached translation may have become stale (TLB maintenance, writes to
  // SCTLR/TCR/TTBRx). Another vCPU's broadcast maintenance (request_flush) does not change it
  // directly: it raises the Cpu's pending-interrupt request, which ends the engine's slice.
  uint64_t translation_generation() const { return generation_; }
  // The same changes by kind, for engines that can keep what a change does not touch: whole
  // TLB flushes, ASID/TTBR changes, and single pages (the last kFlushedPagesKept of them are
  // kept: flushed_page(n) for n in (page_flushes() - kFlushedPagesKept, page_flushes()]).
  static constexpr unsigned kFlushedPagesKept = 16;
  uint64_t full_flushes() const { return full_flushes_; }
  uint64_t asid_changes() const { return asid_changes_; }
  uint64_t page_flushes() const { return page_flushes_; }
  uint64_t flushed_page(uint64_t n) const { return flushed_pages_[(n - 1) % kFlushedPagesKept]; }
  // Whether the last fetch_page's page is global (not tied to the current ASID).
  bool fetched_global() const { return fetched_global_; }
  // The vCPUs of the machine (this one included) that inner-shareable TLB maintenance
  // (TLBI …IS) reaches, and this vCPU's Cpu; set before the vCPUs start.
  void set_peers(const std::vector<System*>* peers, Cpu* cpu) {
    peers_ = peers;
    cpu_ = cpu;
  }
  // Another vCPU's TLBI …IS: raises this vCPU's pending-interrupt request, so its engine
  // leaves the slice after the current instruction; the engine starts every slice with
  // apply_remote_flushes(), which drops this TLB if any such request came.
  void apply_remote_flushes();
  void request_flush() {
    remote_flushes_.fetch_add(1, std::memory_order_release);
    if (cpu_) __atomic_fetch_or(&cpu_->pending, kPendingInterrupt, __ATOMIC_SEQ_CST);
  }

  // --- system registers and instructions (system_regs.cpp) ---
  // MRS/MSR of encoding `enc` at the current EL; false = UNDEFINED there.
  bool read_sysreg(Cpu& cpu, uint32_t enc, uint64_t* value);
  bool write_sysreg(Cpu& cpu, uint32_t enc, uint64_t value);
  // PSTATE.DAIF was just written (MSR, ERET), and was `old_daif`: when that unmasked IRQ or
  // FIQ while one is signalled, raise the interrupt request so that the engine leaves and the
  // machine takes it. (One signalled later raises the request itself: the GIC kicks the vCPU.)
  void daif_written(Cpu& cpu, uint64_t old_daif) {
    if ((old_daif & ~state.daif & (spsr::kI | spsr::kF)) && (!hooks_ || hooks_->interrupt_pending()))
      __atomic_fetch_or(&cpu.pending, kPendingInterrupt, __ATOMIC_RELAXED);
  }
  // SYS (op0 = 1): TLBI, AT, DC, IC; false = UNDEFINED.
  bool sys_op(Cpu& cpu, uint32_t enc, uint64_t xt);
  // IC IVAU of va (at EL1, or at EL0 under SCTLR_EL1.UCI): the RAM page it maps to gets a new
  // code version. Does nothing when va does not translate (the architecture lets an IC
  // IVAU of an unmapped address fault or not; Linux never issues one).
  void invalidate_code(uint64_t va);
  // The machine's code versions (shared by its vCPUs), or null (unit tests, no JIT).
  void set_code_versions(CodeVersions* v) { code_versions_ = v; }
  CodeVersions* code_versions() const { return code_versions_; }

  // TLB maintenance.
  void flush_tlb();
  void flush_tlb_page(uint64_t va);
  // TTBRx or TCR written: the current ASID may have changed.
  void translation_changed() {
    asid_ = compute_asid();
    ++generation_;
    ++asid_changes_;
    flush_fast_tlb_nonglobal();
  }

  // The fast TLB: per EL, a direct-mapped cache of RAM pages this vCPU may read or write at
  // that EL under the current ASID, in the form translated code probes inline (jit/x64:
  // r12 = fast_tlb(el)). An access of n bytes at va hits when ((va + n - 1) & ~0xfff) equals
  // the tag for its kind at index (va >> 12) & (kFastTlbEntries - 1); its host address is then
  // va + addend. (A page-crossing access compares the second page's number with the first
  // page's slot, which never holds it: a miss.) Tags of empty entries never match.
  struct FastTlbEntry {
    uint64_t read_tag, write_tag;
    uint64_t addend;  // host page - guest virtual page, modulo 2^64
    uint64_t global;  // 1: a global page (survives ASID changes)
  };
  static constexpr unsigned kFastTlbBits = 9;
  static constexpr unsigned kFastTlbEntries = 1u << kFastTlbBits;
  FastTlbEntry* fast_tlb(unsigned el) { return fast_tlb_[el & 1]; }

  uint64_t tlb_misses() const { return tlb_misses_; }

 private:
  struct TlbEntry {
    uint64_t tag = ~uint64_t{0};  // virtual page number, ~0 = empty
    uint64_t pa_page = 0;
    uint8_t* host = nullptr;      // RAM page, or null for device memory
    uint16_t asid = 0;
    bool global = false;
    uint8_t perms = 0;
    uint8_t level = 0;  // of the final descriptor, for permission faults
  };
  static constexpr unsigned kTlbBits = 11;
  void flush_fast_tlb();
  void flush_fast_tlb_nonglobal();  // an ASID change: entries of global pages stay
  bool fast_nonglobal_[2] = {};     // a table may hold entries of non-global pages
  void fill_fast_tlb(uint64_t va, const TlbEntry& e);
  // The host address of an n-byte access at va when the fast TLB has it, else null.
  uint8_t* fast_lookup(uint64_t va, unsigned n, bool write) {
    const FastTlbEntry& f = fast_tlb_[state.el & 1][(va >> 12) & (kFastTlbEntries - 1)];
    const uint64_t tag = (va + n - 1) & ~uint64_t{0xfff};
    if ((write ? f.write_tag : f.read_tag) != tag) return nullptr;
    return reinterpret_cast<uint8_t*>(va + f.addend);
  }

  // The TLB entry for va's page, walking the tables on a miss; null with `*fault` set (and
  // nothing cached) when the walk fails.
  const TlbEntry* entry(uint64_t va, Fault* fault);
  uint16_t current_asid() const { return asid_; }
  uint16_t compute_asid() const;
  WalkResult walk_va(uint64_t va);  // a table walk with the current registers
  TranslationRegs translation_regs() const;
  [[noreturn]] void data_abort(Cpu& cpu, uint64_t va, bool write, Fault f);
  // va -> (host pointer or device pa) for one access inside one page.
  uint8_t* translate(Cpu& cpu, uint64_t va, Access access, uint64_t* pa);

  PhysBus& bus_;
  SysRegHooks* hooks_ = nullptr;
  CodeVersions* code_versions_ = nullptr;
  uint64_t mpidr_aff_;
  TlbEntry tlb_[1u << kTlbBits];
  alignas(64) FastTlbEntry fast_tlb_[2][kFastTlbEntries];
  uint64_t tlb_misses_ = 0;
  uint64_t generation_ = 0;
  uint64_t full_flushes_ = 0, asid_changes_ = 0, page_flushes_ = 0;
  uint64_t flushed_pages_[kFlushedPagesKept] = {};
  bool fetched_global_ = false;
  // An entry (main or fast TLB) may be for a tagged address (top byte neither 0x00 nor 0xff,
  // TBI): a TLBI of its page must then look at every entry.
  bool tagged_ = false;
  uint16_t asid_ = 0;
  const std::vector<System*>* peers_ = nullptr;
  Cpu* cpu_ = nullptr;
  std::atomic<uint64_t> remote_flushes_{0};
  uint64_t remote_seen_ = 0;
};

}  // namespace xvm::arm64::sys
