// xvm's side: the interpreter engine stepping one instruction over an Arena laid out like the
// Unicorn address space (state.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "arch/arm64/cpu.h"
#include "engine/interpreter.h"
#include "memory/arena.h"
#include "sides.h"

namespace xvm::difftest {
namespace {

// Fetches guest code from the arena, honouring the guest's execute permission.
class ArenaCode final : public engine::CodeSource {
 public:
  explicit ArenaCode(const memory::Arena& a) : arena_(a) {}
  bool fetch(uint64_t addr, uint32_t* insn) const override {
    return arena_.executable(addr) && arena_.read(addr, insn, 4);
  }

 private:
  const memory::Arena& arena_;
};

Outcome outcome_of(arm64::StopKind k) {
  switch (k) {
    case arm64::StopKind::None:
      return Outcome::Ok;
    case arm64::StopKind::Syscall:
      return Outcome::Syscall;
    case arm64::StopKind::Undefined:
      return Outcome::Undefined;
    case arm64::StopKind::Breakpoint:
      return Outcome::Breakpoint;
    case arm64::StopKind::DataAbort:
      return Outcome::DataAbort;
    case arm64::StopKind::Alignment:
      return Outcome::Alignment;
    default:
      return Outcome::Other;
  }
}

}  // namespace

struct XvmSide::Impl {
  std::unique_ptr<memory::Arena> arena;
  std::unique_ptr<ArenaCode> code;
  std::unique_ptr<engine::Interpreter> interp;
};

XvmSide::XvmSide() : impl_(std::make_unique<Impl>()) {
  // 4 GiB of reserved address space: addresses past it are data aborts in xvm and unmapped in
  // Unicorn alike.
  auto arena = memory::Arena::create(uint64_t{1} << 32);
  if (!arena) {
    std::fprintf(stderr, "xvm-difftest: %s\n", arena.error().c_str());
    std::exit(2);
  }
  impl_->arena = std::move(*arena);
  if (impl_->arena->map_fixed(kCodePage, kPageSize, memory::kRead | memory::kExec, false, -1, 0,
                              "code") != 0 ||
      impl_->arena->map_fixed(kWindow, kWindowSize, memory::kRead | memory::kWrite, false, -1, 0,
                              "window") != 0) {
    std::fprintf(stderr, "xvm-difftest: cannot map the test pages\n");
    std::exit(2);
  }
  impl_->code = std::make_unique<ArenaCode>(*impl_->arena);
  impl_->interp = std::make_unique<engine::Interpreter>(*impl_->code);
}

XvmSide::~XvmSide() = default;

Result XvmSide::run(const State& in) {
  memory::Arena& arena = *impl_->arena;
  // The code page is not guest-writable (nor host-writable): open it for the copy only.
  if (arena.protect(kCodePage, kPageSize, memory::kRead | memory::kWrite) != 0 ||
      !arena.write(kCodePage, in.code.data(), kPageSize) ||
      arena.protect(kCodePage, kPageSize, memory::kRead | memory::kExec) != 0) {
    std::fprintf(stderr, "xvm-difftest: cannot write the code page\n");
    std::exit(2);
  }
  std::memcpy(arena.base() + kWindow, in.mem.data(), kWindowSize);

  arm64::Cpu cpu;
  for (int i = 0; i < 31; ++i) cpu.x[i] = in.x[i];
  cpu.x[31] = in.sp;
  cpu.pc = in.pc;
  cpu.nzcv = in.nzcv;
  cpu.fpcr = in.fpcr;
  cpu.fpsr = in.fpsr;
  cpu.tpidr_el0 = in.tpidr_el0;
  cpu.tpidrro_el0 = in.tpidrro_el0;
  for (int i = 0; i < 32; ++i) std::memcpy(&cpu.v[i], in.v[i], 16);
  cpu.mem_base = arena.base();
  cpu.mem_size = arena.size();

  arm64::Stop stop = impl_->interp->step(cpu);
  for (unsigned i = 1; i < in.steps && stop.kind == arm64::StopKind::None; ++i)
    stop = impl_->interp->step(cpu);

  Result r;
  r.outcome = outcome_of(stop.kind);
  r.fault_addr = stop.addr;
  if (r.outcome != Outcome::Ok) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "stop=%d addr=%#llx%s", static_cast<int>(stop.kind),
                  static_cast<unsigned long long>(stop.addr),
                  stop.unimplemented ? " (no table line)" : "");
    r.detail = buf;
  }
  State& s = r.state;
  for (int i = 0; i < 31; ++i) s.x[i] = cpu.x[i];
  s.sp = cpu.x[31];
  s.pc = cpu.pc;
  s.nzcv = cpu.nzcv;
  s.fpcr = cpu.fpcr;
  s.fpsr = cpu.fpsr;
  s.tpidr_el0 = cpu.tpidr_el0;
  s.tpidrro_el0 = cpu.tpidrro_el0;
  for (int i = 0; i < 32; ++i) std::memcpy(s.v[i], &cpu.v[i], 16);
  s.mem.assign(arena.base() + kWindow, arena.base() + kWindow + kWindowSize);
  return r;
}

}  // namespace xvm::difftest
