// Stage-1 EL1&0 translation (arch/arm64/system/mmu.h) on translation tables built here from
// the descriptor formats of the Arm ARM ("VMSAv8-64 translation table format descriptors":
// bits 1:0 type, 4:2 AttrIndx, 7:6 AP[2:1], 10 AF, 11 nG, 47:12 output address, 53 PXN,
// 54 UXN; table descriptors: 59 PXNTable, 60 UXNTable, 62:61 APTable). Expected addresses and
// fault codes are worked out from the spec, not taken from the walker.
#include <gtest/gtest.h>

#include <map>

#include "arch/arm64/system/mmu.h"

namespace xvm::arm64::sys {
namespace {

class FakeMemory : public DescriptorReader {
 public:
  bool read_descriptor(uint64_t pa, uint64_t* out) override {
    ++reads;
    if (pa >= 0x8000'0000) return false;  // no RAM up there: external abort on the walk
    auto it = words.find(pa);
    *out = it == words.end() ? 0 : it->second;
    return true;
  }
  std::map<uint64_t, uint64_t> words;
  int reads = 0;
};

constexpr uint64_t kTable = 0b11, kPage = 0b11, kBlock = 0b01, kAF = 1u << 10;
constexpr uint64_t kApEl0 = 1u << 6, kApRo = 1u << 7, kNg = 1u << 11;
constexpr uint64_t kPxn = uint64_t{1} << 53, kUxn = uint64_t{1} << 54;
constexpr uint64_t kPxnTable = uint64_t{1} << 59, kUxnTable = uint64_t{1} << 60;
constexpr uint64_t kApTableNoEl0 = uint64_t{1} << 61, kApTableRo = uint64_t{1} << 62;

// TCR_EL1: T0SZ = T1SZ = 64 - bits, TG0 = 4K (0b00), TG1 = 4K (0b10).
uint64_t tcr(unsigned va_bits) {
  const uint64_t sz = 64 - va_bits;
  return sz | (sz << 16) | (uint64_t{0b10} << 30);
}

struct Fixture : ::testing::Test {
  FakeMemory mem;
  TranslationRegs regs;
  void SetUp() override {
    regs.sctlr = 1;  // M
    regs.tcr = tcr(48);
    regs.ttbr0 = 0x10000;
    regs.ttbr1 = 0x20000;
    regs.pa_bits = 40;
  }
  // Index of `va` at `level` for the 4K granule: bits [47:39], [38:30], [29:21], [20:12].
  static uint64_t idx(uint64_t va, unsigned level) { return (va >> (12 + 9 * (3 - level))) & 511; }
  // Four-level mapping of the 4 KiB page of `va` to `pa` through tables at root, 0x30000,
  // 0x31000, 0x32000, with `attrs` on the page descriptor and `tattrs` on the level-0 table.
  void map_page(uint64_t root, uint64_t va, uint64_t pa, uint64_t attrs, uint64_t tattrs = 0) {
    mem.words[root + 8 * idx(va, 0)] = 0x30000 | kTable | tattrs;
    mem.words[0x30000 + 8 * idx(va, 1)] = 0x31000 | kTable;
    mem.words[0x31000 + 8 * idx(va, 2)] = 0x32000 | kTable;
    mem.words[0x32000 + 8 * idx(va, 3)] = pa | kPage | attrs;
  }
};

TEST_F(Fixture, FourLevelPageMapsAndKeepsTheOffset) {
  const uint64_t va = 0x0000'1234'5678'9abc;
  map_page(regs.ttbr0, va, 0x4567'8000, kAF | (3u << 2));
  const WalkResult w = walk(regs, va, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_EQ(w.pa, 0x4567'8abcu);
  EXPECT_EQ(w.block_size, 4096u);
  EXPECT_EQ(w.level, 3);
  EXPECT_EQ(w.attr_index, 3);
  EXPECT_TRUE(w.global);
  EXPECT_EQ(mem.reads, 4);  // 48-bit input addresses start at level 0
  // AP = 00: EL1 read/write, no EL0 access; executable at both levels (no XN bits).
  EXPECT_FALSE(check(w, Access::Read, 1));
  EXPECT_FALSE(check(w, Access::Write, 1));
  EXPECT_FALSE(check(w, Access::Fetch, 1));
  EXPECT_EQ(check(w, Access::Read, 0).status(), 0x0fu);  // permission fault, level 3
  EXPECT_FALSE(check(w, Access::Fetch, 0));               // EL0 execute is UXN alone
}

TEST_F(Fixture, UpperRangeUsesTtbr1) {
  const uint64_t va = 0xffff'8000'0010'2345;
  map_page(regs.ttbr1, va, 0x0050'0000, kAF);
  const WalkResult w = walk(regs, va, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_EQ(w.pa, 0x0050'0345u);
}

TEST_F(Fixture, ThirtyNineBitRangeStartsAtLevelOne) {
  regs.tcr = tcr(39);
  const uint64_t va = 0x4020'1008;  // bits 38:30 = 1, 29:21 = 1, 20:12 = 1, offset 8
  mem.words[regs.ttbr0 + 8 * 1] = 0x31000 | kTable;
  mem.words[0x31000 + 8 * 1] = 0x32000 | kTable;
  mem.words[0x32000 + 8 * 1] = 0x7000 | kPage | kAF;
  const WalkResult w = walk(regs, va, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_EQ(w.pa, 0x7008u);
  EXPECT_EQ(mem.reads, 3);
  // Bit 39 set in a 39-bit lower range: not all-zero above the range, translation fault L0.
  EXPECT_EQ(walk(regs, va | (uint64_t{1} << 39), mem).fault.status(), 0x04u);
}

TEST_F(Fixture, BlocksAtLevelsOneAndTwo) {
  // 1 GiB block at level 1 for VA 0x4000_0000 and a 2 MiB block at level 2 for 0x8060_0000.
  mem.words[regs.ttbr0] = 0x30000 | kTable;
  mem.words[0x30000 + 8 * 1] = 0x8000'0000 | kBlock | kAF;
  mem.words[0x30000 + 8 * 2] = 0x31000 | kTable;
  mem.words[0x31000 + 8 * 3] = 0x0120'0000 | kBlock | kAF;
  WalkResult w = walk(regs, 0x4123'4567, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_EQ(w.pa, 0x8123'4567u);
  EXPECT_EQ(w.block_size, uint64_t{1} << 30);
  EXPECT_EQ(w.level, 1);
  w = walk(regs, 0x8060'0010, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_EQ(w.pa, 0x0120'0010u);
  EXPECT_EQ(w.block_size, uint64_t{2} << 20);
}

TEST_F(Fixture, InvalidDescriptorsFaultAtTheirLevel) {
  // A block descriptor at level 0 is not allowed with the 4K granule.
  mem.words[regs.ttbr0] = 0x30000 | kBlock;
  EXPECT_EQ(walk(regs, 0x1000, mem).fault.status(), 0x04u);  // translation, level 0
  // Invalid (bit 0 clear) at level 2.
  mem.words[regs.ttbr0] = 0x30000 | kTable;
  mem.words[0x30000] = 0x31000 | kTable;
  mem.words[0x31000] = 0;
  EXPECT_EQ(walk(regs, 0x1000, mem).fault.status(), 0x06u);  // translation, level 2
  // Type 0b01 at level 3 is reserved: translation fault, level 3.
  mem.words[0x31000] = 0x32000 | kTable;
  mem.words[0x32000 + 8] = 0x9000 | kBlock | kAF;
  EXPECT_EQ(walk(regs, 0x1000, mem).fault.status(), 0x07u);
}

TEST_F(Fixture, AccessFlagFaultComesBeforePermissions) {
  map_page(regs.ttbr0, 0x5000, 0x6000, kApRo);  // AF = 0
  EXPECT_EQ(walk(regs, 0x5000, mem).fault.status(), 0x0bu);  // access flag, level 3
}

TEST_F(Fixture, AccessPermissions) {
  // AP = 01: read/write at EL0 and EL1, so not executable at EL1 (writable at EL0).
  map_page(regs.ttbr0, 0x5000, 0x6000, kAF | kApEl0);
  WalkResult w = walk(regs, 0x5000, mem);
  EXPECT_FALSE(check(w, Access::Write, 0));
  EXPECT_FALSE(check(w, Access::Fetch, 0));
  EXPECT_EQ(check(w, Access::Fetch, 1).status(), 0x0fu);
  // AP = 11: read-only at both levels.
  map_page(regs.ttbr0, 0x5000, 0x6000, kAF | kApEl0 | kApRo);
  w = walk(regs, 0x5000, mem);
  EXPECT_FALSE(check(w, Access::Read, 0));
  EXPECT_EQ(check(w, Access::Write, 0).status(), 0x0fu);
  EXPECT_EQ(check(w, Access::Write, 1).status(), 0x0fu);
  EXPECT_FALSE(check(w, Access::Fetch, 1));
  // UXN and PXN.
  map_page(regs.ttbr0, 0x5000, 0x6000, kAF | kApEl0 | kApRo | kUxn | kPxn);
  w = walk(regs, 0x5000, mem);
  EXPECT_TRUE(check(w, Access::Fetch, 0));
  EXPECT_TRUE(check(w, Access::Fetch, 1));
  EXPECT_FALSE(check(w, Access::Read, 0));
}

TEST_F(Fixture, TableAttributesRestrictEverythingBelow) {
  map_page(regs.ttbr0, 0x5000, 0x6000, kAF | kApEl0, kApTableRo | kApTableNoEl0);
  WalkResult w = walk(regs, 0x5000, mem);
  EXPECT_TRUE(check(w, Access::Read, 0));    // APTable[0]: no EL0 access
  EXPECT_TRUE(check(w, Access::Write, 1));   // APTable[1]: read-only
  EXPECT_FALSE(check(w, Access::Read, 1));
  map_page(regs.ttbr0, 0x5000, 0x6000, kAF | kApEl0 | kApRo, kUxnTable | kPxnTable);
  w = walk(regs, 0x5000, mem);
  EXPECT_TRUE(check(w, Access::Fetch, 0));
  EXPECT_TRUE(check(w, Access::Fetch, 1));
}

TEST_F(Fixture, WxnMakesWritablePagesExecuteNever) {
  regs.sctlr |= 1u << 19;
  map_page(regs.ttbr0, 0x5000, 0x6000, kAF);
  EXPECT_TRUE(check(walk(regs, 0x5000, mem), Access::Fetch, 1));
  map_page(regs.ttbr0, 0x5000, 0x6000, kAF | kApRo);
  EXPECT_FALSE(check(walk(regs, 0x5000, mem), Access::Fetch, 1));
}

TEST_F(Fixture, TopByteIgnoredOnlyWithTbi) {
  const uint64_t va = 0x5000;
  map_page(regs.ttbr0, va, 0x6000, kAF);
  const uint64_t tagged = va | (uint64_t{0x5a} << 56);
  EXPECT_EQ(walk(regs, tagged, mem).fault.status(), 0x04u);  // translation fault, level 0
  regs.tcr |= uint64_t{1} << 37;  // TBI0
  const WalkResult w = walk(regs, tagged, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_EQ(w.pa, 0x6000u);
}

TEST_F(Fixture, DisabledWalksAndNonCanonicalAddressesFault) {
  regs.tcr |= 1u << 7;  // EPD0
  EXPECT_EQ(walk(regs, 0x5000, mem).fault.status(), 0x04u);
  EXPECT_EQ(mem.reads, 0);
  regs.tcr = tcr(48);
  EXPECT_EQ(walk(regs, 0x0001'0000'0000'0000, mem).fault.status(), 0x04u);  // bit 48 set
  EXPECT_EQ(walk(regs, 0xfffe'0000'0000'0000, mem).fault.status(), 0x04u);  // upper, bit 48 clear
}

TEST_F(Fixture, OutputBeyondThePhysicalRangeIsAnAddressSizeFault) {
  map_page(regs.ttbr0, 0x5000, uint64_t{1} << 41, kAF);  // PA bit 41 with 40-bit PAs
  EXPECT_EQ(walk(regs, 0x5000, mem).fault.status(), 0x03u);  // address size, level 3
  regs.ttbr0 = uint64_t{1} << 42;
  EXPECT_EQ(walk(regs, 0x5000, mem).fault.status(), 0x00u);  // the table base itself, level 0
}

TEST_F(Fixture, ExternalAbortOnTheWalk) {
  regs.ttbr0 = 0x8000'0000;  // the fake memory has nothing there
  EXPECT_EQ(walk(regs, 0x5000, mem).fault.status(), 0x14u);  // external abort on walk, level 0
}

TEST_F(Fixture, MmuOffIsFlatAndBoundedByThePhysicalRange) {
  regs.sctlr = 0;
  WalkResult w = walk(regs, 0x4000'1234, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_TRUE(w.mmu_off);
  EXPECT_EQ(w.pa, 0x4000'1234u);
  EXPECT_FALSE(check(w, Access::Fetch, 0));
  EXPECT_EQ(walk(regs, uint64_t{1} << 40, mem).fault.status(), 0x00u);
  EXPECT_EQ(mem.reads, 0);
}

TEST_F(Fixture, NonGlobalPagesCarryTheAsidOfTheSelectedTtbr) {
  regs.ttbr0 |= uint64_t{0x00ab} << 48;
  regs.ttbr1 |= uint64_t{0x1234} << 48;
  map_page(0x10000, 0x5000, 0x6000, kAF | kNg);  // the table base without the ASID field
  WalkResult w = walk(regs, 0x5000, mem);
  ASSERT_FALSE(w.fault);
  EXPECT_FALSE(w.global);
  EXPECT_EQ(w.asid, 0xab);            // TCR.A1 = 0: TTBR0's ASID, 8 bits (TCR.AS = 0)
  regs.tcr |= (1u << 22) | (uint64_t{1} << 36);  // A1, AS
  w = walk(regs, 0x5000, mem);
  EXPECT_EQ(w.asid, 0x1234);
}

}  // namespace
}  // namespace xvm::arm64::sys
