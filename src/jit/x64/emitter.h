// Private to jit/x64: the block emitter's class and the constants of translated code's frame
// and Cpu offsets, shared by backend.cpp (integer, memory, control) and fp_simd.cpp (scalar FP
// and Advanced SIMD).
#pragma once
#include "jit/x64/backend.h"

#include <asmjit/x86.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <optional>

#include "arch/arm64/cpu.h"

namespace xvm::jit::x64::emit {

using namespace asmjit;
using arm64::Cpu;
using ir::Inst;
using ir::Opcode;
using ir::Temp;

inline constexpr int32_t kTempBase = 64;
inline constexpr uint32_t kMaxTemps = 1000;
// Frame below the six saved registers: keeps rsp 16-byte aligned at calls (entry rsp is 8 mod
// 16, six pushes keep it so, and kFrame is 8 mod 16).
inline constexpr int32_t kFrame = kTempBase + 8 * kMaxTemps + 8;
static_assert((kFrame + 8 + 48) % 16 == 0);

constexpr int32_t off(size_t o) { return static_cast<int32_t>(o); }
inline const int32_t kX = off(offsetof(Cpu, x));
inline const int32_t kV = off(offsetof(Cpu, v));
inline const int32_t kFpcr = off(offsetof(Cpu, fpcr));
inline const int32_t kFpsr = off(offsetof(Cpu, fpsr));
inline const int32_t kTpidr = off(offsetof(Cpu, tpidr_el0));

// FPCR bits under which the host's IEEE arithmetic in round-to-nearest is Arm's (FpOp).
inline constexpr uint32_t kFpcrNonDefault =
    arm64::fpcr::kFZ | arm64::fpcr::kDN | (3u << arm64::fpcr::kRModeShift);

inline bool host_has_sse41() {
  static const bool has = CpuInfo::host().hasFeature(CpuFeatures::X86::kSSE4_1);
  return has;
}

inline bool host_has_bmi1() {
  static const bool has = CpuInfo::host().hasFeature(CpuFeatures::X86::kBMI);
  return has;
}

inline bool host_has_avx512f() {
  static const bool has = CpuInfo::host().hasFeature(CpuFeatures::X86::kAVX512_F) &&
                          CpuInfo::host().hasFeature(CpuFeatures::X86::kFMA);
  return has;
}
inline const int32_t kPc = off(offsetof(Cpu, pc));
inline const int32_t kNzcv = off(offsetof(Cpu, nzcv));
inline const int32_t kPending = off(offsetof(Cpu, pending));
inline const int32_t kIcount = off(offsetof(Cpu, icount));
inline const int32_t kExits = off(offsetof(Cpu, jit_exits));
inline const int32_t kExitMisses = off(offsetof(Cpu, jit_exit_misses));
inline const int32_t kIndirect = off(offsetof(Cpu, jit_indirect));
inline const int32_t kIndirectHits = off(offsetof(Cpu, jit_indirect_hits));
inline const int32_t kMemBase = off(offsetof(Cpu, mem_base));
inline const int32_t kMemSize = off(offsetof(Cpu, mem_size));
inline const int32_t kJitTlb = off(offsetof(Cpu, jit_tlb));

inline const x86::Gp kCpu = x86::rbx, kMem = x86::r12, kTable = x86::r13;

// Mask of the NZCV values (bits 3..0 = N Z C V) for which condition `cond` holds
// (arm64::condition_holds); translated code tests the right bit instead of branching.
constexpr uint16_t cond_mask(unsigned cond) {
  uint16_t m = 0;
  for (uint32_t f = 0; f < 16; ++f)
    if (arm64::condition_holds(f << 28, cond)) m |= uint16_t(1u << f);
  return m;
}

class Emitter {
 public:
  struct Site {
    Label label;
    uint64_t target;
  };
  struct Abort {
    Label label;
    x86::Gp addr;
    bool write;
    uint64_t pc;
  };
  struct Slow {
    Label label, back;
    uint64_t pc, fn;
    uint32_t insn;
  };
  struct Lazy {
    Label label, back;
    bool store;
  };
  // System mode: the out-of-line TLB-miss path of a guest access (Stubs::sys_*).
  enum class SysKind : uint8_t { Load, Store, VStore, Check };
  struct SysSlow {
    Label label, back;
    uint64_t pc;
    SysKind kind;
    uint32_t bytes;   // Check: bytes | write << 8
    x86::Gp addr;     // the guest address (rax or the temp's register) at the jump
    Temp addr_temp;   // ... and its temp (a Load reloads rax from it)
    Temp value;       // Store: the value
    uint32_t vreg;    // VStore: the register
  };
  // ExitIf: its stub stores the SetRegs pending at the branch, then leaves like any exit.
  struct SideExit {
    Site site;
    uint32_t mask;
    std::array<Temp, 32> temps;
    Temp nzcv;
  };
  // The emitter's tables, kept per thread so that emitting a block allocates nothing once
  // they have grown.
  struct Scratch {
    std::vector<std::optional<uint64_t>> konst;
    std::vector<int8_t> reg;
    std::vector<int32_t> def;
    std::vector<uint8_t> fused, elided;
    std::vector<Site> sites;
    std::vector<PcSite> pc_sites;
    std::vector<Abort> aborts;
    std::vector<Slow> slow;
    std::vector<Lazy> lazy;
    std::vector<SideExit> side_exits;
    std::vector<SysSlow> sys_slow;
  };
  static Scratch& scratch() {
    thread_local Scratch s;
    return s;
  }

  Emitter(const ir::Block& b, x86::Assembler& a, const Stubs& stubs, const EmitOptions& opts)
      : b_(b), a_(a), stubs_(stubs), log_stores_(opts.log_stores),
        count_insns_(opts.count_insns), system_(opts.system) {
    konst_.assign(b.ntemps, std::nullopt);
    sites.clear();
    pc_sites.clear();
    aborts_.clear();
    slow_.clear();
    lazy_.clear();
    side_exits_.clear();
    sys_slow_.clear();
  }

  bool run(std::string* error);
  std::vector<Site>& sites = scratch().sites;
  std::vector<PcSite>& pc_sites = scratch().pc_sites;

 private:
  x86::Mem slot(Temp t) { return x86::qword_ptr(x86::rsp, kTempBase + 8 * int32_t(t)); }
  static x86::Gp R(unsigned w, const x86::Gp& r) {
    if (w == 64) return r.r64();
    return r.r32();
  }

  // Host register holding temp t (allocate_registers), if any.
  std::optional<x86::Gp> reg(Temp t) const {
    if (reg_[t] < 0) return std::nullopt;
    return x86::gpq(uint32_t(reg_[t]));
  }
  // Temp t into register r; with keep_flags, never by XOR (the host flags are live).
  void load(const x86::Gp& r, Temp t, bool keep_flags = false) {
    if (konst_[t]) {
      if (*konst_[t] == 0 && !keep_flags) a_.xor_(r.r32(), r.r32());
      else a_.mov(r.r64(), *konst_[t]);
    } else if (auto h = reg(t)) {
      if (h->id() != r.id()) a_.mov(r.r64(), *h);
    } else {
      a_.mov(r.r64(), slot(t));
    }
  }
  void save(Temp t, const x86::Gp& r) {
    if (auto h = reg(t)) {
      if (h->id() != r.id()) a_.mov(*h, r.r64());
    } else {
      a_.mov(slot(t), r.r64());
    }
  }
  // The register to compute temp t in: its own, or rax (then save() stores it to its slot).
  x86::Gp out(Temp t) const { return reg(t).value_or(x86::rax); }
  // Temp t in a register: its own, or loaded into `scratch`.
  x86::Gp in(Temp t, const x86::Gp& scratch) {
    if (auto h = reg(t); h && !konst_[t]) return *h;
    load(scratch, t);
    return scratch;
  }
  // Temp t as the second operand of a width-w ALU instruction: its register or stack slot (the
  // caller has handled constants).
  x86::Gp reg_operand(Temp t, unsigned w) { return R(w, *reg(t)); }
  x86::Mem mem_operand(Temp t, unsigned w) {
    return w == 64 ? slot(t) : x86::dword_ptr(x86::rsp, kTempBase + 8 * int32_t(t));
  }
  void allocate_registers();
  std::optional<x86::CondCode> host_cond(const Inst& holds) const;
  void compare(const Inst& flags);
  // Is `t` a constant that fits an imm32 operand of a width-w instruction?
  std::optional<int32_t> imm32(Temp t, unsigned w) {
    if (!konst_[t]) return std::nullopt;
    const uint64_t v = w == 64 ? *konst_[t] : uint64_t(int64_t(int32_t(uint32_t(*konst_[t]))));
    if (int64_t(v) != int64_t(int32_t(v))) return std::nullopt;
    return int32_t(v);
  }
  // A block never crosses a 4 KiB page, so after its first full store of cpu.pc the upper half
  // is right and later stores write the low 32 bits only (one instruction, no scratch register).
  void store_pc() {
    if (pc_stored_) return;
    if (pc_high_stored_) {
      a_.mov(x86::dword_ptr(kCpu, kPc), uint32_t(pc_));
    } else if (pc_ < 0x80000000u) {
      a_.mov(x86::qword_ptr(kCpu, kPc), int32_t(pc_));
      pc_high_stored_ = true;
    } else {
      a_.mov(x86::rax, pc_);
      a_.mov(x86::qword_ptr(kCpu, kPc), x86::rax);
      pc_high_stored_ = true;
    }
    pc_stored_ = true;
  }
  // Before the fast path of a guest-memory access: notes where this instruction's host code is
  // (Emitted::pc_sites), which is how a host fault finds the guest pc; cpu.pc is not stored.
  // The bounds-check failure path stores it (Abort); under --check a logged store calls C++
  // code that reads guest memory, so cpu.pc is stored as well.
  void mark_access() {
    if (log_stores_) store_pc();
    if (pc_marked_) return;
    pc_sites.push_back({uint32_t(a_.offset()), pc_});
    pc_marked_ = true;
  }
  // Is an access of n bytes at temp `addr` inside the range a CheckRange of this instruction
  // has checked (a pair's first or second half)? Then it needs no bounds check of its own.
  bool in_checked_range(Temp addr, unsigned n) const {
    if (checked_base_ == ir::kNoTemp) return false;
    uint64_t off = 0;
    if (addr != checked_base_) {
      if (def_[addr] < 0) return false;
      const Inst& d = b_.insts[size_t(def_[addr])];
      if (d.op != Opcode::Add || d.width != 64 || d.a[0] != checked_base_ || !konst_[d.a[1]])
        return false;
      off = *konst_[d.a[1]];
    }
    return off < checked_bytes_ && n <= checked_bytes_ - off;
  }
  // Bounds check of an access of n bytes at the guest address in `addr`; leaves through
  // data_abort.
  void check(const x86::Gp& addr, unsigned n, bool write) {
    const int32_t k = __builtin_ctz(n);
    Label fail = a_.newLabel();
    a_.cmp(addr, x86::qword_ptr(x86::rsp, 8 * k));
    a_.ja(fail);
    aborts_.push_back({fail, addr, write, pc_});
  }
  // Out of line: NZCV read from the Cpu in lazy form -> packed form in eax (and, with `store`,
  // back in the Cpu), then on at `back`.
  Label lazy_nzcv(Label back, bool store) {
    Label l = a_.newLabel();
    lazy_.push_back({l, back, store});
    return l;
  }
  // Where guest state must be exact in the Cpu: an instruction that may fault, calls out or
  // leaves. A side exit (ExitIf) stores what it needs itself.
  static bool observes_state(const Inst& i) {
    return ir::has(i.op, ir::opflag::X | ir::opflag::T | ir::opflag::M | ir::opflag::W) &&
           i.op != Opcode::InsnStart && i.op != Opcode::ExitIf;
  }
  void store_reg(unsigned r, Temp t) {
    if (auto k = imm32(t, 64)) a_.mov(x86::qword_ptr(kCpu, kX + 8 * int32_t(r)), *k);
    else a_.mov(x86::qword_ptr(kCpu, kX + 8 * int32_t(r)), in(t, x86::rax));
  }
  // NZCV = temp t in the Cpu. A flag op's value that was never packed (elided) is stored in
  // the lazy form: the host flags of the compare, as LAHF and SETO leave them in ax (CF made
  // Arm's C), one 16-bit store; bit 9 (EFLAGS bit 1, always set) tells it from the packed
  // form. Readers convert (lazy_nzcv, normalize_nzcv).
  void store_nzcv(Temp t) {
    if (elided_[t]) {
      const Inst& flags = b_.insts[size_t(def_[t])];
      compare(flags);
      if (flags.op == Opcode::FlagsSub) a_.cmc();  // Arm C is NOT borrow
      a_.lahf();
      a_.seto(x86::al);
      a_.mov(x86::word_ptr(kCpu, kNzcv), x86::ax);
    } else if (auto k = imm32(t, 32)) {
      a_.mov(x86::dword_ptr(kCpu, kNzcv), *k);
    } else {
      a_.mov(x86::dword_ptr(kCpu, kNzcv), in(t, x86::rax).r32());
    }
  }
  void store_pending() {
    if (pending_nzcv_ != ir::kNoTemp) {
      store_nzcv(pending_nzcv_);
      pending_nzcv_ = ir::kNoTemp;
    }
    for (unsigned r = 0; pending_mask_; ++r)
      if (pending_mask_ & (1u << r)) {
        store_reg(r, pending_[r]);
        pending_mask_ &= ~(1u << r);
      }
  }
  // The host memory operand of a guest access of `size` bytes at `addr` (+ disp): in the
  // arena, or in system mode relative to what tlb_probe left in rdx.
  x86::Mem guest_mem(const x86::Gp& addr, unsigned size, int32_t disp = 0) const {
    x86::Mem m = x86::ptr(system_ ? x86::rdx : kMem, addr, 0, disp);
    m.setSize(size);
    return m;
  }
  // The checked guest address of a Store/VStore of `bytes` bytes at i.a[0] (the pc stored, and
  // under --check the store logged first). In system mode the TLB probe: `*after` is to be
  // bound after the store (where its slow path comes back).
  x86::Gp store_address(const Inst& i, unsigned bytes, Label* after) {
    if (system_) {
      const x86::Gp addr = in(i.a[0], x86::rax);
      const Label miss = tlb_probe(addr, bytes, true);
      *after = a_.newLabel();
      if (i.op == Opcode::Store) sys_slow(miss, *after, SysKind::Store, bytes, addr, i.a[0], i.a[1]);
      else sys_slow(miss, *after, SysKind::VStore, bytes, addr, i.a[0], ir::kNoTemp, i.aux);
      return addr;
    }
    mark_access();
    x86::Gp addr = in(i.a[0], x86::rax);
    if (!in_checked_range(i.a[0], bytes)) check(addr, bytes, true);
    if (log_stores_) {
      a_.mov(x86::rsi, addr);
      a_.mov(x86::rdi, kCpu);
      a_.mov(x86::edx, i.width);
      a_.mov(x86::rax, reinterpret_cast<uint64_t>(stubs_.log_store));
      a_.call(x86::rax);
      addr = in(i.a[0], x86::rax);
    }
    return addr;
  }
  // System mode: probes the fast TLB for an access of n bytes at guest address `addr` (not
  // rcx/rdx); on a hit rdx = its host address - addr (the access is at [rdx + addr]), else a
  // jump to a SysSlow that the caller registers with the returned label (sys_slow()).
  Label tlb_probe(const x86::Gp& addr, unsigned n, bool write) {
    Label miss = a_.newLabel();
    if (n > 1) a_.lea(x86::rcx, x86::ptr(addr, int32_t(n - 1)));
    else a_.mov(x86::rcx, addr);
    a_.and_(x86::rcx, -4096);
    a_.mov(x86::rdx, addr);
    a_.shr(x86::rdx, 12 - 5);
    a_.and_(x86::edx, ((1u << kSysTlbBits) - 1) * uint32_t(kSysTlbEntryBytes));
    a_.cmp(x86::rcx, x86::qword_ptr(kMem, x86::rdx, 0, write ? 8 : 0));
    a_.jne(miss);
    a_.mov(x86::rdx, x86::qword_ptr(kMem, x86::rdx, 0, 16));
    return miss;
  }
  void sys_slow(Label miss, Label back, SysKind kind, uint32_t bytes, const x86::Gp& addr,
                Temp addr_temp, Temp value = ir::kNoTemp, uint32_t vreg = 0) {
    sys_slow_.push_back({miss, back, pc_, kind, bytes, addr, addr_temp, value, vreg});
  }
  void emit_sys_slow(const SysSlow& sl);
  void fp_op(const Inst& i);
  void vec_op(const Inst& i);
  void vec_dup(const Inst& i);
  void fp_cmp(const Inst& i);
  void rbit(const Inst& i);
  // An out-of-line call of interpreter handler `fn` on `insn` that keeps every temp register
  // (the caller-saved ones are pushed around it); returns to `back`.
  Label slow_call(uint64_t fn, uint64_t insn, Label back) {
    Label l = a_.newLabel();
    slow_.push_back({l, back, pc_, fn, uint32_t(insn)});
    return l;
  }
  void binary(const Inst& i);
  void shift(const Inst& i);
  void flags_pack(bool sub);
  void carry_op(const Inst& i);
  void divide(const Inst& i);
  void link_exit(uint64_t target);
  void emit(const Inst& i);

  const ir::Block& b_;
  x86::Assembler& a_;
  const Stubs& stubs_;
  bool log_stores_;
  bool count_insns_;
  bool system_;
  std::vector<std::optional<uint64_t>>& konst_ = scratch().konst;
  std::vector<int8_t>& reg_ = scratch().reg;     // host register id of each temp, -1 = slot
  std::vector<int32_t>& def_ = scratch().def;    // index of the instruction defining each temp
  std::vector<uint8_t>& fused_ = scratch().fused;   // CondHolds emitted in their ExitCond/Select
  std::vector<uint8_t>& elided_ = scratch().elided; // flag temps never packed (host conditions)
  uint64_t pc_ = 0;
  bool pc_stored_ = false;
  bool pc_high_stored_ = false;
  bool pc_marked_ = false;  // this instruction's pc is in pc_sites
  Temp checked_base_ = ir::kNoTemp;  // CheckRange of this instruction: [base, base + bytes)
  unsigned checked_bytes_ = 0;
  std::vector<Abort>& aborts_ = scratch().aborts;
  std::vector<Slow>& slow_ = scratch().slow;
  std::vector<Lazy>& lazy_ = scratch().lazy;
  std::vector<SideExit>& side_exits_ = scratch().side_exits;
  std::vector<SysSlow>& sys_slow_ = scratch().sys_slow;
  // SetRegs not stored yet (emit SetReg), by guest register.
  std::array<Temp, 32> pending_{};
  uint32_t pending_mask_ = 0;
  Temp pending_nzcv_ = ir::kNoTemp;  // SetNZCV not stored yet
};

}  // namespace xvm::jit::x64::emit
