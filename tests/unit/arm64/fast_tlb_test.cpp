// The fast TLB translated code probes in system mode (arch/arm64/system/system.h
// FastTlbEntry) and the code versions the system JIT checks its blocks against
// (code_versions.h). Expected permissions come from the Arm ARM's AP[2:1] table for stage 1 of
// the EL1&0 regime (AP = 00: EL1 read/write, EL0 none; 01: both read/write; 10: EL1 read-only,
// EL0 none; 11: both read-only) and its ASID rules (nG = 0 entries match every ASID).
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "arch/arm64/features.h"
#include "arch/arm64/system/code_versions.h"
#include "arch/arm64/system/system.h"
#include "test_ram.h"

namespace xvm::arm64::sys {
namespace {

// 1 MiB of RAM at physical 0 (tables at 0x2000..0x4fff, data pages from 0x10000); physical
// 0x100000 and up is device memory that answers reads with 0x77.
struct Ram : TestRam {
  Ram() : TestRam(1 << 20, 0x77) {}
};

constexpr uint64_t kAf = 1u << 10, kNg = 1u << 11;
constexpr uint64_t ap(unsigned v) { return uint64_t{v} << 6; }
constexpr uint64_t kAny = ~uint64_t{0};

struct FastTlb : ::testing::Test {
  Ram ram;
  System sys{ram, 0};
  Cpu cpu;
  void SetUp() override {
    // 39-bit VA (T0SZ = 25, start at level 1): L1 0x2000 -> L2 0x3000 -> L3 0x4000.
    ram.put64(0x2000, 0x3000 | 3);
    ram.put64(0x3000, 0x4000 | 3);
    sys.state.el = 1;
    sys.state.tcr_el1 = 25 | (uint64_t{25} << 16) | (uint64_t{2} << 30);
    sys.state.ttbr0_el1 = 0x2000;
    sys.state.sctlr_el1 = 1;  // MMU on
    sys.translation_changed();
    cpu.sys = &sys;
  }
  // Maps virtual page `va` to physical `pa` with descriptor bits `attrs` (AF added).
  void map(uint64_t va, uint64_t pa, uint64_t attrs) {
    ram.put64(0x4000 + 8 * ((va >> 12) & 511), pa | 3 | kAf | attrs);
  }
  const System::FastTlbEntry& slot(unsigned el, uint64_t va) {
    return sys.fast_tlb(el)[(va >> 12) & (System::kFastTlbEntries - 1)];
  }
  // Whether translated code's probe of an n-byte access would hit, and where it would go.
  uint8_t* hit(unsigned el, uint64_t va, unsigned n, bool write) {
    const System::FastTlbEntry& f = slot(el, va);
    const uint64_t tag = (va + n - 1) & ~uint64_t{0xfff};
    if ((write ? f.write_tag : f.read_tag) != tag) return nullptr;
    return reinterpret_cast<uint8_t*>(va + f.addend);
  }
};

TEST_F(FastTlb, ReadWritePageHitsForBothAndPointsAtItsRam) {
  map(0x5000, 0x10000, ap(0));
  EXPECT_EQ(hit(1, 0x5008, 8, false), nullptr);  // empty until something translates it
  sys.load(cpu, 0x5000, 4);
  EXPECT_EQ(hit(1, 0x5008, 8, false), ram.mem.data() + 0x10008);
  EXPECT_EQ(hit(1, 0x5ff8, 8, true), ram.mem.data() + 0x10ff8);
  // AP = 00: nothing for EL0, and the EL0 table was not filled by an EL1 access.
  EXPECT_EQ(hit(0, 0x5008, 8, false), nullptr);
}

TEST_F(FastTlb, PageCrossingAccessNeverHits) {
  map(0x5000, 0x10000, ap(0));
  sys.load(cpu, 0x5000, 4);
  EXPECT_NE(hit(1, 0x5ff8, 8, false), nullptr);
  EXPECT_EQ(hit(1, 0x5ffc, 8, false), nullptr);
  EXPECT_EQ(hit(1, 0x5fff, 2, true), nullptr);
}

TEST_F(FastTlb, ReadOnlyPageHasNoWriteTag) {
  map(0x6000, 0x11000, ap(2));  // EL1 read-only
  sys.load(cpu, 0x6000, 8);
  EXPECT_NE(hit(1, 0x6000, 8, false), nullptr);
  EXPECT_EQ(hit(1, 0x6000, 8, true), nullptr);
}

TEST_F(FastTlb, El0EntriesFollowEl0Permissions) {
  map(0x7000, 0x12000, ap(3));  // read-only at both ELs
  sys.state.el = 0;
  sys.load(cpu, 0x7000, 1);
  EXPECT_NE(hit(0, 0x7000, 1, false), nullptr);
  EXPECT_EQ(hit(0, 0x7000, 1, true), nullptr);
  EXPECT_EQ(hit(1, 0x7000, 1, false), nullptr);  // filled for the EL that asked only
}

TEST_F(FastTlb, DeviceMemoryIsNeverCached) {
  map(0x8000, 0x100000, ap(0));
  EXPECT_EQ(sys.load(cpu, 0x8000, 4), 0x77u);
  EXPECT_EQ(hit(1, 0x8000, 4, false), nullptr);
  EXPECT_EQ(hit(1, 0x8000, 4, true), nullptr);
}

TEST_F(FastTlb, TlbiByVaDropsThePage) {
  map(0x5000, 0x10000, ap(0));
  map(0x6000, 0x11000, ap(0));
  sys.load(cpu, 0x5000, 4);
  sys.load(cpu, 0x6000, 4);
  ASSERT_TRUE(sys.sys_op(cpu, sysreg(1, 0, 8, 7, 1), 0x5000 >> 12));  // TLBI VAE1
  EXPECT_EQ(hit(1, 0x5000, 4, false), nullptr);
  EXPECT_NE(hit(1, 0x6000, 4, false), nullptr);
}

// TBI (TCR_EL1.TBI0): a tagged pointer reaches the same page, and a TLBI of the page (by its
// untagged address, as Linux issues it) must drop what the tagged accesses cached too.
TEST_F(FastTlb, TlbiByVaDropsTaggedAliases) {
  sys.state.tcr_el1 |= uint64_t{1} << 37;  // TBI0
  sys.translation_changed();
  map(0x5000, 0x10000, ap(0));
  std::memcpy(ram.mem.data() + 0x10000, "A", 1);
  std::memcpy(ram.mem.data() + 0x11000, "B", 1);
  const uint64_t tagged = 0x5000 | (uint64_t{0x12} << 56);
  EXPECT_EQ(sys.load(cpu, tagged, 1), uint64_t{'A'});
  map(0x5000, 0x11000, ap(0));
  ASSERT_TRUE(sys.sys_op(cpu, sysreg(1, 0, 8, 7, 1), 0x5000 >> 12));  // TLBI VAE1
  EXPECT_EQ(hit(1, tagged, 1, false), nullptr);
  EXPECT_EQ(sys.load(cpu, tagged, 1), uint64_t{'B'});
}

TEST_F(FastTlb, AsidChangeKeepsGlobalPagesOnly) {
  map(0x5000, 0x10000, ap(0));        // global
  map(0x6000, 0x11000, ap(1) | kNg);  // this ASID's
  sys.load(cpu, 0x5000, 4);
  sys.load(cpu, 0x6000, 4);
  sys.state.el = 0;
  sys.load(cpu, 0x6000, 4);
  sys.state.el = 1;
  sys.state.ttbr0_el1 = 0x2000 | (uint64_t{5} << 48);  // another ASID, same tables
  sys.translation_changed();
  EXPECT_NE(hit(1, 0x5000, 4, false), nullptr);
  EXPECT_EQ(hit(1, 0x6000, 4, false), nullptr);
  EXPECT_EQ(hit(0, 0x6000, 4, false), nullptr);
}

TEST_F(FastTlb, WholeFlushEmptiesBothTables) {
  map(0x5000, 0x10000, ap(1));
  sys.load(cpu, 0x5000, 4);
  sys.state.el = 0;
  sys.load(cpu, 0x5000, 4);
  sys.state.el = 1;
  ASSERT_TRUE(sys.sys_op(cpu, sysreg(1, 0, 8, 7, 0), 0));  // TLBI VMALLE1
  EXPECT_EQ(hit(0, 0x5000, 4, false), nullptr);
  EXPECT_EQ(hit(1, 0x5000, 4, false), nullptr);
}

TEST(CodeVersions, OnlyPagesCodeWasDecodedFromChange) {
  std::vector<uint8_t> ram(16 << 12);
  CodeVersions v(ram.data(), ram.size());
  const uint8_t* p3 = ram.data() + (3 << 12);
  v.bump(p3);  // nobody decoded from it: nothing to tell
  EXPECT_EQ(v.version(p3), 0u);
  EXPECT_EQ(v.epoch(), 0u);
  v.note_decoded(p3);
  v.bump(p3);
  EXPECT_EQ(v.version(p3), 1u);
  EXPECT_EQ(v.epoch(), 1u);
  v.bump(p3);  // not decoded again since: no change
  EXPECT_EQ(v.version(p3), 1u);
  EXPECT_EQ(v.version(ram.data() + (4 << 12)), 0u);
  v.bump_all();
  EXPECT_EQ(v.all_generation(), 1u);
  EXPECT_EQ(v.epoch(), 2u);
  EXPECT_EQ(v.version(ram.data() + ram.size()), 0u);  // outside RAM: always 0
}

TEST_F(FastTlb, IcIvauBumpsTheRamPageTheAddressMapsTo) {
  CodeVersions versions(ram.mem.data(), ram.mem.size());
  sys.set_code_versions(&versions);
  map(0x5000, 0x10000, ap(0));
  const uint8_t* page = ram.mem.data() + 0x10000;
  versions.note_decoded(page);
  ASSERT_TRUE(sys.sys_op(cpu, sysreg(1, 3, 7, 5, 1), 0x5040));  // IC IVAU
  EXPECT_EQ(versions.version(page), 1u);
  versions.note_decoded(page);
  ASSERT_TRUE(sys.sys_op(cpu, sysreg(1, 0, 7, 5, 0), 0));  // IC IALLU
  EXPECT_EQ(versions.all_generation(), 1u);
  ASSERT_TRUE(sys.sys_op(cpu, sysreg(1, 3, 7, 5, 1), 0x9000));  // unmapped: nothing happens
  EXPECT_EQ(versions.version(page), 1u);
}

}  // namespace
}  // namespace xvm::arm64::sys
