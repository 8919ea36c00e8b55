// The GICv3 CPU interface system registers ICC_*_EL1 (Arm IHI 0069 chapter 12, "GIC" below), by
// MRS/MSR encoding op0 = 3, op1 = 0.
#include <algorithm>

#include "arch/arm64/features.h"
#include "devices/gic/gicv3.h"
#include "devices/gic/gicv3_state.h"

namespace xvm::devices {

namespace {

using arm64::sysreg;

constexpr uint32_t kPMR = sysreg(3, 0, 4, 6, 0);
constexpr uint32_t kIAR0 = sysreg(3, 0, 12, 8, 0), kEOIR0 = sysreg(3, 0, 12, 8, 1),
                   kHPPIR0 = sysreg(3, 0, 12, 8, 2), kBPR0 = sysreg(3, 0, 12, 8, 3),
                   kAP0R0 = sysreg(3, 0, 12, 8, 4);
constexpr uint32_t kAP1R0 = sysreg(3, 0, 12, 9, 0);
constexpr uint32_t kDIR = sysreg(3, 0, 12, 11, 1), kRPR = sysreg(3, 0, 12, 11, 3),
                   kSGI1R = sysreg(3, 0, 12, 11, 5), kASGI1R = sysreg(3, 0, 12, 11, 6),
                   kSGI0R = sysreg(3, 0, 12, 11, 7);
constexpr uint32_t kIAR1 = sysreg(3, 0, 12, 12, 0), kEOIR1 = sysreg(3, 0, 12, 12, 1),
                   kHPPIR1 = sysreg(3, 0, 12, 12, 2), kBPR1 = sysreg(3, 0, 12, 12, 3),
                   kCTLR = sysreg(3, 0, 12, 12, 4), kSRE = sysreg(3, 0, 12, 12, 5),
                   kIGRPEN0 = sysreg(3, 0, 12, 12, 6), kIGRPEN1 = sysreg(3, 0, 12, 12, 7);

// ICC_SRE_EL1: SRE [0] = 1 (system register interface only), DFB [1] and
// DIB [2] = 1 (bypass disabled); all fixed, writes ignored. Linux panics if SRE reads 0.
constexpr uint64_t kSreValue = 0x7;
// ICC_CTLR_EL1 read-only fields: PRIbits [10:8] = 4 (5 bits), IDbits [13:11]
// = 0 (16-bit INTIDs), SEIS, A3V, RSS, ExtRange = 0.
constexpr uint64_t kCtlrFixed = uint64_t{gic::kPriBits - 1} << 8;

bool is_cpuif(uint32_t enc) {
  return enc == kPMR || (enc >= sysreg(3, 0, 12, 8, 0) && enc <= sysreg(3, 0, 12, 12, 7));
}

}  // namespace

bool Gicv3::cpu_read(unsigned cpu, uint32_t enc, uint64_t* value) {
  if (cpu >= s_->ncpu || !is_cpuif(enc)) return false;
  return s_->locked([&]() -> bool {
    State& s = *s_;
    gic::CpuIf& c = s.cpus[cpu];
    switch (enc) {
      case kPMR:
        *value = c.pmr;
        return true;
      case kIAR0:
        *value = s.acknowledge(cpu, false);
        return true;
      case kIAR1:
        *value = s.acknowledge(cpu, true);
        return true;
      case kHPPIR0:
      case kHPPIR1: {
        // GIC, ICC_HPPIR1_EL1: the highest-priority pending interrupt of the group, whatever the
        // priority mask and running priority; 1023 if none or the group is disabled here.
        const bool g1 = enc == kHPPIR1;
        *value = (g1 ? c.igrpen1 : c.igrpen0) ? s.hppi(cpu, g1) : kSpurious;
        return true;
      }
      case kBPR0:
        *value = c.bpr0;
        return true;
      case kBPR1:
        // With CBPR set, reads return BPR0 + 1 saturated at 7 (GIC, ICC_BPR1_EL1).
        *value = c.cbpr ? std::min<unsigned>(c.bpr0 + 1u, 7) : c.bpr1;
        return true;
      case kAP0R0:
        *value = c.ap0;
        return true;
      case kAP1R0:
        *value = c.ap1;
        return true;
      case kRPR:
        *value = s.running_priority(cpu);
        return true;
      case kCTLR:
        *value = kCtlrFixed | uint64_t{c.eoimode} << 1 | uint64_t{c.cbpr};
        return true;
      case kSRE:
        *value = kSreValue;
        return true;
      case kIGRPEN0:
        *value = c.igrpen0;
        return true;
      case kIGRPEN1:
        *value = c.igrpen1;
        return true;
      default:
        // Write-only (EOIR, DIR, SGI*R), unimplemented AP*R1-3 (5 priority bits need only
        // AP*R0: GIC, ICC_AP1R<n>_EL1), or an unallocated encoding: UNDEFINED.
        return false;
    }
  });
}

bool Gicv3::cpu_write(unsigned cpu, uint32_t enc, uint64_t v) {
  if (cpu >= s_->ncpu || !is_cpuif(enc)) return false;
  return s_->locked([&]() -> bool {
    State& s = *s_;
    gic::CpuIf& c = s.cpus[cpu];
    s.touch(cpu);
    const uint32_t intid = static_cast<uint32_t>(v & 0xFF'FFFF);  // INTID [23:0]
    switch (enc) {
      case kPMR:
        c.pmr = static_cast<uint8_t>(v) & gic::kPriMask;
        return true;
      case kEOIR0:
        s.end_of_interrupt(cpu, false, intid);
        return true;
      case kEOIR1:
        s.end_of_interrupt(cpu, true, intid);
        return true;
      case kDIR:
        s.deactivate(cpu, intid);
        return true;
      case kBPR0:
        // Values below the minimum read back as the minimum (GIC, ICC_BPR0_EL1).
        c.bpr0 = std::max<uint8_t>(static_cast<uint8_t>(v & 7), gic::kMinBpr0);
        return true;
      case kBPR1:
        if (!c.cbpr) c.bpr1 = std::max<uint8_t>(static_cast<uint8_t>(v & 7), gic::kMinBpr1);
        return true;
      // Active priority registers: plain storage of the implemented bits (32 priority levels),
      // written 0 by Linux at CPU init and saved/restored around power-down.
      case kAP0R0:
        c.ap0 = static_cast<uint32_t>(v);
        return true;
      case kAP1R0:
        c.ap1 = static_cast<uint32_t>(v);
        return true;
      case kSGI1R:
      case kASGI1R:  // with one security state ASGI1R also generates Group 1 SGIs
        s.generate_sgi(cpu, v, true);
        return true;
      case kSGI0R:
        s.generate_sgi(cpu, v, false);
        return true;
      case kCTLR:
        // Writable: CBPR [0], EOImode [1]; PMHE [6] is RAZ/WI here (no PMR hint).
        c.cbpr = v & 1;
        c.eoimode = (v >> 1) & 1;
        return true;
      case kSRE:
        return true;  // fixed value, writes ignored
      case kIGRPEN0:
        c.igrpen0 = v & 1;
        return true;
      case kIGRPEN1:
        c.igrpen1 = v & 1;
        return true;
      default:
        // Read-only (IAR, HPPIR, RPR), unimplemented AP*R1-3 or unallocated: UNDEFINED.
        return false;
    }
  });
}

}  // namespace xvm::devices
