// xvm's side of the system-level difftest: the machine's vCPU loop (machine/arm64_virt
// machine.cpp) in miniature, one instruction per SystemInterpreter::run so that the end of the
// sequence is noticed exactly.
#include <cstring>

#include "arch/arm64/system/exception.h"
#include "arch/arm64/system/system.h"
#include "engine/system_interp.h"
#include "sys_sides.h"

namespace xvm::difftest::sys {
namespace {

namespace a64 = xvm::arm64;

class BufferBus final : public a64::sys::PhysBus {
 public:
  explicit BufferBus(std::vector<uint8_t>& ram) : ram_(ram) {}
  uint8_t* ram(uint64_t pa, uint64_t len) override {
    if (pa < kRamBase || len > kRamSize || pa - kRamBase > kRamSize - len) return nullptr;
    return ram_.data() + (pa - kRamBase);
  }
  bool mmio_read(uint64_t, unsigned, uint64_t*) override { return false; }
  bool mmio_write(uint64_t, unsigned, uint64_t) override { return false; }

 private:
  std::vector<uint8_t>& ram_;
};

SysSnap snap(const a64::Cpu& cpu, const a64::sys::SysState& s, bool exception) {
  SysSnap n;
  n.exception = exception;
  for (int i = 0; i < 31; ++i) n.x[i] = cpu.x[i];
  const bool el1_sp = s.el == 1 && s.sp_sel;
  n.sp_el0 = el1_sp ? s.sp_el0 : cpu.x[31];
  n.sp_el1 = el1_sp ? cpu.x[31] : s.sp_el1;
  n.pc = cpu.pc;
  n.nzcv = cpu.nzcv;
  n.el = s.el;
  n.sp_sel = s.sp_sel;
  n.il = s.il;
  n.daif = s.daif;
  n.elr = s.elr_el1;
  n.spsr = s.spsr_el1;
  n.esr = s.esr_el1;
  n.far = s.far_el1;
  n.par = s.par_el1;
  n.tpidr_el1 = s.tpidr_el1;
  std::memcpy(n.v0, &cpu.v[0], 16);
  return n;
}

}  // namespace

SysRun run_xvm(const SysCase& c) {
  static engine::SystemInterpreter interp;  // decodes by instruction word: nothing to reset
  SysRun run;
  run.ram = c.ram;
  BufferBus bus(run.ram);
  a64::sys::System sys(bus, 0);
  a64::sys::SysState& s = sys.state;
  s.el = c.el;
  s.sp_sel = c.sp_sel;
  s.daif = c.daif;
  s.sctlr_el1 = c.sctlr;
  s.tcr_el1 = c.tcr;
  s.mair_el1 = c.mair;
  s.ttbr0_el1 = c.ttbr0;
  s.ttbr1_el1 = c.ttbr1;
  s.cpacr_el1 = c.cpacr;
  s.vbar_el1 = kVbar;
  s.elr_el1 = c.elr;
  s.spsr_el1 = c.spsr;
  s.esr_el1 = c.esr;
  s.far_el1 = c.far;
  s.par_el1 = c.par;
  s.tpidr_el1 = c.tpidr_el1;
  a64::Cpu cpu;
  cpu.sys = &sys;
  for (int i = 0; i < 31; ++i) cpu.x[i] = c.x[i];
  const bool el1_sp = c.el == 1 && c.sp_sel;
  cpu.x[31] = el1_sp ? c.sp_el1 : c.sp_el0;
  s.sp_el0 = c.sp_el0;
  s.sp_el1 = c.sp_el1;
  cpu.pc = kCodeVa;
  cpu.nzcv = c.nzcv;
  std::memcpy(&cpu.v[0], c.v0, 16);

  const uint64_t end = c.end_va();
  for (unsigned seg = 0; seg < kMaxSegments; ++seg) {
    bool stopped = false;
    for (unsigned step = 0; step < kMaxSteps && !stopped; ++step) {
      if (cpu.pc == end) {
        run.stops.push_back(snap(cpu, s, false));
        return run;
      }
      a64::Stop st = interp.run(cpu, 1);
      switch (st.kind) {
        case a64::StopKind::None:
          break;
        case a64::StopKind::Interrupt:  // ERET, DAIFClr: the machine would look for interrupts
          cpu.pending = 0;
          --step;
          break;
        case a64::StopKind::Hvc:
          run.end = RunEnd::Skipped;
          run.detail = "HVC at EL1 (xvm's machine call; Unicorn's A57 has EL2/EL3)";
          return run;
        case a64::StopKind::Wfi:
          run.end = RunEnd::Skipped;
          run.detail = "WFI at EL1 (the machine waits for an interrupt)";
          return run;
        default:
          if (!a64::sys::take_stop_exception(cpu, s, st)) {
            run.end = RunEnd::Failed;
            run.detail = "take_stop_exception refused stop " + std::to_string(int(st.kind));
            return run;
          }
          run.stops.push_back(snap(cpu, s, true));
          stopped = true;
          break;
      }
    }
    if (!stopped) {
      run.end = RunEnd::Failed;
      run.detail = "budget";  // a loop: compared up to here (Unicorn's count differs in detail)
      return run;
    }
  }
  return run;  // kMaxSegments exceptions: compared as they are
}

}  // namespace xvm::difftest::sys
