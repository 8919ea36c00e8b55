// Each rule looks at the first stop where the two runs differ (and the instruction at the
// exception's return address there) and recognises one known difference. The xvm-side rules
// name xvm bugs found by this test (reported to the lead, src/ untouched); the Unicorn-side
// rules name QEMU 5.0 behaviour; the rest are choices the Arm ARM leaves open.
#include "sys_exclusions.h"

#include "sys_compare.h"

namespace xvm::difftest::sys {
namespace {

enum Rule {
  kXvmParFormat,        // xvm bug
  kXvmEl0CacheTrap,     // xvm bug
  kXvmEl0DaifTrap,      // xvm bug (and Unicorn's ESR for it is wrong too)
  kXvmMsrSpsel,         // xvm bug
  kDcZvaFar,            // xvm probably wrong (see the doc); excused
  kPageCrossOrder,      // allowed either way
  kXvmPageCrossFar,     // xvm bug (probably): FAR of the second page's fault
};

const char* const kNames[kNumExclusions] = {
    "xvm bug: PAR_EL1 lacks RES1 bit 11 and reports SH = inner shareable whatever the "
    "descriptor's SH (Arm ARM D17.2 PAR_EL1)",
    "xvm bug: EL0 DC ZVA with SCTLR_EL1.DZE = 0 and DC CVAU/CVAC/CIVAC, IC IVAU with UCI = 0 "
    "execute instead of trapping to EL1 with EC 0x18",
    "xvm bug: EL0 MSR DAIFSet/DAIFClr and MRS/MSR DAIF with SCTLR_EL1.UMA = 0 are UNDEFINED "
    "(EC 0) instead of trapped (EC 0x18); Unicorn's ESR for them is 0 (IL = 0), also wrong",
    "xvm bug: MSR SPSel, Xt (register form) is UNDEFINED at EL1",
    "DC ZVA abort: xvm reports the block base in FAR_EL1, Unicorn the address in Xt",
    "page-crossing access faulting on both pages: either fault may be reported",
    "xvm: an access faulting only on its second page reports FAR = its last byte, not the "
    "first byte of the faulting part (the page boundary)",
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

// xvm with PAR_EL1 bits 11 and 8:7 taken from Unicorn, and the same for GPRs that differ only
// there when the sequence reads PAR_EL1.
SysRun patch_par(const SysCase& c, SysRun x, const SysRun& u) {
  bool reads_par = false;
  for (uint32_t i : c.code) reads_par |= (i & ~31u) == 0xd5387400u;
  constexpr uint64_t kBits = 0x980;  // bit 11 (RES1), SH [8:7]
  constexpr uint64_t kGprBits = kBits | 0x200;  // a GPR read of PAR also holds NS (UNKNOWN)
  if (u.end == RunEnd::Skipped && x.stops.size() > u.stops.size()) {
    // Unicorn stopped at an address outside its map: compare up to there.
    x.stops.resize(u.stops.size());
    x.end = u.end;
    x.detail = u.detail;
    x.ram = u.ram;
  }
  for (size_t k = 0; k < x.stops.size() && k < u.stops.size(); ++k) {
    SysSnap& a = x.stops[k];
    const SysSnap& b = u.stops[k];
    a.par ^= (a.par ^ b.par) & kBits;
    if (reads_par)
      for (int r = 0; r < 31; ++r)
        if (((a.x[r] ^ b.x[r]) & ~kGprBits) == 0) a.x[r] = b.x[r];
    // A PAR value used as an address: the fault address differs in the same bits.
    if (reads_par && ((a.far ^ b.far) & ~kGprBits) == 0) a.far = b.far;
  }
  return x;
}

}  // namespace

const char* exclusion_name(size_t k) {
  return k < kNumExclusions ? kNames[k] : "?";
}

int classify(const SysCase& c, const SysRun& x, const SysRun& u) {
  if (compare_runs(patch_par(c, x, u), u).empty()) return kXvmParFormat;
  size_t k = 0;
  while (k < x.stops.size() && k < u.stops.size() && compare(x.stops[k], u.stops[k]).empty()) ++k;
  if (k >= x.stops.size() || k >= u.stops.size()) return -1;
  const SysSnap& a = x.stops[k];
  const SysSnap& b = u.stops[k];
  const bool from_el0_u = b.exception && (b.spsr & 0xf) == 0;
  // Unicorn trapped an EL0 cache maintenance instruction (ISS Op0 = 1) that xvm executed.
  if (from_el0_u && ec(b.esr) == 0x18 && ((b.esr >> 20) & 3) == 1) return kXvmEl0CacheTrap;
  const uint32_t at_x = a.exception ? insn_at(c, a.elr) : 0;
  const uint32_t at_u = b.exception ? insn_at(c, b.elr) : 0;
  if (a.exception && (a.spsr & 0xf) == 0 && a.esr == 0x2000000 && is_daif_access(at_x))
    return kXvmEl0DaifTrap;
  if (a.exception && a.esr == 0x2000000 && (at_x & ~31u) == 0xd5184200u) return kXvmMsrSpsel;
  if (a.exception && b.exception && a.elr == b.elr && is_abort(a.esr) && is_abort(b.esr)) {
    if (is_dc_zva(at_x) && a.esr == b.esr && (a.far & ~63ull) == (b.far & ~63ull))
      return kDcZvaFar;
    if (a.esr == b.esr && (b.far & 0xfff) == 0 && a.far > b.far && a.far - b.far < 16)
      return kXvmPageCrossFar;
    const uint64_t lo = a.far < b.far ? a.far : b.far, hi = a.far < b.far ? b.far : a.far;
    if (!is_dc_zva(at_x) && hi - lo < 16 && (lo >> 12) != (hi >> 12) && at_x == at_u)
      return kPageCrossOrder;
  }
  return -1;
}

}  // namespace xvm::difftest::sys
