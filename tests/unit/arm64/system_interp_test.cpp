// The system interpreter's own exceptions (engine/system_interp.h with arch/arm64/system/):
// a branch to a misaligned address raises a PC alignment fault (EC 0x22, FAR = the address),
// and an illegal exception return sets PSTATE.IL so that the instruction at the return
// address raises an Illegal Execution state exception (EC 0x0E) instead of running (Arm ARM
// "PC alignment checking", "Illegal return events from AArch64 state", "The Illegal
// Execution state exception"); and when unmasking asks the machine to take an interrupt.
// The MMU is off: virtual = physical, RAM at 0.
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

// Unmasking with MSR DAIFClr, MSR DAIF or ERET raises the interrupt request (the engine leaves
// so that the machine takes the interrupt) exactly when it unmasks IRQ or FIQ while the
// interrupt controller signals one (Arm ARM: a pending unmasked interrupt is taken);
// masking never does.
struct Signals final : SysRegHooks {
  bool signalled = false;
  bool read(unsigned, uint32_t, uint64_t*) override { return false; }
  bool write(unsigned, uint32_t, uint64_t) override { return false; }
  bool interrupt_pending() override { return signalled; }
};

struct DaifUnmask : SystemInterp {
  Signals irq;
  void SetUp() override {
    SystemInterp::SetUp();
    sys.set_hooks(&irq);
    sys.state.daif = spsr::kDaif;
  }
  bool requested() { return cpu.pending & kPendingInterrupt; }
};

TEST_F(DaifUnmask, DaifClrWithASignalledIrqRequests) {
  irq.signalled = true;
  ram.code(0x1000, {0xd50342ff});  // MSR DAIFClr, #2 (I)
  interp.run(cpu, 1);
  EXPECT_EQ(sys.state.daif, spsr::kD | spsr::kA | spsr::kF);
  EXPECT_TRUE(requested());
}

TEST_F(DaifUnmask, DaifClrWithNothingSignalledDoesNot) {
  ram.code(0x1000, {0xd50342ff});  // MSR DAIFClr, #2
  interp.run(cpu, 1);
  EXPECT_FALSE(requested());
}

TEST_F(DaifUnmask, MaskingNeverRequests) {
  irq.signalled = true;
  sys.state.daif = 0;
  cpu.x[1] = spsr::kI;
  ram.code(0x1000, {0xd50342df, 0xd51b4221});  // MSR DAIFSet, #2; MSR DAIF, X1
  interp.run(cpu, 2);
  EXPECT_EQ(sys.state.daif, spsr::kI);
  EXPECT_FALSE(requested());
}

TEST_F(DaifUnmask, MsrDaifAndEretUnmaskingRequest) {
  irq.signalled = true;
  cpu.x[1] = 0;
  ram.code(0x1000, {0xd51b4221});  // MSR DAIF, X1
  interp.run(cpu, 1);
  EXPECT_TRUE(requested());
  cpu.pending = 0;
  sys.state.daif = spsr::kDaif;
  sys.state.elr_el1 = 0x3000;
  sys.state.spsr_el1 = spsr::kEL1h;  // DAIF clear
  ram.code(0x1004, {0xd69f03e0});     // ERET
  interp.run(cpu, 1);
  EXPECT_EQ(cpu.pc, 0x3000u);
  EXPECT_TRUE(requested());
}

}  // namespace
}  // namespace xvm::arm64::sys
