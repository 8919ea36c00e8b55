// Unicorn's side of the system-level difftest.
//
// Unicorn 2.0.1 does not deliver synchronous exceptions to the guest: where QEMU's cpu loop
// calls the CPU's do_interrupt (the architectural exception entry: ESR, FAR, ELR, SPSR, PSTATE,
// the vector), Unicorn calls the UC_HOOK_INTR hooks instead (qemu/accel/tcg/cpu-exec.c,
// cpu_handle_exception) and leaves the exception pending in env->exception. Its library
// exports QEMU's entry routine (arm_cpu_do_interrupt_aarch64, QEMU's arm_cpu_do_interrupt),
// so the hook below calls it: the exception is then taken exactly as QEMU 5.0 takes it, and
// the run stops at the vector for the comparison. The CPUState it needs is found once per
// engine by looking for the register file in the objects the uc_struct points at (find_cpu).
#include <sys/uio.h>
#include <unistd.h>
#include <unicorn/unicorn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sys_sides.h"

extern "C" void arm_cpu_do_interrupt_aarch64(void* cs);  // libunicorn, QEMU target/arm/helper.c

namespace xvm::difftest::sys {
namespace {

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK) {
    std::fprintf(stderr, "xvm-sys-difftest: unicorn %s: %s\n", what, uc_strerror(e));
    std::exit(2);
  }
}

// Reads this process's memory without faulting on unmapped addresses (a short count instead).
size_t safe_read(uint64_t addr, void* dst, size_t n) {
  iovec local{dst, n};
  iovec remote{reinterpret_cast<void*>(addr), n};
  const ssize_t r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
  return r < 0 ? 0 : size_t(r);
}

void cp_write(uc_engine* uc, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
              unsigned op2, uint64_t v, const char* what) {
  uc_arm64_cp_reg r{crn, crm, op0, op1, op2, v};
  check(uc_reg_write(uc, UC_ARM64_REG_CP_REG, &r), what);
}
uint64_t cp_read(uc_engine* uc, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
                 unsigned op2) {
  uc_arm64_cp_reg r{crn, crm, op0, op1, op2, 0};
  check(uc_reg_read(uc, UC_ARM64_REG_CP_REG, &r), "read system register");
  return r.val;
}

constexpr uint64_t kMagic[4] = {0x5a17'c0de'0000'1111, 0x5a17'c0de'2222'3333,
                                0x5a17'c0de'4444'5555, 0x5a17'c0de'6666'7777};
constexpr uint64_t kRunsPerEngine = 2000;  // Unicorn keeps retranslated blocks (unicorn_side.cpp)

}  // namespace

UnicornSys::UnicornSys() {
  open();
}
UnicornSys::~UnicornSys() {
  close();
}

void UnicornSys::close() {
  if (ctx_) uc_context_free(ctx_);
  if (uc_) uc_close(uc_);
  ctx_ = nullptr;
  uc_ = nullptr;
}

// Where uc_struct keeps its CPU (Unicorn 2.0.1 include/uc_priv.h): arch, mode, errnum (3 x 4
// bytes, padded to 16), two AddressSpaces (qemu/include/exec/memory.h: root, current_map, a
// QTAILQ head and entry, uc: 56 bytes each), 32 function pointers, then `CPUState *cpu`.
constexpr uint64_t kUcAddressSpaceUc = 16 + 48;  // address_space_memory.uc == uc itself
constexpr uint64_t kUcCpu = 16 + 2 * 56 + 32 * 8;

// The layout is checked before it is trusted: address_space_memory.uc must point back at the
// engine, the CPU object must hold the X registers just written (CPUARMState starts with
// uint32_t regs[16] and then X0..X30), and its CPUState's env_ptr (qemu/include/hw/core/cpu.h) must point at them.
void UnicornSys::find_cpu() {
  for (int i = 0; i < 4; ++i) check(uc_reg_write(uc_, UC_ARM64_REG_X0 + i, &kMagic[i]), "X");
  const uint64_t base = reinterpret_cast<uint64_t>(uc_);
  uint64_t back = 0, p = 0;
  std::vector<uint64_t> obj(128 * 1024 / 8);
  size_t got = 0;
  if (safe_read(base + kUcAddressSpaceUc, &back, 8) == 8 && back == base &&
      safe_read(base + kUcCpu, &p, 8) == 8 && p != 0 && (p & 7) == 0)
    got = safe_read(p, obj.data(), obj.size() * 8) / 8;
  for (size_t w = 64; w + 4 <= got && !cpu_; ++w) {
    if (std::memcmp(&obj[w], kMagic, sizeof kMagic) != 0) continue;
    for (size_t k = 0; k < w; ++k)
      if (obj[k] == p + 8 * w - 64) cpu_ = reinterpret_cast<void*>(p);  // regs[16] first
    break;
  }
  if (!cpu_) {
    std::fprintf(stderr, "xvm-sys-difftest: Unicorn's uc_struct is not laid out as in 2.0.1\n");
    std::exit(2);
  }
}

void UnicornSys::open() {
  check(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc_), "open");
  check(uc_ctl_set_cpu_model(uc_, UC_CPU_ARM64_A57), "cpu model");
  check(uc_mem_map(uc_, kRamBase, kRamSize, UC_PROT_ALL), "map RAM");
  // Unicorn 2.0.1 looks every access up in its memory map by *virtual* address before the
  // MMU translates it (qemu/accel/tcg/cputlb.c load_helper/store_helper: memory_mapping(uc,
  // addr) on the VA; an address outside the map ends the run with UC_ERR_*_UNMAPPED instead
  // of a guest abort). So placeholder regions cover the virtual ranges the generator points
  // at; they are never reached physically (no descriptor points at them). A case whose access
  // falls outside them is skipped (run.end = Skipped).
  static constexpr uint64_t kVaRanges[][2] = {
      {0x0, 0x20000},                                 // null, code, data, table window
      {0x1ff000, 0x403000},                           // the 2 MiB block and the hole after
      {0x3fff'f000, 0x4000'0000},                     // below the alias (inside RAM)
      {0x7f'ffff'f000, 0x80'0000'2000},               // the top of the TTBR0 range
      {0xffff'ff7f'ffff'e000, 0xffff'ff80'0000'6000},  // the TTBR1 pages and below
      {0x007f'ffff'ffff'f000, 0x0080'0000'0000'2000},  // bit 55 only
      {0xffff'ffff'ffff'e000, 0xffff'ffff'ffff'f000},  // small negative numbers
  };
  for (const auto& r : kVaRanges)
    check(uc_mem_map(uc_, r[0], r[1] - r[0], UC_PROT_ALL), "map VA placeholder");
  uc_hook h;
  check(uc_hook_add(uc_, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&on_interrupt), this, 1, 0),
        "hook");
  // The A57 model has EL2 and EL3, which xvm's CPU does not. EL1 is AArch64 only if
  // SCR_EL3.RW (bit 10) and HCR_EL2.RW (bit 31) say so (Arm ARM D1.?, "Execution state");
  // SCR_EL3.NS (bit 0): Non-secure, as a kernel under firmware runs. HCR_EL2 traps nothing
  // else; SCR_EL3.HCE = 0 makes HVC UNDEFINED, SMC is never generated.
  cp_write(uc_, 3, 6, 1, 1, 0, (1u << 10) | 1u, "SCR_EL3");
  cp_write(uc_, 3, 4, 1, 1, 0, uint64_t{1} << 31, "HCR_EL2");
  cpu_ = nullptr;
  find_cpu();
  check(uc_context_alloc(uc_, &ctx_), "context alloc");
  check(uc_context_save(uc_, ctx_), "context save");
}

void UnicornSys::on_interrupt(uc_struct* uc, uint32_t intno, void* self) {
  auto* me = static_cast<UnicornSys*>(self);
  me->interrupted_ = true;
  me->intno_ = intno;
  arm_cpu_do_interrupt_aarch64(me->cpu_);  // what QEMU's cpu loop would have done
  uc_emu_stop(uc);
}

SysSnap UnicornSys::snapshot() {
  SysSnap n;
  for (int i = 0; i < 29; ++i) uc_reg_read(uc_, UC_ARM64_REG_X0 + i, &n.x[i]);
  uc_reg_read(uc_, UC_ARM64_REG_X29, &n.x[29]);
  uc_reg_read(uc_, UC_ARM64_REG_X30, &n.x[30]);
  uint32_t pstate = 0;
  uc_reg_read(uc_, UC_ARM64_REG_PSTATE, &pstate);
  n.el = (pstate >> 2) & 3;
  n.sp_sel = n.el != 0 && (pstate & 1);
  n.daif = pstate & 0x3c0;
  n.il = (pstate >> 20) & 1;
  n.nzcv = pstate & 0xf000'0000u;
  uint64_t sp = 0, sp0 = 0, sp1 = 0;
  uc_reg_read(uc_, UC_ARM64_REG_SP, &sp);  // the live one; the SP_ELx fields hold the other
  uc_reg_read(uc_, UC_ARM64_REG_SP_EL0, &sp0);
  uc_reg_read(uc_, UC_ARM64_REG_SP_EL1, &sp1);
  const bool el1_sp = n.el == 1 && n.sp_sel;
  n.sp_el0 = el1_sp ? sp0 : sp;
  n.sp_el1 = el1_sp ? sp : sp1;
  uc_reg_read(uc_, UC_ARM64_REG_PC, &n.pc);
  uc_reg_read(uc_, UC_ARM64_REG_ELR_EL1, &n.elr);
  n.spsr = cp_read(uc_, 3, 0, 4, 0, 0);
  uc_reg_read(uc_, UC_ARM64_REG_ESR_EL1, &n.esr);
  uc_reg_read(uc_, UC_ARM64_REG_FAR_EL1, &n.far);
  uc_reg_read(uc_, UC_ARM64_REG_PAR_EL1, &n.par);
  uc_reg_read(uc_, UC_ARM64_REG_TPIDR_EL1, &n.tpidr_el1);
  uc_reg_read(uc_, UC_ARM64_REG_Q0, n.v0);
  return n;
}

SysRun UnicornSys::run(const SysCase& c) {
  if (++runs_ % kRunsPerEngine == 0) {
    close();
    open();
  }
  SysRun run;
  check(uc_context_restore(uc_, ctx_), "context restore");  // EL1h, consistent hflags
  for (const auto& r : kLiveRanges)
    check(uc_mem_write(uc_, kRamBase + r[0], c.ram.data() + r[0], r[1] - r[0]), "write RAM");
  // Drop the translated blocks of the code page (the only code that changes). The MMU is off
  // after the context restore, so the range is the physical page. (A full flush,
  // uc_ctl_flush_tlb, resets the whole code buffer and took 90% of the run time.)
  check(uc_ctl_remove_cache(uc_, kRamBase + kCodePage, kRamBase + kCodePage + kPageSize),
        "remove cached blocks");
  // SCTLR_EL1 last: its write function flushes QEMU's TLB (the reset value has M = 0).
  cp_write(uc_, 3, 0, 2, 0, 2, c.tcr, "TCR_EL1");
  cp_write(uc_, 3, 0, 2, 0, 0, c.ttbr0, "TTBR0_EL1");
  cp_write(uc_, 3, 0, 2, 0, 1, c.ttbr1, "TTBR1_EL1");
  cp_write(uc_, 3, 0, 10, 2, 0, c.mair, "MAIR_EL1");
  uint64_t v = kVbar;
  check(uc_reg_write(uc_, UC_ARM64_REG_VBAR_EL1, &v), "VBAR_EL1");
  uint32_t cpacr = uint32_t(c.cpacr);
  check(uc_reg_write(uc_, UC_ARM64_REG_CPACR_EL1, &cpacr), "CPACR_EL1");
  cp_write(uc_, 3, 0, 1, 0, 0, c.sctlr, "SCTLR_EL1");
  // Writing PSTATE through the API does not rebuild QEMU's cached translation flags in 2.0.1;
  // an exception return executed by Unicorn does (the boot stub: TLBI VMALLE1; DSB; ISB; ERET).
  cp_write(uc_, 3, 0, 4, 0, 0, c.boot_spsr(), "SPSR_EL1");
  v = kCodeVa;
  check(uc_reg_write(uc_, UC_ARM64_REG_ELR_EL1, &v), "ELR_EL1");
  interrupted_ = false;
  // The ERET lands on the NOP in slot 0 and Unicorn stops after it: with `until` equal to the
  // ERET's target, 2.0.1 took a spurious prefetch abort (translation fault, level 3) on the
  // first fetch of the code page, which a retry of the same ERET did not.
  uc_err err = uc_emu_start(uc_, kBootVa, kCodeVa + 4, 0, 0);
  uint64_t pc = 0;
  uc_reg_read(uc_, UC_ARM64_REG_PC, &pc);
  if (err != UC_ERR_OK || interrupted_ || pc != kCodeVa + 4) {
    run.end = RunEnd::Failed;
    char buf[200];
    uint32_t pstate = 0;
    uc_reg_read(uc_, UC_ARM64_REG_PSTATE, &pstate);
    std::snprintf(buf, sizeof buf, "boot stub: %s (intno %u pc %#llx pstate %#x esr %#llx elr %#llx sctlr %#llx tcr %#llx)",
                  uc_strerror(err), interrupted_ ? intno_ : 0, (unsigned long long)pc, pstate,
                  (unsigned long long)cp_read(uc_, 3, 0, 5, 2, 0),
                  (unsigned long long)cp_read(uc_, 3, 0, 4, 0, 1),
                  (unsigned long long)cp_read(uc_, 3, 0, 1, 0, 0),
                  (unsigned long long)cp_read(uc_, 3, 0, 2, 0, 2));
    run.detail = buf;
    return run;
  }
  for (int i = 0; i < 29; ++i) uc_reg_write(uc_, UC_ARM64_REG_X0 + i, &c.x[i]);
  uc_reg_write(uc_, UC_ARM64_REG_X29, &c.x[29]);
  uc_reg_write(uc_, UC_ARM64_REG_X30, &c.x[30]);
  const bool el1_sp = c.el == 1 && c.sp_sel;
  uc_reg_write(uc_, UC_ARM64_REG_SP, el1_sp ? &c.sp_el1 : &c.sp_el0);
  uc_reg_write(uc_, el1_sp ? UC_ARM64_REG_SP_EL0 : UC_ARM64_REG_SP_EL1,
               el1_sp ? &c.sp_el0 : &c.sp_el1);
  uc_reg_write(uc_, UC_ARM64_REG_ELR_EL1, &c.elr);
  cp_write(uc_, 3, 0, 4, 0, 0, c.spsr, "SPSR_EL1");
  uc_reg_write(uc_, UC_ARM64_REG_ESR_EL1, &c.esr);
  uc_reg_write(uc_, UC_ARM64_REG_FAR_EL1, &c.far);
  uc_reg_write(uc_, UC_ARM64_REG_PAR_EL1, &c.par);
  uc_reg_write(uc_, UC_ARM64_REG_TPIDR_EL1, &c.tpidr_el1);
  uc_reg_write(uc_, UC_ARM64_REG_Q0, c.v0);

  const uint64_t end = c.end_va();
  for (unsigned seg = 0; seg < kMaxSegments; ++seg) {
    interrupted_ = false;
    // A sequence that loops (an ERET back to an earlier slot) is cut after kMaxSteps
    // instructions, as on xvm's side; the timeout (1 s) is a last resort.
    err = uc_emu_start(uc_, pc, end, 1'000'000, kMaxSteps);
    uc_reg_read(uc_, UC_ARM64_REG_PC, &pc);
    if (interrupted_) {
      run.stops.push_back(snapshot());
      run.stops.back().exception = true;
      continue;
    }
    if (err == UC_ERR_OK && pc == end) {
      run.stops.push_back(snapshot());
      break;
    }
    if (err == UC_ERR_OK) {  // the instruction budget ran out
      run.end = RunEnd::Failed;
      run.detail = "budget";
      break;
    }
    const bool unmapped = err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED ||
                          err == UC_ERR_FETCH_UNMAPPED;
    run.end = unmapped ? RunEnd::Skipped : RunEnd::Failed;
    run.detail = std::string("unicorn: ") + uc_strerror(err);
    if (!unmapped) run.stops.push_back(snapshot());
    break;
  }
  run.ram.assign(kRamSize, 0);
  for (const auto& r : kLiveRanges) uc_mem_read(uc_, kRamBase + r[0], run.ram.data() + r[0], r[1] - r[0]);
  return run;
}

}  // namespace xvm::difftest::sys
