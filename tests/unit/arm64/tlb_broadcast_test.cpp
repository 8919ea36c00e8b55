// Inner-shareable TLB maintenance between vCPUs (arch/arm64/system/system.h): after one vCPU
// changes a page-table entry and executes TLBI VAE1IS, another vCPU that had the old
// translation cached must use the new one (Arm ARM "TLB maintenance instructions": the IS forms
// apply to every PE in the Inner Shareable domain); the non-shareable form (TLBI VAE1) must not
// reach it. Page tables are built here from the VMSAv8-64 descriptor formats.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "arch/arm64/features.h"
#include "arch/arm64/system/system.h"
#include "test_ram.h"

namespace xvm::arm64::sys {
namespace {

// 1 MiB of RAM at physical 0: tables at 0x1000.., data pages at 0x10000 and 0x20000.
struct Ram : TestRam {
  Ram() : TestRam(1 << 20) {}
};

constexpr uint64_t kVa = 0x5000;
constexpr uint64_t kPageA = 0x10000, kPageB = 0x20000;
constexpr uint64_t kL3Entry = 0x4000 + 8 * ((kVa >> 12) & 511);

struct TlbBroadcast : ::testing::Test {
  Ram ram;
  System a{ram, 0}, b{ram, 1};
  Cpu ca, cb;
  std::vector<System*> peers{&a, &b};
  void SetUp() override {
    // 39-bit VA (T0SZ = 25, start at level 1): L1 0x2000 -> L2 0x3000 -> L3 0x4000.
    ram.put64(0x2000, 0x3000 | 3);
    ram.put64(0x3000, 0x4000 | 3);
    ram.put64(kL3Entry, kPageA | 3 | (1u << 10));  // page, AF, EL1 read/write
    std::memcpy(ram.mem.data() + kPageA, "AAAAAAAA", 8);
    std::memcpy(ram.mem.data() + kPageB, "BBBBBBBB", 8);
    a.set_peers(&peers, &ca);
    b.set_peers(&peers, &cb);
    for (System* s : peers) {
      s->state.el = 1;
      s->state.tcr_el1 = 25 | (uint64_t{25} << 16) | (uint64_t{2} << 30);
      s->state.ttbr0_el1 = 0x2000;
      s->state.sctlr_el1 = 1;  // MMU on
      s->translation_changed();
    }
    ca.sys = &a;
    cb.sys = &b;
  }
  // The vCPU's view of the first byte at kVa.
  static char first(System& s, Cpu& c) { return char(s.load(c, kVa, 1)); }
  void remap_to_b() { ram.put64(kL3Entry, kPageB | 3 | (1u << 10)); }
};

TEST_F(TlbBroadcast, InnerShareableInvalidationReachesTheOtherVcpu) {
  EXPECT_EQ(first(b, cb), 'A');  // b caches the translation to page A
  remap_to_b();
  EXPECT_EQ(first(b, cb), 'A');  // still cached: the table change alone does nothing
  // a: TLBI VAE1IS, Xt = VA[55:12] (op0 1, op1 0, CRn 8, CRm 3, op2 1).
  ASSERT_TRUE(a.sys_op(ca, sysreg(1, 0, 8, 3, 1), kVa >> 12));
  b.apply_remote_flushes();  // what b's engine does at the start of its next slice
  EXPECT_EQ(first(b, cb), 'B');
  EXPECT_EQ(first(a, ca), 'B');
}

TEST_F(TlbBroadcast, LocalInvalidationStaysLocal) {
  EXPECT_EQ(first(b, cb), 'A');
  EXPECT_EQ(first(a, ca), 'A');
  remap_to_b();
  ASSERT_TRUE(a.sys_op(ca, sysreg(1, 0, 8, 7, 1), kVa >> 12));  // TLBI VAE1 (non-shareable)
  b.apply_remote_flushes();
  EXPECT_EQ(first(a, ca), 'B');
  EXPECT_EQ(first(b, cb), 'A');  // b's TLB is its own until an IS form or its own TLBI
}

TEST_F(TlbBroadcast, InnerShareableInvalidationEndsTheOtherVcpusSlice) {
  // The system interpreter caches the page it fetches from during a slice; a remote TLBI
  // must end the slice (the pending-interrupt request), so the next one fetches anew.
  cb.pending = 0;
  ASSERT_TRUE(a.sys_op(ca, sysreg(1, 0, 8, 3, 0), 0));  // TLBI VMALLE1IS
  EXPECT_NE(cb.pending & kPendingInterrupt, 0u);
  EXPECT_EQ(ca.pending & kPendingInterrupt, 0u);  // the issuer's own TLB is flushed directly
}

}  // namespace
}  // namespace xvm::arm64::sys
