// System instructions the difftest cannot compare with Unicorn (Unicorn runs at EL1 and has its
// own ID registers, clock and exception paths): MRS of the ID space as Linux shows it to EL0,
// the generic timer, BRK/HVC/SMC/HLT/DCPS, MSR (immediate), DC ZVA, IC IVAU and CLREX.
// Expected values are spelled from the Arm ARM field descriptions (D19.2) and Linux's
// cpu-feature-registers.rst / hwcap.h, field by field, not copied from features.h.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "arch/arm64/cpu.h"
#include "arch/arm64/features.h"
#include "engine/interpreter.h"

namespace xvm::arm64 {
namespace {

// Serves one instruction at every address.
class OneInsn : public engine::CodeSource {
 public:
  explicit OneInsn(uint32_t insn) : insn_(insn) {}
  bool fetch(uint64_t, uint32_t* out) const override {
    *out = insn_;
    return true;
  }

 private:
  uint32_t insn_;
};

Stop step(Cpu& cpu, uint32_t insn) {
  OneInsn code(insn);
  engine::Interpreter interp(code);
  return interp.step(cpu);
}

// MRS Xt, <op0 op1 CRn CRm op2> and MSR <...>, Xt (Arm ARM C6.2 MRS / MSR (register)).
uint32_t mrs(unsigned t, unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return 0xd5300000u | ((op0 & 1) << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5) | t;
}
uint32_t msr(unsigned t, unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return mrs(t, op0, op1, crn, crm, op2) & ~(1u << 21);
}

uint64_t read_sysreg(unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  Cpu cpu;
  cpu.pc = 0x1000;
  const Stop s = step(cpu, mrs(5, 3, op1, crn, crm, op2));
  EXPECT_EQ(s.kind, StopKind::None) << op1 << ' ' << crn << ' ' << crm << ' ' << op2;
  EXPECT_EQ(cpu.pc, 0x1004u);
  return cpu.x[5];
}

bool mrs_is_undefined(unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  Cpu cpu;
  cpu.pc = 0x1000;
  const Stop s = step(cpu, mrs(5, 3, op1, crn, crm, op2));
  return s.kind == StopKind::Undefined && !s.unimplemented && cpu.pc == 0x1000;
}

unsigned field(uint64_t reg, unsigned lsb) {
  return (reg >> lsb) & 0xf;
}

// Linux Documentation/arch/arm64/cpu-feature-registers.rst: ID_AA64ISAR0_EL1 carries exactly the
// advertised features (Arm ARM D19.2 field positions).
TEST(IdRegisters, Isar0ShowsAesPmullSha1Sha256Crc32Lse) {
  const uint64_t isar0 = read_sysreg(0, 0, 6, 0);
  EXPECT_EQ(field(isar0, 4), 2u);   // AES: AESE/AESD/AESMC/AESIMC + PMULL/PMULL2 on 64-bit
  EXPECT_EQ(field(isar0, 8), 1u);   // SHA1
  EXPECT_EQ(field(isar0, 12), 1u);  // SHA2: SHA256 only (2 would add SHA512)
  EXPECT_EQ(field(isar0, 16), 1u);  // CRC32
  EXPECT_EQ(field(isar0, 20), 2u);  // Atomic: LSE
  EXPECT_EQ(isar0 & ~uint64_t{0xfffff0}, 0u);  // RDM, SHA3, SM3, SM4, DP, FHM, TS, TLB, RNDR
}

TEST(IdRegisters, Pfr0ShowsFpAdvSimdAndAArch64OnlyELs) {
  const uint64_t pfr0 = read_sysreg(0, 0, 4, 0);
  EXPECT_EQ(field(pfr0, 0), 1u);   // EL0: AArch64 only (hidden; Linux's safe value)
  EXPECT_EQ(field(pfr0, 4), 1u);   // EL1: AArch64 only (hidden; Linux's safe value)
  EXPECT_EQ(field(pfr0, 16), 0u);  // FP implemented, without FP16 (1) -- 0xF would be absent
  EXPECT_EQ(field(pfr0, 20), 0u);  // AdvSIMD implemented, without FP16
  EXPECT_EQ(pfr0, 0x11u);          // no SVE, DIT, GIC, RAS, MPAM, AMU, CSV2/3 ...
}

TEST(IdRegisters, HiddenFieldsReadAsLinuxSafeValues) {
  EXPECT_EQ(read_sysreg(0, 0, 5, 0), 6u);  // ID_AA64DFR0: DebugVer = 6 (FTR_EXACT, 0x6)
  // ID_AA64MMFR0: TGran4_2/64_2/16_2 = 1 (FTR_EXACT), TGran4/TGran64 = 0xF (NI safe value).
  EXPECT_EQ(read_sysreg(0, 0, 7, 0), 0x00000111ff000000u);
}

TEST(IdRegisters, FeaturesXvmLacksReadAsZero) {
  EXPECT_EQ(read_sysreg(0, 0, 4, 1), 0u);  // ID_AA64PFR1: no BTI, SSBS, MTE, SME
  EXPECT_EQ(read_sysreg(0, 0, 4, 4), 0u);  // ID_AA64ZFR0: no SVE
  EXPECT_EQ(read_sysreg(0, 0, 5, 1), 0u);  // ID_AA64DFR1
  EXPECT_EQ(read_sysreg(0, 0, 6, 1), 0u);  // ID_AA64ISAR1: no DPB, JSCVT, FCMA, LRCPC, PAuth
  EXPECT_EQ(read_sysreg(0, 0, 6, 2), 0u);  // ID_AA64ISAR2
  EXPECT_EQ(read_sysreg(0, 0, 7, 1), 0u);  // ID_AA64MMFR1
  EXPECT_EQ(read_sysreg(0, 0, 7, 2), 0u);  // ID_AA64MMFR2
  EXPECT_EQ(read_sysreg(0, 0, 7, 7), 0u);  // unallocated in the emulated space: RAZ
}

// Linux emulate_id_reg: MIDR as the CPU reports it, MPIDR = bit 31 only, REVIDR = 0.
TEST(IdRegisters, MidrMpidrRevidr) {
  const uint64_t midr = read_sysreg(0, 0, 0, 0);
  EXPECT_EQ((midr >> 16) & 0xf, 0xfu);  // Architecture: "defined by CPUID scheme"
  EXPECT_EQ(midr >> 32, 0u);
  EXPECT_EQ(read_sysreg(0, 0, 0, 5), uint64_t{1} << 31);
  EXPECT_EQ(read_sysreg(0, 0, 0, 6), 0u);
}

// Outside Linux's emulated space (op0 3, op1 0, CRn 0, CRm 0 or 4..7) an MRS traps and the
// kernel answers SIGILL: the AArch32 ID registers (CRm 1..3), other CRm = 0 registers, EL1
// state.
TEST(IdRegisters, UnemulatedRegistersAreUndefined) {
  EXPECT_TRUE(mrs_is_undefined(0, 0, 0, 1));   // CTR_EL1 alias space (op1 = 0, op2 = 1)
  EXPECT_TRUE(mrs_is_undefined(0, 0, 1, 0));   // ID_PFR0_EL1
  EXPECT_TRUE(mrs_is_undefined(0, 0, 3, 0));   // MVFR0_EL1
  EXPECT_TRUE(mrs_is_undefined(0, 1, 0, 0));   // SCTLR_EL1
  EXPECT_TRUE(mrs_is_undefined(0, 4, 2, 2));   // CurrentEL
  EXPECT_TRUE(mrs_is_undefined(3, 4, 2, 1));   // DAIF (SCTLR_EL1.UMA = 0)
  EXPECT_TRUE(mrs_is_undefined(3, 9, 13, 0));  // PMCCNTR_EL0 (PMU disabled for EL0)
  EXPECT_TRUE(mrs_is_undefined(3, 14, 0, 1));  // CNTPCT_EL0 not provided
}

// Linux arch/arm64/include/uapi/asm/hwcap.h bit numbers, and AT_HWCAP derived from the ID
// registers the way Linux's arm64_elf_hwcaps[] table does.
TEST(Hwcap, BitsMatchLinuxUapiAndIdRegisters) {
  EXPECT_EQ(hwcap::kFP, 1u << 0);
  EXPECT_EQ(hwcap::kASIMD, 1u << 1);
  EXPECT_EQ(hwcap::kAES, 1u << 3);
  EXPECT_EQ(hwcap::kPMULL, 1u << 4);
  EXPECT_EQ(hwcap::kSHA1, 1u << 5);
  EXPECT_EQ(hwcap::kSHA2, 1u << 6);
  EXPECT_EQ(hwcap::kCRC32, 1u << 7);
  EXPECT_EQ(hwcap::kATOMICS, 1u << 8);
  EXPECT_EQ(hwcap::kCPUID, 1u << 11);

  const uint64_t pfr0 = read_sysreg(0, 0, 4, 0), isar0 = read_sysreg(0, 0, 6, 0);
  uint64_t derived = 1u << 11;                     // CPUID: the ID space is readable (emulated)
  if (field(pfr0, 16) != 0xf) derived |= 1u << 0;  // FP (signed field: 0xF = absent)
  if (field(pfr0, 20) != 0xf) derived |= 1u << 1;  // ASIMD
  if (field(isar0, 4) >= 1) derived |= 1u << 3;    // AES
  if (field(isar0, 4) >= 2) derived |= 1u << 4;    // PMULL
  if (field(isar0, 8) >= 1) derived |= 1u << 5;    // SHA1
  if (field(isar0, 12) >= 1) derived |= 1u << 6;   // SHA2
  if (field(isar0, 16) >= 1) derived |= 1u << 7;   // CRC32
  if (field(isar0, 20) >= 2) derived |= 1u << 8;   // ATOMICS
  EXPECT_EQ(kHwcap, derived);
  EXPECT_EQ(kHwcap2, 0u);
}

TEST(CacheRegisters, CtrAndDczid) {
  const uint64_t ctr = read_sysreg(3, 0, 0, 1);
  EXPECT_EQ(ctr >> 31, 1u);                   // RES1
  EXPECT_EQ((ctr >> 28) & 3, 0u);             // DIC = IDC = 0: guests must clean/invalidate
  EXPECT_EQ(4u << ((ctr >> 16) & 0xf), 64u);  // DminLine: 64-byte data cache lines
  EXPECT_EQ(4u << (ctr & 0xf), 64u);          // IminLine
  const uint64_t dczid = read_sysreg(3, 0, 0, 7);
  EXPECT_EQ(dczid & 0x10, 0u);          // DZP = 0: DC ZVA permitted
  EXPECT_EQ(4u << (dczid & 0xf), 64u);  // BS: 64-byte blocks
}

TEST(GenericTimer, CntfrqIs1GHzAndCntvctFollowsIt) {
  EXPECT_EQ(read_sysreg(3, 14, 0, 0), 1'000'000'000u);
  const uint64_t a = read_sysreg(3, 14, 0, 2);
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t b = read_sysreg(3, 14, 0, 2);
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_GT(b, a);
  // 20 ms at 1 GHz is 2e7 ticks; allow for scheduling delays on a loaded machine.
  EXPECT_GE(b - a, 19'000'000u);
  EXPECT_LE(b - a, static_cast<uint64_t>(ns) + 5'000'000u);
}

// Writable EL0 registers: NZCV (bits 31:28), FPCR (AHP, DN, FZ, RMode only on a core without
// FP16 or trapped exceptions), FPSR (cumulative flags, QC, and the AArch32 NZCV bits 31:28),
// TPIDR_EL0. TPIDRRO_EL0, CNTFRQ_EL0, CNTVCT_EL0 and ID registers are read-only: UNDEF.
TEST(SpecialRegisters, MsrKeepsOnlyWritableBits) {
  Cpu cpu;
  cpu.x[1] = ~uint64_t{0};
  EXPECT_EQ(step(cpu, msr(1, 3, 3, 4, 2, 0)).kind, StopKind::None);
  EXPECT_EQ(cpu.nzcv, 0xf0000000u);
  EXPECT_EQ(step(cpu, msr(1, 3, 3, 4, 4, 0)).kind, StopKind::None);
  EXPECT_EQ(cpu.fpcr, (1u << 26) | (1u << 25) | (1u << 24) | (3u << 22));
  EXPECT_EQ(step(cpu, msr(1, 3, 3, 4, 4, 1)).kind, StopKind::None);
  EXPECT_EQ(cpu.fpsr, 0xf800009fu);
  EXPECT_EQ(step(cpu, msr(1, 3, 3, 13, 0, 2)).kind, StopKind::None);
  EXPECT_EQ(cpu.tpidr_el0, ~uint64_t{0});
  cpu.tpidrro_el0 = 0x1234;
  EXPECT_EQ(step(cpu, mrs(2, 3, 3, 13, 0, 3)).kind, StopKind::None);
  EXPECT_EQ(cpu.x[2], 0x1234u);
  for (const uint32_t insn : {msr(1, 3, 3, 13, 0, 3), msr(1, 3, 3, 14, 0, 0),
                              msr(1, 3, 3, 14, 0, 2), msr(1, 3, 0, 0, 6, 0)}) {
    cpu.pc = 0x2000;
    const Stop s = step(cpu, insn);
    EXPECT_EQ(s.kind, StopKind::Undefined) << std::hex << insn;
    EXPECT_EQ(cpu.pc, 0x2000u);
  }
  EXPECT_EQ(cpu.tpidrro_el0, 0x1234u);
}

// BRK #imm: Breakpoint Instruction exception with the preferred return address at the BRK.
TEST(ExceptionGeneration, BrkStopsAtTheInstruction) {
  Cpu cpu;
  cpu.pc = 0x4000;
  const Stop s = step(cpu, 0xd4200000u | (0x3e8u << 5));  // BRK #1000
  EXPECT_EQ(s.kind, StopKind::Breakpoint);
  EXPECT_EQ(s.insn, 1000u);
  EXPECT_EQ(cpu.pc, 0x4000u);
}

TEST(ExceptionGeneration, HvcSmcHltDcpsAreUndefinedAtEl0) {
  for (const uint32_t insn :
       {0xd4000002u /* HVC #0 */, 0xd4000003u /* SMC #0 */, 0xd4400000u /* HLT #0 */,
        0xd4a00001u /* DCPS1 */, 0xd4a00002u /* DCPS2 */, 0xd4a00003u /* DCPS3 */}) {
    Cpu cpu;
    cpu.pc = 0x4000;
    const Stop s = step(cpu, insn);
    EXPECT_EQ(s.kind, StopKind::Undefined) << std::hex << insn;
    EXPECT_FALSE(s.unimplemented);
    EXPECT_EQ(cpu.pc, 0x4000u);
  }
}

// MSR DAIFSet/DAIFClr (UMA = 0), MSR SPSel: not available at EL0.
TEST(Pstate, MsrImmediateIsUndefinedAtEl0) {
  for (const uint32_t insn : {0xd50342dfu /* MSR DAIFSet, #2 */, 0xd50342ffu /* DAIFClr */,
                              0xd50040bfu /* MSR SPSel, #0 */}) {
    Cpu cpu;
    EXPECT_EQ(step(cpu, insn).kind, StopKind::Undefined) << std::hex << insn;
  }
}

TEST(Hints, AllHintSpaceEncodingsAreNops) {
  for (uint32_t imm = 0; imm < 128; ++imm) {
    Cpu cpu;
    cpu.pc = 0x1000;
    cpu.x[3] = 77;
    EXPECT_EQ(step(cpu, 0xd503201fu | (imm << 5)).kind, StopKind::None) << imm;
    EXPECT_EQ(cpu.pc, 0x1004u);
    EXPECT_EQ(cpu.x[3], 77u);
  }
}

TEST(Barriers, ClrexClearsTheLocalMonitor) {
  Cpu cpu;
  cpu.excl_addr = 0x1000;
  cpu.excl_size = 8;
  EXPECT_EQ(step(cpu, 0xd5033f5fu).kind, StopKind::None);  // CLREX
  EXPECT_EQ(cpu.excl_size, 0u);
  for (const uint32_t insn :
       {0xd5033f9fu /* DSB SY */, 0xd5033bbfu /* DMB ISH */, 0xd5033fdfu /* ISB */})
    EXPECT_EQ(step(cpu, insn).kind, StopKind::None) << std::hex << insn;
}

// DC ZVA Xt zeroes the 64-byte block containing Xt; outside guest memory it is a data abort
// that writes nothing.
TEST(CacheMaintenance, DcZvaZeroesTheAlignedBlock) {
  std::vector<uint8_t> mem(4096, 0xaa);
  Cpu cpu;
  cpu.mem_base = mem.data();
  cpu.mem_size = mem.size();
  cpu.x[7] = 0x100 + 37;
  EXPECT_EQ(step(cpu, 0xd50b7427u).kind, StopKind::None);  // DC ZVA, X7
  for (size_t i = 0; i < mem.size(); ++i)
    EXPECT_EQ(mem[i], (i >= 0x100 && i < 0x140) ? 0 : 0xaa) << i;
  cpu.x[7] = 4096 + 8;
  cpu.pc = 0x40;
  const Stop s = step(cpu, 0xd50b7427u);
  EXPECT_EQ(s.kind, StopKind::DataAbort);
  EXPECT_TRUE(s.write);
  EXPECT_EQ(s.addr, 4096u);
  EXPECT_EQ(cpu.pc, 0x40u);
}

TEST(CacheMaintenance, IcIvauRequestsACodeFlushAndDcOpsAreAccepted) {
  Cpu cpu;
  cpu.x[2] = 0x1234;
  EXPECT_EQ(step(cpu, 0xd50b7522u).kind, StopKind::None);  // IC IVAU, X2
  // IC IVAU is broadcast (Arm ARM D7.5.9): a flush of every vCPU's decoded code is requested.
  EXPECT_NE(cpu.pending & kPendingBroadcastFlush, 0u);
  for (const uint32_t insn : {0xd50b7a22u /* DC CVAC */, 0xd50b7b22u /* DC CVAU */,
                              0xd50b7c22u /* DC CVAP */, 0xd50b7e22u /* DC CIVAC */})
    EXPECT_EQ(step(cpu, insn).kind, StopKind::None) << std::hex << insn;
  // DC IVAC (invalidate without clean) and IC IALLU are EL1-only.
  EXPECT_EQ(step(cpu, 0xd5087622u).kind, StopKind::Undefined);
  EXPECT_EQ(step(cpu, 0xd508751fu).kind, StopKind::Undefined);
}

}  // namespace
}  // namespace xvm::arm64
