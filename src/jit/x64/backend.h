// The x86-64 backend: emits an IR block (ir/ir.h) as host code with asmjit.
//
// Register convention of translated code (set up by the entry stub, valid in every block):
//   rbx = arm64::Cpu*   r12 = guest memory base (cpu.mem_base)   r13 = indirect-branch table
//   [rsp + 8k] (k = 0..5) = cpu.mem_size - (1 << k): the bound of an access of 1 << k bytes
//   [rsp + kTempBase + 8t] = IR temp t
// Guest registers and NZCV live in the Cpu struct (loaded and stored by GetReg/SetReg), so the
// Cpu is exact at every instruction that can fault, call out or exit. Before such an
// instruction the guest pc is stored into cpu.pc: a host fault in translated code then unwinds
// (siglongjmp, memory/host_fault.h) to the engine with the right guest pc.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "jit/code_cache.h"

namespace xvm::jit::x64 {

// Translated code may leave Cpu::nzcv in a lazy form: the x86 flags of the last compare as
// LAHF/SETO put them in ax (SF bit 15, ZF 14, CF 8 = Arm C, OF 0), marked by bit 9 (always set
// by LAHF, never in the packed form). Translated code converts it where it reads NZCV and
// before it calls C++; the engine calls normalize_nzcv whenever translated code returns.
constexpr uint32_t kLazyNzcv = 1u << 9;
void normalize_nzcv(uint32_t& nzcv);

// One entry of the per-thread indirect-branch table, indexed by (guest pc >> 2) & kIndirectMask.
struct IndirectEntry {
  uint64_t pc = ~uint64_t{0};
  const void* code = nullptr;
};
constexpr uint32_t kIndirectBits = 14;
constexpr uint32_t kIndirectMask = (1u << kIndirectBits) - 1;

// The shared stubs at the start of a code cache.
struct Stubs {
  // enter(cpu, block code, indirect table): runs translated code until it leaves to the
  // dispatcher; cpu.pc then holds the next guest pc.
  void (*enter)(void* cpu, const void* code, IndirectEntry* table) = nullptr;
  const void* exit = nullptr;  // leaves translated code (the epilogue of enter)
  size_t bytes = 0;            // size of the stubs
  // Called (never returns) when an access falls outside the arena: (cpu, guest address,
  // is_write). It raises the guest data abort (arm64::raise_stop).
  // Called (not jumped to) from a block's out-of-line bounds-check failure path, whose address
  // is a pc site: the return address tells which guest instruction it was.
  void (*data_abort)(void* cpu, uint64_t addr, uint64_t write) = nullptr;
  // Check mode only: called before every guest store (cpu, guest address, bytes), after its
  // bounds check, so the caller can record the old contents and undo the store.
  void (*log_store)(void* cpu, uint64_t addr, uint64_t bytes) = nullptr;

  // System mode (EmitOptions::system): enter_system is enter with r12 = Cpu::jit_tlb (the
  // current EL's fast TLB, layout below) instead of the arena base. Guest accesses probe that
  // TLB inline and call these on a miss, with cpu.pc stored; a guest fault leaves through
  // arm64::raise_stop. sys_load returns where the `bytes` bytes at va are (RAM, or a copy of
  // what device memory answered); sys_store stores the low `bytes` bytes of value;
  // sys_vstore stores the low `bytes` bytes of V[vreg]; sys_check raises the fault, if any, of
  // an access of bytes & 0xff bytes (a write if bit 8 is set) that crosses a page.
  void (*enter_system)(void* cpu, const void* code, IndirectEntry* table) = nullptr;
  const uint8_t* (*sys_load)(void* cpu, uint64_t va, uint64_t bytes) = nullptr;
  void (*sys_store)(void* cpu, uint64_t va, uint64_t value, uint64_t bytes) = nullptr;
  void (*sys_vstore)(void* cpu, uint64_t va, uint64_t vreg, uint64_t bytes) = nullptr;
  void (*sys_check)(void* cpu, uint64_t va, uint64_t bytes) = nullptr;
};

// The fast TLB translated code probes in system mode (arm64::sys::System::FastTlbEntry):
// 2^kSysTlbBits entries of 32 bytes {read tag, write tag, addend, (not read here)}.
constexpr unsigned kSysTlbBits = 9;
constexpr int32_t kSysTlbEntryBytes = 32;
bool emit_stubs(CodeCache& cache, Stubs* out);

// A direct exit of an emitted block: a `jmp rel32` at `site` that leaves to the dispatcher
// until it is patched to jump straight to the translation of `target` (block linking).
struct LinkSite {
  uint64_t target;
  uint8_t* site;
};

// Where the guest instruction changes among a block's guest-memory accesses: the host code from
// `offset` (bytes from the block's start) on belongs to the instruction at `pc`, up to the next
// entry. A host fault in translated code is mapped back to its guest pc with these: the fast
// path of a load or store does not store cpu.pc.
struct PcSite {
  uint32_t offset;
  uint64_t pc;
};
struct Emitted {
  const void* code = nullptr;
  size_t bytes = 0;
  std::vector<LinkSite> links;
  std::vector<PcSite> pc_sites;
};

enum class EmitResult { Ok, CacheFull, Error };
struct EmitOptions {
  bool log_stores = false;    // every Store first calls stubs.log_store (--check)
  bool count_insns = false;   // keep cpu.icount exact (--stats); costs a memory add per block
  // System mode: guest accesses through the fast TLB (Stubs::sys_*); direct exits link only
  // within the block's page (other targets: the indirect table, which the engine keeps valid
  // for the current translation regime).
  bool system = false;
  std::FILE* listing = nullptr;  // host instructions are written here as emitted (XVM_JIT_LOG)
};
EmitResult emit_block(const ir::Block& b, CodeCache& cache, const Stubs& stubs,
                      const EmitOptions& opts, Emitted* out, std::string* error);

}  // namespace xvm::jit::x64
