// A vCPU in system mode (ARCHITECTURE.md "System mode"): EL1 and EL0 behind the stage-1 MMU,
// physical memory and devices through a PhysBus, a soft TLB, and the EL1 system registers.
// A Cpu whose `sys` points at a System runs its loads, stores and fetches through here
// (arch/arm64/interp/common.h) instead of the user-mode arena.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "arch/arm64/cpu.h"
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
};

class System {
 public:
  // `mpidr_aff`: this vCPU's affinity fields as MPIDR_EL1 reports them (Aff0..Aff2).
  System(PhysBus& bus, uint64_t mpidr_aff) : bus_(bus), mpidr_aff_(mpidr_aff) {}
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
  // The host address of the executable RAM page holding va, for the engine to fetch from
  // while translation_generation() and the EL stay the same; null with cpu.stop filled.
  const uint8_t* fetch_page(Cpu& cpu, uint64_t va);
  // Changes whenever a cached translation may have become stale (TLB maintenance, writes to
  // SCTLR/TCR/TTBRx). Another vCPU's broadcast maintenance (request_flush) does not change it
  // directly: it raises the Cpu's pending-interrupt request, which ends the engine's slice.
  uint64_t translation_generation() const { return generation_; }
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
  // SYS (op0 = 1): TLBI, AT, DC, IC; false = UNDEFINED.
  bool sys_op(Cpu& cpu, uint32_t enc, uint64_t xt);

  // TLB maintenance.
  void flush_tlb();
  void flush_tlb_page(uint64_t va);
  // TTBRx or TCR written: the current ASID may have changed.
  void translation_changed() {
    asid_ = compute_asid();
    ++generation_;
  }

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
  static constexpr unsigned kTlbBits = 8;

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
  uint64_t mpidr_aff_;
  TlbEntry tlb_[1u << kTlbBits];
  uint64_t tlb_misses_ = 0;
  uint64_t generation_ = 0;
  uint16_t asid_ = 0;
  const std::vector<System*>* peers_ = nullptr;
  Cpu* cpu_ = nullptr;
  std::atomic<uint64_t> remote_flushes_{0};
  uint64_t remote_seen_ = 0;
};

}  // namespace xvm::arm64::sys
