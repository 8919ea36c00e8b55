// The system interpreter's own exceptions (engine/system_interp.h with arch/arm64/system/):
// a branch to a misaligned address raises a PC alignment fault (EC 0x22, FAR = the address),
// and an illegal exception return sets PSTATE.IL so that the instruction at the return
// address raises an Illegal Execution state exception (EC 0x0E) instead of running (Arm ARM
// "PC alignment checking", "Illegal return events from AArch64 state", "The Illegal
// Execution state exception"). The MMU is off: virtual = physical, RAM at 0.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "arch/arm64/system/exception.h"
#include "arch/arm64/system/system.h"
#include "engine/system_interp.h"
#include "test_ram.h"

namespace xvm::arm64::sys {
namespace {

struct Ram : TestRam {
  Ram() : TestRam(1 << 16) {}
};

struct SystemInterp : ::testing::Test {
  Ram ram;
  System sys{ram, 0};
  Cpu cpu;
  engine::SystemInterpreter interp;
  void SetUp() override {
    cpu.sys = &sys;
    sys.state.el = 1;
    sys.state.vbar_el1 = 0x8000;
    cpu.pc = 0x1000;
  }
  Stop run() { return interp.run(cpu, 100); }
};

TEST_F(SystemInterp, BranchToMisalignedAddressIsAPcAlignmentFault) {
  cpu.x[1] = 0x2002;
  ram.code(0x1000, {0xd61f0020});  // BR X1
  const Stop s = run();
  ASSERT_EQ(s.kind, StopKind::PcAlignment);
  ASSERT_TRUE(take_stop_exception(cpu, sys.state, s));
  EXPECT_EQ(sys.state.esr_el1, esr(Ec::PcAlignment, 0));
  EXPECT_EQ(sys.state.far_el1, 0x2002u);
  EXPECT_EQ(sys.state.elr_el1, 0x2002u);
  EXPECT_EQ(cpu.pc, 0x8200u);  // current EL with SP_ELx, synchronous
}

TEST_F(SystemInterp, IllegalReturnRaisesIllegalStateAtTheReturnAddress) {
  sys.state.elr_el1 = 0x3000;
  sys.state.spsr_el1 = 0b01001;  // EL2h: there is no EL2
  ram.code(0x1000, {0xd69f03e0});  // ERET
  ram.code(0x3000, {0xd2800540});  // MOVZ X0, #42: must not run
  const Stop s = run();
  ASSERT_EQ(s.kind, StopKind::IllegalState);
  EXPECT_EQ(cpu.pc, 0x3000u);
  ASSERT_TRUE(take_stop_exception(cpu, sys.state, s));
  EXPECT_EQ(sys.state.esr_el1, esr(Ec::IllegalState, 0));
  EXPECT_EQ(sys.state.elr_el1, 0x3000u);
  EXPECT_NE(sys.state.spsr_el1 & spsr::kIL, 0u);  // the saved PSTATE shows IL
  EXPECT_FALSE(sys.state.il);                    // cleared on exception entry
  EXPECT_EQ(cpu.x[0], 0u);
}

TEST_F(SystemInterp, LegalReturnRunsTheTarget) {
  sys.state.elr_el1 = 0x3000;
  sys.state.spsr_el1 = spsr::kEL1h;
  ram.code(0x1000, {0xd69f03e0});              // ERET
  ram.code(0x3000, {0xd2800540, 0xd4000001});  // MOVZ X0, #42; SVC #0
  Stop s = run();
  if (s.kind == StopKind::Interrupt) {  // ERET asks the machine to look at IRQs; it clears
    cpu.pending = 0;                    // the request and runs on, as the vCPU loop does
    s = run();
  }
  ASSERT_EQ(s.kind, StopKind::Syscall);
  EXPECT_EQ(cpu.x[0], 42u);
}

}  // namespace
}  // namespace xvm::arm64::sys
