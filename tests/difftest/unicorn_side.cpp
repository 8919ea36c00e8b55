// Unicorn's side: one uc_engine per CPU model, reset to a saved context before every run so
// that nothing (exclusive monitor, PSTATE changed by an MSR, TLB) leaks from one test into
// the next.
#include <unicorn/unicorn.h>

#include <cstdio>
#include <cstdlib>

#include "sides.h"

namespace xvm::difftest {
namespace {

// QEMU's exception numbers (target/arm/cpu.h EXCP_*), as Unicorn's UC_HOOK_INTR reports them.
constexpr uint32_t kExcpUdef = 1, kExcpSwi = 2, kExcpDataAbort = 4, kExcpBkpt = 7;

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK) {
    std::fprintf(stderr, "xvm-difftest: unicorn %s: %s\n", what, uc_strerror(e));
    std::exit(2);
  }
}

}  // namespace

// Unicorn resets the CPU to EL1h. xvm models a Linux user process, i.e. EL0, so the CPU is
// configured the way Linux configures EL1 for its processes and then drops to EL0 with an
// ERET executed by Unicorn itself: writing PSTATE through the API would not re-derive QEMU's
// cached translation flags (hflags) in Unicorn 2.0.1, and an MRS of an EL1 register would
// still succeed; an exception return rebuilds them. The context saved afterwards is at EL0.
void UnicornSide::enter_el0() {
  // CPACR_EL1.FPEN = 0b11: FP/AdvSIMD not trapped at EL0 (Arm ARM D17.2.30).
  uint64_t cpacr = uint64_t{3} << 20;
  check(uc_reg_write(uc_, UC_ARM64_REG_CPACR_EL1, &cpacr), "write CPACR_EL1");
  // SCTLR_EL1 (Arm ARM D17.2.118) as Linux sets it for EL0: UCI (26, cache maintenance by VA),
  // nTWE (18) and nTWI (16, WFE/WFI not trapped), UCT (15, CTR_EL0 readable), DZE (14, DC
  // ZVA allowed). The MMU stays off: Unicorn's own memory map provides the address space.
  uc_arm64_cp_reg sctlr{/*crn=*/1, /*crm=*/0, /*op0=*/3, /*op1=*/0, /*op2=*/0, /*val=*/0};
  check(uc_reg_read(uc_, UC_ARM64_REG_CP_REG, &sctlr), "read SCTLR_EL1");
  sctlr.val |= (1u << 26) | (1u << 18) | (1u << 16) | (1u << 15) | (1u << 14);
  check(uc_reg_write(uc_, UC_ARM64_REG_CP_REG, &sctlr), "write SCTLR_EL1");
  // SPSR_EL1 = EL0t with DAIF clear, ELR_EL1 = the code page; then ERET.
  uc_arm64_cp_reg spsr{/*crn=*/4, /*crm=*/0, /*op0=*/3, /*op1=*/0, /*op2=*/0, /*val=*/0};
  check(uc_reg_write(uc_, UC_ARM64_REG_CP_REG, &spsr), "write SPSR_EL1");
  uint64_t elr = kCodePage;
  check(uc_reg_write(uc_, UC_ARM64_REG_ELR_EL1, &elr), "write ELR_EL1");
  const uint32_t eret = 0xd69f03e0;
  check(uc_mem_write(uc_, kCodePage, &eret, 4), "write ERET");
  check(uc_emu_start(uc_, kCodePage, kCodePage + 4, 0, 1), "ERET to EL0");
  uint64_t pstate = ~uint64_t{0};
  check(uc_reg_read(uc_, UC_ARM64_REG_PSTATE, &pstate), "read PSTATE");
  if ((pstate & 0xf) != 0) {  // M[3:0] = EL0t
    std::fprintf(stderr, "xvm-difftest: unicorn did not enter EL0 (PSTATE %#llx)\n",
                 static_cast<unsigned long long>(pstate));
    std::exit(2);
  }
}

void UnicornSide::on_interrupt(uc_struct* uc, uint32_t intno, void* self) {
  auto* me = static_cast<UnicornSide*>(self);
  me->interrupted_ = true;
  me->intno_ = intno;
  uc_emu_stop(uc);
}

UnicornSide::UnicornSide(UcModel model) : model_(model) {
  open();
}

void UnicornSide::open() {
  check(uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc_), "open");
  check(uc_ctl_set_cpu_model(uc_, model_ == UcModel::Max ? UC_CPU_ARM64_MAX : UC_CPU_ARM64_A57),
        "cpu model");
  check(uc_mem_map(uc_, kCodePage, kPageSize, UC_PROT_READ | UC_PROT_EXEC), "map code");
  check(uc_mem_map(uc_, kWindow, kWindowSize, UC_PROT_READ | UC_PROT_WRITE), "map window");
  uc_hook h;
  check(uc_hook_add(uc_, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&on_interrupt), this, 1, 0),
        "hook");
  enter_el0();
  check(uc_context_alloc(uc_, &ctx_), "context alloc");
  check(uc_context_save(uc_, ctx_), "context save");
}

UnicornSide::~UnicornSide() {
  close();
}

void UnicornSide::close() {
  if (ctx_) uc_context_free(ctx_);
  if (uc_) uc_close(uc_);
  ctx_ = nullptr;
  uc_ = nullptr;
}

Result UnicornSide::run(const State& in) {
  // Unicorn 2.0.1 keeps about 400 bytes per retranslated block until uc_close (measured: a
  // loop of uc_mem_write + uc_ctl_remove_cache + uc_emu_start grows ~400 B per iteration; a
  // new instance starts from scratch), and every case retranslates. A long run grew to
  // gigabytes and then crashed inside Unicorn, so the instance is replaced periodically.
  if (++runs_ % kRunsPerInstance == 0) {
    close();
    open();
  }
  check(uc_context_restore(uc_, ctx_), "context restore");
  check(uc_mem_write(uc_, kCodePage, in.code.data(), kPageSize), "write code");
  check(uc_mem_write(uc_, kWindow, in.mem.data(), kWindowSize), "write window");
  // The code page changed behind the translator's back: drop translated blocks of it.
  uc_ctl_remove_cache(uc_, kCodePage, kCodePage + kPageSize);

  for (int i = 0; i < 29; ++i) uc_reg_write(uc_, UC_ARM64_REG_X0 + i, &in.x[i]);
  uc_reg_write(uc_, UC_ARM64_REG_X29, &in.x[29]);
  uc_reg_write(uc_, UC_ARM64_REG_X30, &in.x[30]);
  uc_reg_write(uc_, UC_ARM64_REG_SP, &in.sp);
  uc_reg_write(uc_, UC_ARM64_REG_PC, &in.pc);
  uint64_t v64 = in.nzcv;
  uc_reg_write(uc_, UC_ARM64_REG_NZCV, &v64);
  v64 = in.fpcr;
  uc_reg_write(uc_, UC_ARM64_REG_FPCR, &v64);
  v64 = in.fpsr;
  uc_reg_write(uc_, UC_ARM64_REG_FPSR, &v64);
  uc_reg_write(uc_, UC_ARM64_REG_TPIDR_EL0, &in.tpidr_el0);
  uc_reg_write(uc_, UC_ARM64_REG_TPIDRRO_EL0, &in.tpidrro_el0);
  for (int i = 0; i < 32; ++i) uc_reg_write(uc_, UC_ARM64_REG_Q0 + i, in.v[i]);

  interrupted_ = false;
  intno_ = 0;
  const uint64_t last_pc = in.pc + 4 * (in.steps - 1);  // the instruction under test
  const uc_err err = uc_emu_start(uc_, in.pc, last_pc + 4, 0, in.steps);

  Result r;
  State& s = r.state;
  for (int i = 0; i < 29; ++i) uc_reg_read(uc_, UC_ARM64_REG_X0 + i, &s.x[i]);
  uc_reg_read(uc_, UC_ARM64_REG_X29, &s.x[29]);
  uc_reg_read(uc_, UC_ARM64_REG_X30, &s.x[30]);
  uc_reg_read(uc_, UC_ARM64_REG_SP, &s.sp);
  uc_reg_read(uc_, UC_ARM64_REG_PC, &s.pc);
  v64 = 0;
  uc_reg_read(uc_, UC_ARM64_REG_NZCV, &v64);
  s.nzcv = static_cast<uint32_t>(v64);
  v64 = 0;
  uc_reg_read(uc_, UC_ARM64_REG_FPCR, &v64);
  s.fpcr = static_cast<uint32_t>(v64);
  v64 = 0;
  uc_reg_read(uc_, UC_ARM64_REG_FPSR, &v64);
  s.fpsr = static_cast<uint32_t>(v64);
  uc_reg_read(uc_, UC_ARM64_REG_TPIDR_EL0, &s.tpidr_el0);
  uc_reg_read(uc_, UC_ARM64_REG_TPIDRRO_EL0, &s.tpidrro_el0);
  for (int i = 0; i < 32; ++i) uc_reg_read(uc_, UC_ARM64_REG_Q0 + i, s.v[i]);
  s.mem.resize(kWindowSize);
  uc_mem_read(uc_, kWindow, s.mem.data(), kWindowSize);

  char buf[96];
  if (interrupted_) {
    std::snprintf(buf, sizeof buf, "interrupt %u", intno_);
    r.detail = buf;
    switch (intno_) {
      case kExcpUdef:
        r.outcome = Outcome::Undefined;
        break;
      case kExcpSwi:
        r.outcome = Outcome::Syscall;
        break;
      case kExcpBkpt:
        r.outcome = Outcome::Breakpoint;
        break;
      // Translation and permission faults come back as UC_ERR_*_UNMAPPED/_PROT; what reaches
      // the hook as a data abort is an alignment fault (exclusives, atomics, acquire/release).
      case kExcpDataAbort:
        r.outcome = Outcome::Alignment;
        break;
      default:
        r.outcome = Outcome::Other;
        break;
    }
    return r;
  }
  std::snprintf(buf, sizeof buf, "%s", uc_strerror(err));
  switch (err) {
    case UC_ERR_OK:
      r.outcome = Outcome::Ok;
      break;
    case UC_ERR_INSN_INVALID:
      r.outcome = Outcome::Undefined;
      r.detail = buf;
      break;
    case UC_ERR_FETCH_UNMAPPED:
    case UC_ERR_FETCH_PROT:
      // A fetch fault at a new pc belongs to the *next* instruction (a taken branch to an
      // unmapped target): the one under test completed.
      r.outcome = s.pc != in.pc && s.pc != last_pc ? Outcome::Ok : Outcome::Other;
      if (r.outcome != Outcome::Ok) r.detail = buf;
      break;
    case UC_ERR_READ_UNMAPPED:
    case UC_ERR_WRITE_UNMAPPED:
    case UC_ERR_READ_PROT:
    case UC_ERR_WRITE_PROT:
      r.outcome = Outcome::DataAbort;
      r.detail = buf;
      break;
    case UC_ERR_READ_UNALIGNED:
    case UC_ERR_WRITE_UNALIGNED:
      r.outcome = Outcome::Alignment;
      r.detail = buf;
      break;
    default:
      r.outcome = Outcome::Other;
      r.detail = buf;
      break;
  }
  return r;
}

}  // namespace xvm::difftest
