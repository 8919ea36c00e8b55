// Each rule looks at the first stop where the two runs differ (and the instruction at the
// exception's return address there) and recognises one known difference. The xvm-side rules
// name xvm bugs found by this test (reported to the lead, src/ untouched); the Unicorn-side
// rules name QEMU 5.0 behaviour; the rest are choices the Arm ARM leaves open.
#include "sys_exclusions.h"

#include "sys_compare.h"

namespace xvm::difftest::sys {
namespace {

enum Rule {
  kUnicornEl0DaifTrap,  // Unicorn's ESR is wrong
  kDcZvaFar,            // xvm probably wrong (see the doc); excused
  kPageCrossOrder,      // allowed either way
  kIllegalReturn,       // different models: Unicorn's A57 has EL2/EL3
  kUnicornPcAlignment,  // QEMU 5.0 has no PC alignment fault
  kUnicornParSh,        // QEMU 5.0 reports the descriptor's SH for Device/Non-cacheable
};

// Fixed in xvm after this test found them (their rules are gone, so the test now guards the
// fixes): PAR_EL1's RES1 bit 11 and SH; EL0 cache maintenance and DAIF accesses trapped with
// EC 0x18 under SCTLR_EL1.DZE/UCI/UMA; MSR SPSel, Xt; FAR of a fault on an access's second page.
const char* const kNames[kNumExclusions] = {
    "Unicorn: an EL0 DAIF access with SCTLR_EL1.UMA = 0 traps with ESR = 0 (IL = 0); xvm "
    "reports EC 0x18 with IL = 1 (Arm ARM, ISS for MSR/MRS traps)",
    "DC ZVA abort: xvm reports the block base in FAR_EL1, Unicorn the address in Xt",
    "page-crossing access faulting on both pages: either fault may be reported",
    "illegal exception return: xvm (no EL2/EL3) raises an Illegal Execution state exception "
    "(EC 0x0E) at the return address (Arm ARM); Unicorn's A57 has EL2/EL3, so some of these "
    "returns are legal there, and it does not raise EC 0x0E for the rest",
    "Unicorn: an ERET to a misaligned address faults with EC 0x00 at the target; xvm raises "
    "the PC alignment fault, EC 0x22 (Arm ARM, \"PC alignment checking\"; QEMU added it after "
    "5.0)",
    "Unicorn: PAR_EL1.SH after an AT of Device or Normal Non-cacheable memory is the "
    "descriptor's; xvm reports 0b10, Outer Shareable (Arm ARM, PAR_EL1.SH)",
};

uint32_t insn_at(const SysCase& c, uint64_t va) {
  if (va < kCodeVa || va >= c.end_va() || (va & 3)) return 0;
  return c.code[(va - kCodeVa) / 4];
}
unsigned ec(uint64_t esr) {
  return unsigned(esr >> 26) & 0x3f;
}
bool is_dc_zva(uint32_t i) {
  return (i & ~31u) == 0xd50b7420u;
}
bool is_daif_access(uint32_t i) {
  const bool msr_imm = (i & 0xfffff01fu) == 0xd503401fu && ((i >> 5) & 7) >= 6;  // DAIFSet/Clr
  const bool daif_reg = (i & 0xffdfffe0u) == 0xd51b4220u;  // MRS/MSR DAIF
  return msr_imm || daif_reg;
}

}  // namespace

const char* exclusion_name(size_t k) {
  return k < kNumExclusions ? kNames[k] : "?";
}

int classify(const SysCase& c, const SysRun& x, const SysRun& u) {
  size_t k = 0;
  while (k < x.stops.size() && k < u.stops.size() && compare(x.stops[k], u.stops[k]).empty()) ++k;
  if (k < x.stops.size() && x.stops[k].exception && ec(x.stops[k].esr) == 0x0e)
    return kIllegalReturn;
  if (k >= x.stops.size() || k >= u.stops.size()) return -1;
  const SysSnap& a = x.stops[k];
  const SysSnap& b = u.stops[k];
  if (a.exception && b.exception && a.elr == b.elr && (a.elr & 3) && ec(a.esr) == 0x22 &&
      b.esr == uint64_t{1} << 25)  // EC 0x00 with IL = 1
    return kUnicornPcAlignment;
  {
    // Only PAR_EL1.SH differs (in PAR_EL1 and in registers an MRS copied it to), for memory
    // whose attribute (PAR_EL1[63:56], from MAIR) is Device (0b0000xxxx) or Normal
    // Non-cacheable (0x44).
    constexpr uint64_t kSh = uint64_t{3} << 7;
    SysSnap same = b;
    same.par = (b.par & ~kSh) | (a.par & kSh);
    for (int i = 0; i < 31; ++i)
      if (b.x[i] == b.par && a.x[i] == a.par) same.x[i] = a.x[i];
    const uint64_t attr = a.par >> 56;
    if (!(a.par & 1) && a.par != b.par && compare(a, same).empty() &&
        ((attr & 0xf0) == 0 || attr == 0x44) && ((a.par >> 7) & 3) == 0b10)
      return kUnicornParSh;
  }
  const uint32_t at_x = a.exception ? insn_at(c, a.elr) : 0;
  const uint32_t at_u = b.exception ? insn_at(c, b.elr) : 0;
  if (a.exception && (a.spsr & 0xf) == 0 && ec(a.esr) == 0x18 && b.esr == 0 &&
      is_daif_access(at_x))
    return kUnicornEl0DaifTrap;
  if (a.exception && b.exception && a.elr == b.elr && is_abort(a.esr) && is_abort(b.esr)) {
    if (is_dc_zva(at_x) && a.esr == b.esr && (a.far & ~63ull) == (b.far & ~63ull))
      return kDcZvaFar;
    const uint64_t lo = a.far < b.far ? a.far : b.far, hi = a.far < b.far ? b.far : a.far;
    if (!is_dc_zva(at_x) && hi - lo < 16 && (lo >> 12) != (hi >> 12) && at_x == at_u)
      return kPageCrossOrder;
  }
  return -1;
}

}  // namespace xvm::difftest::sys
