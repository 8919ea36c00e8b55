// Exception entry and return (arch/arm64/system/exception.h) against the Arm ARM's rules
// ("Exception entry", "Exception vectors", "Exception return", "Illegal return events"):
// vector offsets 0x000/0x200/0x400 + 0x80 per kind, SPSR_EL1 = PSTATE (NZCV 31:28, D A I F
// 9:6, IL 20, M[4:0]), ELR_EL1 the preferred return address, DAIF masked on entry, the stack
// pointer banked by EL and PSTATE.SP.
#include <gtest/gtest.h>

#include "arch/arm64/system/exception.h"

namespace xvm::arm64::sys {
namespace {

struct ExceptionTest : ::testing::Test {
  Cpu cpu;
  SysState s;
  void SetUp() override {
    s.vbar_el1 = 0xffff'0000'0001'0000;
    s.el = 0;
    s.sp_sel = false;
    s.daif = 0;
    cpu.x[31] = 0x7000;  // SP_EL0, live at EL0
    s.sp_el1 = 0x9000;
    cpu.nzcv = 0x6000'0000;  // Z and C
    cpu.pc = 0x40'1000;
  }
};

TEST_F(ExceptionTest, SvcFromEl0) {
  // SVC #0x42: preferred return address is the next instruction; EC 0x15, ISS = imm16.
  take_exception(cpu, s, Vector::Sync, esr(Ec::Svc64, 0x42), cpu.pc + 4);
  EXPECT_EQ(cpu.pc, 0xffff'0000'0001'0400u);  // lower EL, AArch64, synchronous
  EXPECT_EQ(s.elr_el1, 0x40'1004u);
  EXPECT_EQ(s.spsr_el1, 0x6000'0000u);         // NZCV, nothing masked, M = EL0t
  EXPECT_EQ(s.esr_el1, (0x15u << 26) | (1u << 25) | 0x42u);
  EXPECT_EQ(s.el, 1u);
  EXPECT_TRUE(s.sp_sel);
  EXPECT_EQ(s.daif, spsr::kDaif);
  EXPECT_EQ(cpu.x[31], 0x9000u);  // SP_EL1 now live
  EXPECT_EQ(s.sp_el0, 0x7000u);   // SP_EL0 banked
}

TEST_F(ExceptionTest, DataAbortSetsFarAndIrqLeavesEsr) {
  take_exception(cpu, s, Vector::Sync, esr(Ec::DataAbortLower, 0x47), cpu.pc, true, 0xdead'0000);
  EXPECT_EQ(s.far_el1, 0xdead'0000u);
  EXPECT_EQ(s.elr_el1, 0x40'1000u);
  const uint64_t esr_before = s.esr_el1;
  // Now at EL1 with SP_EL1: an IRQ goes to the "current EL with SP_ELx" group + 0x80.
  s.daif = 0;
  cpu.pc = 0xffff'0000'0000'2000;
  take_exception(cpu, s, Vector::Irq, 0, cpu.pc);
  EXPECT_EQ(cpu.pc, 0xffff'0000'0001'0280u);
  EXPECT_EQ(s.esr_el1, esr_before);
  EXPECT_EQ(s.spsr_el1 & spsr::kM, spsr::kEL1h);
}

TEST_F(ExceptionTest, FromEl1WithSpEl0UsesTheFirstGroup) {
  s.el = 1;
  s.sp_sel = false;  // EL1t: SP_EL0 in use
  take_exception(cpu, s, Vector::SError, esr(Ec::SError, 0), cpu.pc);
  EXPECT_EQ(cpu.pc, 0xffff'0000'0001'0180u);
  EXPECT_EQ(s.spsr_el1 & spsr::kM, spsr::kEL1t);
  EXPECT_EQ(cpu.x[31], 0x9000u);
  EXPECT_EQ(s.sp_el0, 0x7000u);
}

TEST_F(ExceptionTest, EretReturnsToEl0AndRestoresPstate) {
  s.daif = spsr::kI;
  take_exception(cpu, s, Vector::Sync, esr(Ec::Svc64, 0), cpu.pc + 4);
  cpu.x[31] -= 0x100;  // the handler uses its stack
  cpu.nzcv = 0;
  cpu.excl_size = 8;
  exception_return(cpu, s);
  EXPECT_EQ(s.el, 0u);
  EXPECT_EQ(cpu.pc, 0x40'1004u);
  EXPECT_EQ(cpu.nzcv, 0x6000'0000u);
  EXPECT_EQ(s.daif, spsr::kI);
  EXPECT_EQ(cpu.x[31], 0x7000u);  // SP_EL0 back
  EXPECT_EQ(s.sp_el1, 0x8f00u);   // SP_EL1 banked with the handler's change
  EXPECT_EQ(cpu.excl_size, 0u);   // local monitor cleared
  EXPECT_FALSE(s.il);
}

TEST_F(ExceptionTest, IllegalReturnKeepsTheLevelAndSetsIl) {
  s.el = 1;
  s.sp_sel = true;
  cpu.x[31] = 0x9000;
  s.sp_el0 = 0x7000;
  s.elr_el1 = 0x1234'5000;
  s.spsr_el1 = 0b01001 | spsr::kF | 0x8000'0000;  // M = EL2h: no EL2 here
  exception_return(cpu, s);
  EXPECT_TRUE(s.il);
  EXPECT_EQ(s.el, 1u);
  EXPECT_TRUE(s.sp_sel);
  EXPECT_EQ(cpu.x[31], 0x9000u);
  EXPECT_EQ(cpu.pc, 0x1234'5000u);
  EXPECT_EQ(cpu.nzcv, 0x8000'0000u);  // other fields still come from SPSR
  EXPECT_EQ(s.daif, spsr::kF);
  // AArch32 (M[4] = 1) is illegal too; so is returning to EL1 from EL0 (not reachable by
  // ERET, which is UNDEFINED at EL0, but the rule is the same).
  s.il = false;
  s.spsr_el1 = 0x10;
  exception_return(cpu, s);
  EXPECT_TRUE(s.il);
}

}  // namespace
}  // namespace xvm::arm64::sys
