// Random system-level cases: translation tables (Arm ARM D8, VMSAv8-64 stage 1, 4 KiB granule),
// the vector table, and short instruction sequences from a few templates (loads and stores to
// pages with different permissions, exception generation, EL1 system registers, ERET, AT,
// TLBI after a table change, configurable EL0 traps).
#include <cstring>

#include "sys_case.h"

namespace xvm::difftest::sys {
namespace {

// Table pages (RAM offsets).
constexpr uint64_t kL1Lo = kTables + 0x0000, kL2Lo = kTables + 0x1000, kL3Lo = kTables + 0x2000;
constexpr uint64_t kL2Alias = kTables + 0x3000, kL3Alias = kTables + 0x4000;
constexpr uint64_t kL1Hi = kTables + 0x8000, kL2Hi = kTables + 0x9000, kL3Hi = kTables + 0xa000;

void put64(std::vector<uint8_t>& ram, uint64_t off, uint64_t v) {
  std::memcpy(ram.data() + off, &v, 8);
}
void put32(std::vector<uint8_t>& ram, uint64_t off, uint32_t v) {
  std::memcpy(ram.data() + off, &v, 4);
}

// Descriptor fields (Arm ARM D8.3, "Translation table descriptor formats").
struct Leaf {
  unsigned ap = 0;       // AP[2:1]: 0 RW EL1, 1 RW EL0+EL1, 2 RO EL1, 3 RO EL0+EL1
  bool uxn = true, pxn = true, af = true, ng = false;
  unsigned sh = 3;       // 0 non-, 2 outer, 3 inner shareable (1 is reserved)
  unsigned attr = 0;     // MAIR_EL1 index
};
uint64_t leaf(uint64_t pa, const Leaf& l, bool page) {
  return pa | (page ? 3 : 1) | (uint64_t{l.attr} << 2) | (uint64_t{l.ap} << 6) |
         (uint64_t{l.sh} << 8) | (uint64_t{l.af} << 10) | (uint64_t{l.ng} << 11) |
         (uint64_t{l.pxn} << 53) | (uint64_t{l.uxn} << 54);
}
uint64_t table(uint64_t pa, uint64_t attrs = 0) {
  return pa | 3 | attrs;
}

// A64 encodings (Arm ARM C4, "A64 Instruction Set Encoding").
uint32_t ldst_uimm(unsigned size, bool load, unsigned rt, unsigned rn, unsigned imm12) {
  return 0x39000000u | size << 30 | unsigned(load) << 22 | (imm12 & 0xfff) << 10 | rn << 5 | rt;
}
uint32_t ldst_imm9(unsigned size, bool load, unsigned rt, unsigned rn, int imm9, unsigned mode) {
  // mode: 0 unscaled (LDUR/STUR), 1 post-index, 3 pre-index
  return 0x38000000u | size << 30 | unsigned(load) << 22 | (unsigned(imm9) & 0x1ff) << 12 |
         mode << 10 | rn << 5 | rt;
}
uint32_t ldst_pair(bool load, unsigned rt, unsigned rt2, unsigned rn, int imm7) {
  return 0xa9000000u | unsigned(load) << 22 | (unsigned(imm7) & 0x7f) << 15 | rt2 << 10 |
         rn << 5 | rt;
}
constexpr uint32_t mrs(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
                       unsigned rt) {
  return 0xd5200000u | op0 << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt;
}
constexpr uint32_t msr(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
                       unsigned rt) {
  return mrs(op0, op1, crn, crm, op2, rt) & ~(1u << 21);
}
constexpr uint32_t sys_insn(unsigned op1, unsigned crn, unsigned crm, unsigned op2, unsigned rt) {
  return 0xd5080000u | op1 << 16 | crn << 12 | crm << 8 | op2 << 5 | rt;
}
constexpr uint32_t kEret = 0xd69f03e0, kDsbIsh = 0xd5033b9f, kIsb = 0xd5033fdf;
constexpr uint32_t kTlbiVmalle1 = sys_insn(0, 8, 7, 0, 31);

struct SysReg {
  unsigned op0, op1, crn, crm, op2;
};
// Registers both implementations hold as plain state (no IMPLEMENTATION DEFINED value).
constexpr SysReg kReadable[] = {
    {3, 0, 1, 0, 0},   // SCTLR_EL1
    {3, 0, 1, 0, 2},   // CPACR_EL1
    {3, 0, 2, 0, 0},   // TTBR0_EL1
    {3, 0, 2, 0, 1},   // TTBR1_EL1
    {3, 0, 2, 0, 2},   // TCR_EL1
    {3, 0, 4, 0, 0},   // SPSR_EL1
    {3, 0, 4, 0, 1},   // ELR_EL1
    {3, 0, 4, 1, 0},   // SP_EL0
    {3, 0, 4, 2, 0},   // SPSel
    {3, 0, 4, 2, 2},   // CurrentEL
    {3, 0, 5, 2, 0},   // ESR_EL1
    {3, 0, 6, 0, 0},   // FAR_EL1
    {3, 0, 7, 4, 0},   // PAR_EL1
    {3, 0, 10, 2, 0},  // MAIR_EL1
    {3, 0, 12, 0, 0},  // VBAR_EL1
    {3, 0, 13, 0, 4},  // TPIDR_EL1
    {3, 3, 4, 2, 0},   // NZCV
    {3, 3, 4, 2, 1},   // DAIF (EL0: SCTLR_EL1.UMA)
    {3, 3, 13, 0, 2},  // TPIDR_EL0
    {3, 3, 13, 0, 3},  // TPIDRRO_EL0
};
// Writes whose value cannot derail the sequence (no translation or vector change).
constexpr SysReg kWritable[] = {
    {3, 0, 4, 1, 0},   // SP_EL0
    {3, 0, 4, 2, 0},   // SPSel
    {3, 0, 6, 0, 0},   // FAR_EL1
    {3, 0, 10, 2, 0},  // MAIR_EL1 (only PAR's attribute field depends on it)
    {3, 0, 13, 0, 4},  // TPIDR_EL1
    {3, 3, 4, 2, 0},   // NZCV
    {3, 3, 4, 2, 1},   // DAIF
    {3, 3, 13, 0, 2},  // TPIDR_EL0
    {3, 3, 13, 0, 3},  // TPIDRRO_EL0 (EL0: read-only)
};
constexpr unsigned kSpsrReg = 23;  // MSR SPSR_EL1 takes a sane SPSR from X23

// Virtual addresses worth pointing at.
constexpr uint64_t kTargets[] = {
    0x0,                       // null page: invalid level-3 entry
    kCodeVa,                   // code: RO at both levels
    kDataVa + 0x0000, kDataVa + 0x1000, kDataVa + 0x2000, kDataVa + 0x3000,
    kDataVa + 0x4000, kDataVa + 0x5000, kDataVa + 0x6000, kDataVa + 0x7000,
    kBlockVa, kBlockVa + 0x1ff000,
    0x400000,                  // invalid level-2 entry
    kAliasVa, kAliasVa + 0x1000, kAliasVa + 0x2000,
    kKernelVa, kKernelVa + 0x1000, kKernelVa + 0x2000, kKernelVa + 0x3000,
    0x80'0000'0000,            // just past the 39-bit TTBR0 range
    0xffff'ff7f'ffff'f000,     // just below the 39-bit TTBR1 range
    0x0080'0000'0000'0000,     // bit 55 set, upper bits clear: neither range
};

struct Gen {
  std::mt19937_64 rng;
  uint64_t r() { return rng(); }
  unsigned below(unsigned n) { return unsigned(rng() % n); }
  bool chance(unsigned pct) { return below(100) < pct; }

  uint64_t pointer() {
    const uint64_t base = kTargets[below(std::size(kTargets))];
    switch (below(5)) {
      case 0: return base;
      case 1: return base + (r() & 0xff8);
      case 2: return base + (r() & 0xfff);
      case 3: return base + 0xff0 + below(16);  // near the end: accesses cross the page
      default: return base + (r() & 0x3f);
    }
  }
  uint64_t value() {
    // Arbitrary 64-bit values are rare: Unicorn cannot run an access outside its memory map
    // (sys_unicorn.cpp), so such a case is skipped.
    const unsigned k = below(20);
    if (k < 12) return pointer();
    if (k < 15) return below(64);
    if (k < 18) return uint64_t(-int64_t(below(64)));
    return r();
  }
  unsigned reg() { return below(16); }
  unsigned other_reg(unsigned a) {
    unsigned b;
    do b = reg(); while (b == a);
    return b;
  }
  uint64_t spsr() {
    static constexpr uint64_t kModes[] = {0b00000, 0b00000, 0b00100, 0b00101, 0b00101,
                                          0b00001, 0b01000, 0b01001, 0b00010, 0b01100};
    uint64_t v = kModes[below(std::size(kModes))] | (r() & 0xf000'03c0);
    if (chance(5)) v |= 1u << 20;  // IL
    return v;
  }
  void emit(std::vector<uint32_t>& c);
};

void Gen::emit(std::vector<uint32_t>& c) {
  const unsigned pick = below(100);
  const unsigned rt = reg(), rn = reg();
  if (pick < 30) {  // single load/store
    const unsigned size = below(4);
    const bool load = chance(50);
    switch (below(3)) {
      case 0: c.push_back(ldst_uimm(size, load, rt, rn, below(8))); break;
      case 1: c.push_back(ldst_imm9(size, load, rt, rn, int(below(32)) - 16, 0)); break;
      default: {
        const unsigned t = other_reg(rn);  // writeback with Rt == Rn is CONSTRAINED UNPREDICTABLE
        c.push_back(ldst_imm9(size, load, t, rn, int(below(64)) - 32, chance(50) ? 1 : 3));
      }
    }
  } else if (pick < 37) {  // LDP/STP of X registers
    const bool load = chance(50);
    const unsigned t2 = load ? other_reg(rt) : reg();  // LDP with Rt == Rt2 is UNPREDICTABLE
    c.push_back(ldst_pair(load, rt, t2, rn, int(below(8)) - 4));
  } else if (pick < 41) {
    c.push_back(0xd4000001u | (r() & 0xffff) << 5);  // SVC
  } else if (pick < 44) {
    c.push_back(0xd4200000u | (r() & 0xffff) << 5);  // BRK
  } else if (pick < 46) {
    c.push_back(uint32_t(r() & 0xffff));             // UDF #imm16
  } else if (pick < 48) {
    c.push_back(0xd4000002u | (r() & 0xffff) << 5);  // HVC: UNDEF at EL0 (EL1: skipped)
  } else if (pick < 58) {
    const SysReg& s = kReadable[below(std::size(kReadable))];
    c.push_back(mrs(s.op0, s.op1, s.crn, s.crm, s.op2, rt));
  } else if (pick < 64) {
    if (chance(25)) {
      c.push_back(msr(3, 0, 4, 0, 0, kSpsrReg));  // SPSR_EL1 from X23
    } else {
      const SysReg& s = kWritable[below(std::size(kWritable))];
      c.push_back(msr(s.op0, s.op1, s.crn, s.crm, s.op2, rt));
    }
  } else if (pick < 68) {  // MSR DAIFSet/DAIFClr/SPSel (immediate)
    static constexpr unsigned kOps[][2] = {{3, 6}, {3, 7}, {0, 5}};
    const auto& o = kOps[below(3)];
    c.push_back(0xd500401fu | o[0] << 16 | below(16) << 8 | o[1] << 5);
  } else if (pick < 75) {
    c.push_back(kEret);
  } else if (pick < 81) {  // AT S1E1R/S1E1W/S1E0R/S1E0W, then read PAR_EL1
    c.push_back(sys_insn(0, 7, 8, below(4), rn));
    c.push_back(mrs(3, 0, 7, 4, 0, rt));
  } else if (pick < 85) {  // change a level-3 entry, then invalidate (Arm ARM D8.13 TLB maintenance)
    c.push_back(ldst_uimm(3, false, kPteValReg, kPteReg, 0));
    c.push_back(kDsbIsh);
    c.push_back(chance(50) ? kTlbiVmalle1 : sys_insn(0, 8, 7, 1, kPteVaReg));  // VMALLE1 / VAE1
    c.push_back(kDsbIsh);
    c.push_back(kIsb);
  } else if (pick < 88) {
    // WFE: traps from EL0 when SCTLR_EL1.nTWE = 0. No WFI: Unicorn implements its stop
    // address as an imitated WFI, which an EL0 with nTWI = 0 would trap (docs/difftest.md).
    c.push_back(0xd503205fu);
  } else if (pick < 92) {  // EL0 cache maintenance traps: DC ZVA (DZE), DC CVAU / IC IVAU (UCI)
    static constexpr uint32_t kOps[] = {sys_insn(3, 7, 4, 1, 0), sys_insn(3, 7, 11, 1, 0),
                                        sys_insn(3, 7, 5, 1, 0)};
    c.push_back(kOps[below(3)] | rn);
  } else if (pick < 95) {
    c.push_back(0x9e670000u | rn << 5);  // FMOV D0, Xn: CPACR_EL1.FPEN traps
  } else {
    c.push_back(0x91000000u | below(64) << 10 | rn << 5 | rt);  // ADD Xt, Xn, #imm
  }
}

}  // namespace

uint64_t SysCase::boot_spsr() const {
  const uint64_t mode = el == 0 ? 0b00000 : (sp_sel ? 0b00101 : 0b00100);
  return uint64_t{nzcv} | (daif & 0x3c0) | mode;
}

SysCase make_case(uint64_t seed, uint64_t index) {
  Gen g{std::mt19937_64(seed * 0x9e3779b97f4a7c15ull + index)};
  SysCase c;
  c.ram.assign(kRamSize, 0);
  // Random contents in the data pages and the start of the block.
  for (uint64_t o = kDataPages; o < kDataPages + kNumData * kPageSize; o += 8) put64(c.ram, o, g.r());
  for (uint64_t o = kBlockPa; o < kBlockPa + 0x2000; o += 8) put64(c.ram, o, g.r());
  for (uint64_t o = kBlockPa + 0x1ff000; o < kBlockPa + 0x200000; o += 8) put64(c.ram, o, g.r());

  // Vector table: 16 entries of 0x80 bytes; each skips the instruction at ELR_EL1 and
  // returns, so that a sequence continues after every exception.
  for (unsigned v = 0; v < 16; ++v) {
    const uint64_t o = kKernelPage + 0x80 * v;
    put32(c.ram, o + 0, mrs(3, 0, 4, 0, 1, kStubReg));                 // MRS X27, ELR_EL1
    put32(c.ram, o + 4, 0x91001000u | kStubReg << 5 | kStubReg);       // ADD X27, X27, #4
    put32(c.ram, o + 8, msr(3, 0, 4, 0, 1, kStubReg));                 // MSR ELR_EL1, X27
    put32(c.ram, o + 12, kEret);
  }
  // Boot stub (Unicorn only: it establishes PSTATE with an exception return).
  put32(c.ram, kKernelPage + 0x800, kTlbiVmalle1);
  put32(c.ram, kKernelPage + 0x804, kDsbIsh);
  put32(c.ram, kKernelPage + 0x808, kIsb);
  put32(c.ram, kKernelPage + 0x80c, kEret);

  // Translation tables.
  const uint64_t B = kRamBase;
  Leaf code{.ap = 3, .uxn = false, .pxn = false};
  put64(c.ram, kL3Lo + 8 * 1, leaf(B + kCodePage, code, true));
  Leaf d[kNumData];
  static constexpr unsigned kSh[] = {0, 2, 3};
  for (unsigned i = 0; i < kNumData; ++i) {
    d[i].sh = kSh[g.below(3)];
    d[i].attr = g.chance(25) ? 2 : 0;
    d[i].ng = g.chance(20);
  }
  d[0].ap = 0;
  d[1].ap = 1;
  d[2].ap = 2;
  d[3].ap = 3;
  d[4].ap = 1, d[4].af = false;
  d[6].ap = g.below(4);
  for (unsigned i = 0; i < kNumData; ++i) {
    uint64_t desc = leaf(B + kDataPages + i * kPageSize, d[i], true);
    if (i == 5) desc &= ~uint64_t{1};  // invalid
    if (i == 7) desc &= ~uint64_t{2};  // type 0b01 at level 3: reserved, a translation fault
    put64(c.ram, kL3Lo + 8 * (2 + i), desc);
  }
  put64(c.ram, kL3Lo + 8 * 0x10, leaf(B + kL3Lo, Leaf{.ap = 0}, true));  // the table window
  put64(c.ram, kL2Lo + 0, table(B + kL3Lo));
  put64(c.ram, kL2Lo + 8, leaf(B + kBlockPa, Leaf{.ap = 1, .sh = kSh[g.below(3)]}, false));
  put64(c.ram, kL1Lo + 0, table(B + kL2Lo));
  // APTable [62:61], UXNTable [60], PXNTable [59] restrict everything below (D8.3.2).
  put64(c.ram, kL1Lo + 8, table(B + kL2Alias, (g.r() & 0xf) << 59));
  put64(c.ram, kL2Alias, table(B + kL3Alias));
  put64(c.ram, kL3Alias + 0, leaf(B + kDataPages + kPageSize, Leaf{.ap = 1}, true));
  put64(c.ram, kL3Alias + 8, leaf(B + kCodePage, code, true));
  put64(c.ram, kL3Alias + 16, leaf(B + kDataPages, Leaf{.ap = 3, .af = g.chance(70)}, true));
  put64(c.ram, kL1Hi, table(B + kL2Hi));
  put64(c.ram, kL2Hi, table(B + kL3Hi));
  put64(c.ram, kL3Hi + 0, leaf(B + kKernelPage, Leaf{.ap = 2, .pxn = false}, true));
  put64(c.ram, kL3Hi + 8, leaf(B + kDataPages, Leaf{.ap = 0}, true));
  put64(c.ram, kL3Hi + 16, leaf(B + kDataPages + 3 * kPageSize, Leaf{.ap = 1}, true));

  // System registers.
  // SCTLR_EL1 (D17.2.118): RES1 bits, M, C, I; random EL0 controls UMA (9), nTWI (16), nTWE
  // (18), UCI (26), DZE (14), UCT (15); nTWI (16) always set (see the WFE template).
  c.sctlr = 0x30d00800u | 1 | (1u << 2) | (1u << 12) | (1u << 16);
  for (unsigned bit : {9u, 14u, 15u, 18u, 26u})
    if (g.chance(50)) c.sctlr |= uint64_t{1} << bit;
  // TCR_EL1: T0SZ = T1SZ = 25, WB-WA inner/outer, inner shareable, TG0 = 4K (0b00), TG1 =
  // 4K (0b10), IPS = 40 bits; TBI off, 8-bit ASIDs, A1 = 0.
  c.tcr = 25 | (1u << 8) | (1u << 10) | (3u << 12) | (uint64_t{25} << 16) | (1u << 24) |
          (1u << 26) | (3u << 28) | (uint64_t{2} << 30) | (uint64_t{2} << 32);
  c.mair = 0x44'00'ff;  // Attr0 normal WB, Attr1 device nGnRnE, Attr2 normal NC
  c.ttbr0 = B + kL1Lo;
  c.ttbr1 = B + kL1Hi;
  static constexpr uint64_t kFpen[] = {0, 1, 3};
  c.cpacr = kFpen[g.below(3)] << 20;

  // The sequence, then its entry state.
  const unsigned n = 1 + g.below(8);
  c.code.push_back(0xd503201f);  // NOP: where Unicorn's boot stub lands (sys_unicorn.cpp)
  while (c.code.size() < n + 1) g.emit(c.code);
  for (size_t i = 0; i < c.code.size(); ++i) put32(c.ram, kCodePage + 4 * i, c.code[i]);

  for (unsigned i = 0; i < 31; ++i) c.x[i] = g.value();
  c.x[kStubReg] = g.r();
  const unsigned pte = g.below(kNumData);
  c.x[kPteReg] = kPtWindowVa + 8 * (2 + pte);
  Leaf nl{.ap = g.below(4), .uxn = true, .pxn = true, .af = g.chance(80), .sh = 3};
  uint64_t nd = leaf(B + kDataPages + (g.below(kNumData)) * kPageSize, nl, true);
  if (g.chance(15)) nd &= ~uint64_t{1};
  c.x[kPteValReg] = nd;
  c.x[kPteVaReg] = (kDataVa + pte * kPageSize) >> 12;
  c.x[kSpsrReg] = g.spsr();
  c.sp_el0 = g.pointer() & ~uint64_t{15};
  c.sp_el1 = g.pointer() & ~uint64_t{15};
  c.el = g.below(2);
  c.sp_sel = c.el == 1 && g.chance(70);
  c.nzcv = uint32_t(g.r()) & 0xf000'0000u;
  c.daif = g.r() & 0x3c0;
  c.spsr = g.spsr();
  // ELR_EL1 for an ERET in the sequence: a later slot (so that every sequence ends), rarely a
  // misaligned pc or a page that cannot be executed.
  size_t first_eret = c.code.size();
  for (size_t i = 0; i < c.code.size(); ++i)
    if (c.code[i] == kEret) {
      first_eret = i;
      break;
    }
  c.elr = kCodeVa + 4 * (first_eret + 1 + g.below(unsigned(c.code.size() - first_eret) + 0));
  if (first_eret == c.code.size()) c.elr = kCodeVa + 4 * c.code.size();
  if (g.chance(4)) c.elr += 2;
  else if (g.chance(4)) c.elr = kDataVa + 0x1000;
  c.esr = g.r() & 0xffff'ffff;
  c.far = g.r();
  c.par = g.r() & 0xff'ffff'fffe;  // an old successful result
  c.tpidr_el1 = g.r();
  c.v0[0] = g.r();
  c.v0[1] = g.r();
  return c;
}

std::string describe_va(uint64_t va) {
  static const char* kData[] = {"D0 RW EL1",  "D1 RW EL0/1", "D2 RO EL1",  "D3 RO EL0/1",
                                "D4 AF=0",    "D5 invalid",  "D6 random AP nG?", "D7 type 0b01"};
  if (va >= kDataVa && va < kDataVa + kNumData * kPageSize) return kData[(va - kDataVa) >> 12];
  if (va >= kCodeVa && va < kCodeVa + kPageSize) return "code";
  if (va < kPageSize) return "null page";
  if (va >= kBlockVa && va < kBlockVa + 0x200000) return "2M block";
  if (va >= kAliasVa && va < kAliasVa + 0x3000) return "alias under APTable";
  if (va >= kKernelVa && va < kKernelVa + 0x4000) return "TTBR1";
  return "";
}

}  // namespace xvm::difftest::sys
