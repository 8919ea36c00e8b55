// xvm's sides of the system-level difftest: the machine's vCPU loop (machine/arm64_virt
// machine.cpp) in miniature. On the interpreter, one instruction per SystemInterpreter::run so
// that the end of the sequence is noticed exactly; on the JIT, slices that end at a stop, the
// end being an UNDEFINED word the JIT stops at.
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "arch/arm64/system/exception.h"
#include "arch/arm64/system/system.h"
#include "engine/system_interp.h"
#include "engine/tiered.h"
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

// One vCPU over `ram` (a copy of the case's image) in the case's entry state.
struct Vcpu {
  Vcpu(const SysCase& c, std::vector<uint8_t>& ram);
  BufferBus bus;
  a64::sys::System sys;
  a64::Cpu cpu;
};

Vcpu::Vcpu(const SysCase& c, std::vector<uint8_t>& ram) : bus(ram), sys(bus, 0) {
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
  cpu.sys = &sys;
  for (int i = 0; i < 31; ++i) cpu.x[i] = c.x[i];
  const bool el1_sp = c.el == 1 && c.sp_sel;
  cpu.x[31] = el1_sp ? c.sp_el1 : c.sp_el0;
  s.sp_el0 = c.sp_el0;
  s.sp_el1 = c.sp_el1;
  cpu.pc = kCodeVa;
  cpu.nzcv = c.nzcv;
  std::memcpy(&cpu.v[0], c.v0, 16);
}

// Translated code runs until something stops it: a sequence that loops (an ERET back to an
// earlier slot that unmasks neither IRQ nor FIQ) would run forever. This thread raises an interrupt
// request in the watched vCPU every kTick (as the machine's ticker does, machine.cpp
// ticker_loop), which brings run_xvm_jit back to its loop to look at the instruction count.
class Watchdog {
 public:
  static constexpr auto kTick = std::chrono::milliseconds(2);
  static Watchdog& instance() {
    static Watchdog w;
    return w;
  }
  // The vCPU whose `pending` the ticks go to; null for none. Once it returns, the previous
  // one is not touched again (the tick is made under the lock).
  void watch(volatile uint32_t* pending) {
    std::lock_guard lock(mu_);
    target_ = pending;
  }

 private:
  Watchdog() : thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, kTick);
      if (target_) __atomic_fetch_or(target_, a64::kPendingInterrupt, __ATOMIC_SEQ_CST);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  volatile uint32_t* target_ = nullptr;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

struct WatchScope {
  explicit WatchScope(volatile uint32_t* p) { Watchdog::instance().watch(p); }
  ~WatchScope() { Watchdog::instance().watch(nullptr); }
};

}  // namespace

SysRun run_xvm(const SysCase& c) {
  static engine::SystemInterpreter interp;  // decodes by instruction word: nothing to reset
  SysRun run;
  run.ram = c.ram;
  Vcpu v(c, run.ram);
  a64::Cpu& cpu = v.cpu;
  a64::sys::SysState& s = v.sys.state;
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

SysRun run_xvm_jit(const SysCase& c, std::vector<uint64_t>* insns) {
  SysRun run;
  run.ram = c.ram;
  const uint64_t end = c.end_va();
  // The end of the sequence is its own marker: the word after the last slot is zero (the
  // generator writes nothing else to the code page), UDF #0, permanently UNDEFINED at every EL
  // (Arm ARM C6.2, "UDF"). The JIT stops there with StopKind::Undefined and the pc at it,
  // nothing executed, whatever EL the sequence ends in. A marker of our own (an HVC) would
  // change what loads from the code page read, which Unicorn's side would not see.
  uint32_t at_end;
  std::memcpy(&at_end, &c.ram[kCodePage + (end - kCodeVa)], 4);
  if (at_end != 0) {
    run.end = RunEnd::Failed;
    run.detail = "the word after the sequence is not UDF #0";
    return run;
  }
  Vcpu v(c, run.ram);
  a64::Cpu& cpu = v.cpu;
  a64::sys::SysState& s = v.sys.state;
  engine::JitOptions opts;
  opts.threshold = 0;                  // translate every block on its first execution
  opts.cache_bytes = size_t{1} << 20;  // a few blocks per case; one engine per case
  opts.count_insns = true;             // the step budget (an add per block, nothing else)
  engine::Tiered jit(cpu, opts);       // one per case: translations are kept between runs
  std::vector<uint64_t> own;
  std::vector<uint64_t>& seg = insns ? *insns : own;
  seg.assign(1, 0);
  uint64_t seg_start = cpu.icount;
  auto t0 = std::chrono::steady_clock::now();  // of this segment
  WatchScope watch(&cpu.pending);
  for (;;) {
    // An ERET to the end (or to ELR_EL1 = end from the vector stub) that unmasks IRQ or FIQ
    // leaves with a request pending before the UDF runs: the interpreter side checks the pc
    // at the same point.
    if (cpu.pc == end) {
      run.stops.push_back(snap(cpu, s, false));
      break;
    }
    const a64::Stop st = jit.run(cpu);
    seg.back() = cpu.icount - seg_start;
    if (st.kind == a64::StopKind::Undefined && cpu.pc == end) {
      run.stops.push_back(snap(cpu, s, false));
      break;
    }
    if (st.kind == a64::StopKind::Interrupt || st.kind == a64::StopKind::None) {
      // ERET or DAIFClr unmasking IRQ/FIQ (the machine would look for interrupts), or a
      // watchdog tick. Here a count is exact: no block is partly run.
      __atomic_fetch_and(&cpu.pending, ~uint32_t{a64::kPendingInterrupt}, __ATOMIC_SEQ_CST);
      if (seg.back() >= kMaxSteps) {
        run.end = RunEnd::Failed;
        run.detail = "budget (JIT: " + std::to_string(seg.back()) + " instructions)";
        break;
      }
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0).count();
      if (ms > int64_t{kJitStuckMs}) {
        run.end = RunEnd::Failed;
        run.detail = "stuck (JIT: " + std::to_string(seg.back()) + " instructions in " +
                     std::to_string(ms) + " ms)";
        break;
      }
      continue;
    }
    if (st.kind == a64::StopKind::Hvc) {
      run.end = RunEnd::Skipped;
      run.detail = "HVC at EL1 (xvm's machine call; Unicorn's A57 has EL2/EL3)";
      break;
    }
    if (st.kind == a64::StopKind::Wfi) {
      run.end = RunEnd::Skipped;
      run.detail = "WFI at EL1 (the machine waits for an interrupt)";
      break;
    }
    if (!a64::sys::take_stop_exception(cpu, s, st)) {
      run.end = RunEnd::Failed;
      run.detail = "take_stop_exception refused stop " + std::to_string(int(st.kind));
      break;
    }
    run.stops.push_back(snap(cpu, s, true));
    if (run.stops.size() == kMaxSegments) break;  // compared as they are, as in run_xvm
    seg.push_back(0);
    seg_start = cpu.icount;
    t0 = std::chrono::steady_clock::now();
  }
  return run;
}

}  // namespace xvm::difftest::sys
