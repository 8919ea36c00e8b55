// The CPU features xvm implements, as Linux advertises them to user space (AT_HWCAP/AT_HWCAP2,
// /proc/cpuinfo "Features"), and the ID registers that MRS reports at EL0. Both describe the
// same set: ARMv8.0-A with FP, AdvSIMD, AES + PMULL, SHA1, SHA2 (SHA-256), CRC32 and the
// ARMv8.1 Atomics (LSE) -- nothing else. tests/unit/arm64/sysreg_test.cpp checks that the two
// agree field by field.
#pragma once
#include <cstdint>

namespace xvm::arm64 {

// Linux arch/arm64/include/uapi/asm/hwcap.h bit numbers.
namespace hwcap {
constexpr uint64_t kFP = 1u << 0, kASIMD = 1u << 1, kAES = 1u << 3, kPMULL = 1u << 4,
                   kSHA1 = 1u << 5, kSHA2 = 1u << 6, kCRC32 = 1u << 7, kATOMICS = 1u << 8,
                   kCPUID = 1u << 11;
}  // namespace hwcap

// AT_HWCAP: exactly the features implemented (ARMv8.0 + FP/AdvSIMD + crypto + CRC32 + LSE);
// CPUID because MRS of the ID registers is emulated as Linux does for EL0.
constexpr uint64_t kHwcap = hwcap::kFP | hwcap::kASIMD | hwcap::kAES | hwcap::kPMULL |
                            hwcap::kSHA1 | hwcap::kSHA2 | hwcap::kCRC32 | hwcap::kATOMICS |
                            hwcap::kCPUID;
constexpr uint64_t kHwcap2 = 0;

// /proc/cpuinfo names of the same bits, in hwcap order.
constexpr const char* kCpuinfoFeatures = "fp asimd aes pmull sha1 sha2 crc32 atomics cpuid";

// System register encodings as the MRS/MSR "o0:op1:CRn:CRm:op2" operand, with op0 in bits
// 15:14 (instruction bits 20:5).
constexpr uint32_t sysreg(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

// ID registers as an EL0 program sees them under Linux (6.x): MRS of op0 = 3, op1 = 0,
// CRn = 0, CRm = 0 or 4..7 traps to the kernel, which answers from its sanitised copy
// (arch/arm64/kernel/cpufeature.c, emulate_sys_reg; Documentation/arch/arm64/
// cpu-feature-registers.rst). Fields Linux marks visible carry the real value; hidden fields
// read as the field's "safe" value from cpufeature.c -- usually 0, but not always (noted
// below). Any other encoding in that space reads as 0 (untracked: RAZ or IMPLEMENTATION
// DEFINED); CRm = 0 registers other than MIDR/MPIDR/REVIDR are UNDEF. Field layouts: Arm ARM
// D19.2 (AArch64 System register descriptions).
namespace idreg {
// MIDR_EL1: Implementer [31:24] = 0x00 "reserved for software use" (xvm is a
// software implementation), Variant [23:20] = 0, Architecture [19:16] = 0xF (features are
// described by the ID registers), PartNum [15:4] = 0x058 ('X'), Revision [3:0] = 0.
constexpr uint64_t kMIDR = 0x000f0580;
// MPIDR_EL1: Linux reports SYS_MPIDR_SAFE_VAL = bit 31 (RES1) only. REVIDR_EL1: 0.
constexpr uint64_t kMPIDR = uint64_t{1} << 31;
constexpr uint64_t kREVIDR = 0;
// ID_AA64PFR0_EL1: EL0 [3:0] = 1 and EL1 [7:4] = 1 (AArch64 only; hidden, safe value
// ELx_64BIT_ONLY), FP [19:16] = 0 and AdvSIMD [23:20] = 0 (implemented, no half precision).
constexpr uint64_t kID_AA64PFR0 = 0x0000000000000011;
// ID_AA64DFR0_EL1: DebugVer [3:0] = 6 (hidden, FTR_EXACT safe value 0x6: ARMv8.0 debug).
constexpr uint64_t kID_AA64DFR0 = 0x0000000000000006;
// ID_AA64ISAR0_EL1: AES [7:4] = 2 (AES + PMULL), SHA1 [11:8] = 1, SHA2 [15:12] = 1
// (SHA-256 only), CRC32 [19:16] = 1, Atomic [23:20] = 2 (LSE); RDM, SHA3, SM3/4, DP, FHM,
// TS, TLB, RNDR all 0.
constexpr uint64_t kID_AA64ISAR0 = 0x0000000000211120;
// ID_AA64MMFR0_EL1: every field hidden; the non-zero safe values are TGran16_2 [35:32],
// TGran64_2 [39:36], TGran4_2 [43:40] = 1 (FTR_EXACT) and TGran64 [27:24], TGran4 [31:28] =
// 0xF ("not implemented" is the safe value of those signed fields).
constexpr uint64_t kID_AA64MMFR0 = 0x00000111ff000000;

struct Entry {
  uint32_t key;  // sysreg(3, 0, 0, CRm, op2)
  uint64_t value;
  const char* name;
};
// The non-zero registers of the emulated space; every other CRm = 4..7 register is 0
// (ID_AA64PFR1, ID_AA64ZFR0 (no SVE), ID_AA64SMFR0, ID_AA64DFR1, ID_AA64AFR0/1, ID_AA64ISAR1
// (no PAuth, JSCVT, FCMA, LRCPC, DPB ...), ID_AA64ISAR2, ID_AA64MMFR1, ID_AA64MMFR2 ...).
inline constexpr Entry kNonZero[] = {
    {sysreg(3, 0, 0, 0, 0), kMIDR, "MIDR_EL1"},
    {sysreg(3, 0, 0, 0, 5), kMPIDR, "MPIDR_EL1"},
    {sysreg(3, 0, 0, 4, 0), kID_AA64PFR0, "ID_AA64PFR0_EL1"},
    {sysreg(3, 0, 0, 5, 0), kID_AA64DFR0, "ID_AA64DFR0_EL1"},
    {sysreg(3, 0, 0, 6, 0), kID_AA64ISAR0, "ID_AA64ISAR0_EL1"},
    {sysreg(3, 0, 0, 7, 0), kID_AA64MMFR0, "ID_AA64MMFR0_EL1"},
};
}  // namespace idreg

// EL0-readable identification registers that are not trapped (Arm ARM D19.2).
// CTR_EL0: RES1 [31], CWG [27:24] = 4 and ERG [23:20] = 4 (64 bytes), DminLine [19:16] = 4 and
// IminLine [3:0] = 4 (64-byte lines), L1Ip [15:14] = 3 (PIPT), IDC = DIC = 0 so that guest
// JITs issue DC CVAU / IC IVAU, which is how xvm learns that code changed.
constexpr uint64_t kCTR_EL0 = 0x8444c004;
// DCZID_EL0: BS [3:0] = 4 (2^4 words = 64-byte DC ZVA blocks), DZP [4] = 0 (DC ZVA allowed).
constexpr uint64_t kDCZID_EL0 = 0x4;
constexpr unsigned kDczvaBytes = 4u << (kDCZID_EL0 & 0xf);
// CNTFRQ_EL0: the generic timer runs at 1 GHz (the ARMv8.6 fixed frequency), so CNTVCT_EL0 is
// the host's CLOCK_MONOTONIC in nanoseconds.
constexpr uint64_t kCNTFRQ_EL0 = 1'000'000'000;

}  // namespace xvm::arm64
