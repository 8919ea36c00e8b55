#include "arch/arm64/system/mmu.h"

namespace xvm::arm64::sys {
namespace {

constexpr uint64_t bits(uint64_t v, unsigned hi, unsigned lo) {
  return (v >> lo) & ((hi - lo == 63) ? ~uint64_t{0} : ((uint64_t{1} << (hi - lo + 1)) - 1));
}

WalkResult fault(FaultKind kind, unsigned level) {
  WalkResult r;
  r.fault = {kind, uint8_t(level)};
  r.level = uint8_t(level);
  return r;
}

// TCR_EL1 fields (Arm ARM, "TCR_EL1, Translation Control Register (EL1)").
struct Tcr {
  explicit Tcr(uint64_t v) : v(v) {}
  uint64_t v;
  unsigned t0sz() const { return unsigned(bits(v, 5, 0)); }
  bool epd0() const { return bits(v, 7, 7); }
  unsigned t1sz() const { return unsigned(bits(v, 21, 16)); }
  bool a1() const { return bits(v, 22, 22); }
  bool epd1() const { return bits(v, 23, 23); }
  bool as() const { return bits(v, 36, 36); }  // 16-bit ASIDs
  bool tbi0() const { return bits(v, 37, 37); }
  bool tbi1() const { return bits(v, 38, 38); }
};

}  // namespace

WalkResult walk(const TranslationRegs& regs, uint64_t va, DescriptorReader& mem) {
  const unsigned pa_bits = regs.pa_bits;
  // SCTLR_EL1.M == 0: stage 1 disabled, the output address is the input address; one beyond
  // the implemented physical address size is an address size fault at level 0.
  if (!(regs.sctlr & 1)) {
    if (pa_bits < 64 && (va >> pa_bits) != 0) return fault(FaultKind::AddressSize, 0);
    WalkResult r;
    r.pa = va;
    r.block_size = uint64_t{1} << 12;
    r.perms = perm::kR0 | perm::kW0 | perm::kX0 | perm::kR1 | perm::kW1 | perm::kX1;
    r.mmu_off = true;
    r.level = 3;
    return r;
  }
  const Tcr tcr(regs.tcr);
  // Bit 55 selects the upper (TTBR1) or lower (TTBR0) range, whether or not the top byte is
  // ignored; the bits from the top of the range up to bit 63 (bit 55 under TBI) must all
  // equal it, else a translation fault at level 0.
  const bool upper = bits(va, 55, 55);
  unsigned tsz = upper ? tcr.t1sz() : tcr.t0sz();
  const bool tbi = upper ? tcr.tbi1() : tcr.tbi0();
  const bool disabled = upper ? tcr.epd1() : tcr.epd0();
  // ARMv8.0 allows TxSZ 16..39 with the 4K granule; other values are CONSTRAINED
  // UNPREDICTABLE, and using the nearest allowed value is one of the permitted behaviours.
  if (tsz < 16) tsz = 16;
  if (tsz > 39) tsz = 39;
  const unsigned ia = 64 - tsz;  // input address bits
  const unsigned top = tbi ? 55 : 63;
  const uint64_t high = bits(va, top, ia);
  const uint64_t ones = (uint64_t{1} << (top - ia + 1)) - 1;
  if (high != (upper ? ones : 0)) return fault(FaultKind::Translation, 0);
  if (disabled) return fault(FaultKind::Translation, 0);

  const uint64_t ttbr = upper ? regs.ttbr1 : regs.ttbr0;
  // 4K granule: 12 offset bits, 9 bits per level; the start level is the one whose index
  // holds the top of the input address (Arm ARM "Translation table walks", 4KB granule).
  const unsigned start = 4 - (ia - 12 + 8) / 9;
  const unsigned start_bits = ia - (12 + 9 * (3 - start));  // index bits at the start level
  // BADDR is TTBRn_EL1[47:1]; the bits below the start table's alignment are RES0 (ignored).
  uint64_t table = bits(ttbr, 47, 0) & ~((uint64_t{8} << start_bits) - 1);
  if (pa_bits < 48 && (table >> pa_bits) != 0) return fault(FaultKind::AddressSize, start);

  // Hierarchical attributes from table descriptors (APTable, UXNTable, PXNTable).
  bool table_no_el0 = false, table_ro = false, table_uxn = false, table_pxn = false;
  for (unsigned level = start; level <= 3; ++level) {
    const unsigned shift = 12 + 9 * (3 - level);
    const unsigned nbits = level == start ? start_bits : 9;
    const uint64_t index = bits(va, shift + nbits - 1, shift);
    uint64_t desc = 0;
    if (!mem.read_descriptor(table + index * 8, &desc)) return fault(FaultKind::ExternalWalk, level);
    if (!(desc & 1)) return fault(FaultKind::Translation, level);
    const bool is_table_or_page = desc & 2;
    if (level < 3 && is_table_or_page) {
      table = bits(desc, 47, 12) << 12;
      if (pa_bits < 48 && (table >> pa_bits) != 0) return fault(FaultKind::AddressSize, level);
      table_pxn |= bits(desc, 59, 59);
      table_uxn |= bits(desc, 60, 60);
      table_no_el0 |= bits(desc, 61, 61);
      table_ro |= bits(desc, 62, 62);
      continue;
    }
    // A page at level 3, or a block at level 1 or 2; a block at level 0 (4K granule) and
    // descriptor type 0b01 at level 3 are invalid: translation faults.
    if (level == 3 ? !is_table_or_page : level == 0) return fault(FaultKind::Translation, level);
    const uint64_t size = uint64_t{1} << shift;
    const uint64_t oa = (bits(desc, 47, shift) << shift) | (va & (size - 1));
    if (pa_bits < 48 && (oa >> pa_bits) != 0) return fault(FaultKind::AddressSize, level);
    // AF == 0 with no hardware update of the flag (ID_AA64MMFR1_EL1.HAFDBS = 0): access flag
    // fault, before any permission check.
    if (!bits(desc, 10, 10)) return fault(FaultKind::AccessFlag, level);

    // Stage 1 EL1&0 permissions (Arm ARM pseudocode AArch64.CheckS1Permission): AP[2] makes
    // the page read-only, AP[1] gives EL0 access; APTable[0] removes EL0 access and
    // APTable[1] write access below the table. EL1 never executes what EL0 can write, and
    // with SCTLR_EL1.WXN nothing executes where its own level can write.
    const bool ap2 = bits(desc, 7, 7) || table_ro;
    const bool ap1 = bits(desc, 6, 6) && !table_no_el0;
    const bool user_r = ap1, user_w = ap1 && !ap2, priv_w = !ap2;
    const bool wxn = bits(regs.sctlr, 19, 19);
    const bool uxn = bits(desc, 54, 54) || table_uxn || (wxn && user_w);
    const bool pxn = bits(desc, 53, 53) || table_pxn || user_w || (wxn && priv_w);
    WalkResult r;
    r.pa = oa;
    r.block_size = size;
    r.level = uint8_t(level);
    r.perms = perm::kR1 | (priv_w ? perm::kW1 : 0) | (pxn ? 0 : perm::kX1) |
              (user_r ? perm::kR0 : 0) | (user_w ? perm::kW0 : 0) | (uxn ? 0 : perm::kX0);
    r.attr_index = uint8_t(bits(desc, 4, 2));
    r.shareability = uint8_t(bits(desc, 9, 8));
    r.global = !bits(desc, 11, 11);
    const uint64_t asid_ttbr = tcr.a1() ? regs.ttbr1 : regs.ttbr0;
    r.asid = uint16_t(tcr.as() ? bits(asid_ttbr, 63, 48) : bits(asid_ttbr, 55, 48));
    return r;
  }
  return fault(FaultKind::Translation, 3);  // not reached: level 3 always returns
}

Fault check(const WalkResult& w, Access access, unsigned el) {
  if (w.perms & required_perm(access, el)) return {};
  return {FaultKind::Permission, w.level};
}

}  // namespace xvm::arm64::sys
