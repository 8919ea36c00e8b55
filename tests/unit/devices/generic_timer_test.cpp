// Generic timer model against the Arm ARM (DDI 0487, D11 "The Generic Timer in AArch64 state"
// and the CNT* register descriptions), with a fake counter under the test's control.
#include "devices/timer/generic_timer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "arch/arm64/features.h"

namespace {

using xvm::arm64::sysreg;
using xvm::devices::GenericTimer;
using Which = GenericTimer::Which;

const uint32_t CNTFRQ = sysreg(3, 3, 14, 0, 0), CNTPCT = sysreg(3, 3, 14, 0, 1),
               CNTVCT = sysreg(3, 3, 14, 0, 2), CNTP_TVAL = sysreg(3, 3, 14, 2, 0),
               CNTP_CTL = sysreg(3, 3, 14, 2, 1), CNTP_CVAL = sysreg(3, 3, 14, 2, 2),
               CNTV_TVAL = sysreg(3, 3, 14, 3, 0), CNTV_CTL = sysreg(3, 3, 14, 3, 1),
               CNTV_CVAL = sysreg(3, 3, 14, 3, 2), CNTKCTL_EL1 = sysreg(3, 0, 14, 1, 0);
// CNTKCTL_EL1 bits (D19 CNTKCTL_EL1).
constexpr uint64_t EL0PCTEN = 1 << 0, EL0VCTEN = 1 << 1, EL0VTEN = 1 << 8, EL0PTEN = 1 << 9;
// CNTx_CTL_EL0 bits.
constexpr uint64_t ENABLE = 1, IMASK = 2, ISTATUS = 4;

struct TimerTest : ::testing::Test {
  uint64_t now = 1'000'000;
  std::vector<std::pair<Which, bool>> events;
  bool virt_level = false, phys_level = false;
  GenericTimer t{[this] { return now; },
                 [this](Which w, bool level) {
                   events.emplace_back(w, level);
                   (w == Which::kVirtual ? virt_level : phys_level) = level;
                 }};
  uint64_t rd(uint32_t enc) {
    uint64_t v = 0xDEAD;
    EXPECT_TRUE(t.read(1, 0, enc, &v)) << std::hex << enc;
    return v;
  }
  void wr(uint32_t enc, uint64_t v) { EXPECT_TRUE(t.write(1, 0, enc, v)) << std::hex << enc; }
};

TEST_F(TimerTest, FrequencyAndCounters) {
  // 1 GHz, the value user mode also reports (features.h), so a tick is a nanosecond.
  EXPECT_EQ(rd(CNTFRQ), 1'000'000'000u);
  EXPECT_EQ(rd(CNTFRQ), xvm::arm64::kCNTFRQ_EL0);
  EXPECT_EQ(rd(CNTVCT), 1'000'000u);
  EXPECT_EQ(rd(CNTPCT), 1'000'000u);  // CNTVOFF = 0
  now += 12345;
  EXPECT_EQ(rd(CNTVCT), 1'012'345u);
  EXPECT_EQ(t.counter(), 1'012'345u);
  // The counters are read-only: MSR is UNDEFINED.
  EXPECT_FALSE(t.write(1, 0, CNTVCT, 0));
  EXPECT_FALSE(t.write(1, 0, CNTPCT, 0));
}

TEST_F(TimerTest, HostClockStartsNearZeroAndIsMonotonic) {
  auto c = GenericTimer::host_clock();
  const uint64_t a = c(), b = c();
  EXPECT_LT(a, 1'000'000'000u);  // counted from its creation
  EXPECT_LE(a, b);
}

TEST_F(TimerTest, TvalAndCvalAreTwoViewsOfOneComparator) {
  // Arm ARM D11 and CNTV_TVAL_EL0: writing TVAL sets CVAL = counter + SignExtend(TVAL[31:0]);
  // reading TVAL gives (CVAL - counter)[31:0].
  wr(CNTV_TVAL, 1000);
  EXPECT_EQ(rd(CNTV_CVAL), 1'001'000u);
  now += 400;
  EXPECT_EQ(rd(CNTV_TVAL), 600u);
  now += 1600;                             // 1000 ticks past CVAL: TVAL counts on below zero
  EXPECT_EQ(rd(CNTV_TVAL), 0xFFFF'FC18u);  // -1000 as 32 bits, bits [63:32] RES0
  // Negative TVAL writes are sign-extended; bits [63:32] of the written value are ignored.
  wr(CNTV_TVAL, 0xFFFF'FFFB);  // -5
  EXPECT_EQ(rd(CNTV_CVAL), now - 5);
  wr(CNTV_TVAL, 0x1'0000'0010);
  EXPECT_EQ(rd(CNTV_CVAL), now + 16);
  wr(CNTV_CVAL, 0x1234'5678'9ABC'DEF0);
  EXPECT_EQ(rd(CNTV_CVAL), 0x1234'5678'9ABC'DEF0u);
  EXPECT_EQ(rd(CNTV_TVAL), static_cast<uint32_t>(0x1234'5678'9ABC'DEF0 - now));
  // The physical timer has its own comparator.
  wr(CNTP_CVAL, 77);
  EXPECT_EQ(rd(CNTP_CVAL), 77u);
  EXPECT_EQ(rd(CNTV_CVAL), 0x1234'5678'9ABC'DEF0u);
}

TEST_F(TimerTest, IstatusImaskAndOutputLevel) {
  EXPECT_EQ(rd(CNTV_CTL), 0u);
  wr(CNTV_CVAL, now + 100);
  wr(CNTV_CTL, ENABLE);
  EXPECT_EQ(rd(CNTV_CTL), ENABLE);
  EXPECT_FALSE(virt_level);
  now += 99;
  EXPECT_EQ(rd(CNTV_CTL), ENABLE);
  now += 1;  // counter == CVAL: the condition is met (counter - CVAL >= 0)
  EXPECT_EQ(rd(CNTV_CTL), ENABLE | ISTATUS);
  EXPECT_TRUE(virt_level);
  EXPECT_FALSE(phys_level);
  // IMASK masks the output but not ISTATUS (Linux's handler does this).
  wr(CNTV_CTL, ENABLE | IMASK);
  EXPECT_EQ(rd(CNTV_CTL), ENABLE | IMASK | ISTATUS);
  EXPECT_FALSE(virt_level);
  // Moving CVAL into the future clears the condition.
  wr(CNTV_CTL, ENABLE);
  EXPECT_TRUE(virt_level);
  wr(CNTV_TVAL, 50);
  EXPECT_FALSE(virt_level);
  EXPECT_EQ(rd(CNTV_CTL), ENABLE);
  // Disabled: no condition, no output.
  now += 50;
  wr(CNTV_CTL, 0);
  EXPECT_EQ(rd(CNTV_CTL), 0u);
  EXPECT_FALSE(virt_level);
  // The ISTATUS bit is read-only.
  wr(CNTV_CVAL, now + 1000);
  wr(CNTV_CTL, ENABLE | ISTATUS);
  EXPECT_EQ(rd(CNTV_CTL), ENABLE);
}

TEST_F(TimerTest, ComparisonIsUnsigned64Bit) {
  wr(CNTP_CVAL, UINT64_MAX);
  wr(CNTP_CTL, ENABLE);
  EXPECT_EQ(rd(CNTP_CTL), ENABLE);
  wr(CNTP_CVAL, 0);
  EXPECT_EQ(rd(CNTP_CTL), ENABLE | ISTATUS);
  EXPECT_TRUE(phys_level);
}

TEST_F(TimerTest, UpdateDrivesOutputsOnlyOnChange) {
  wr(CNTV_CVAL, now + 10);
  wr(CNTV_CTL, ENABLE);
  wr(CNTP_CVAL, now + 20);
  wr(CNTP_CTL, ENABLE);
  events.clear();
  t.update();
  EXPECT_TRUE(events.empty());
  now += 10;
  t.update();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], std::make_pair(Which::kVirtual, true));
  t.update();
  EXPECT_EQ(events.size(), 1u);
  now += 10;
  t.update();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1], std::make_pair(Which::kPhysical, true));
}

TEST_F(TimerTest, NextDeadline) {
  EXPECT_EQ(t.next_deadline_ns(), UINT64_MAX);
  wr(CNTV_CVAL, now + 5000);
  EXPECT_EQ(t.next_deadline_ns(), UINT64_MAX);  // not enabled
  wr(CNTV_CTL, ENABLE);
  EXPECT_EQ(t.next_deadline_ns(), now + 5000);
  wr(CNTP_CVAL, now + 3000);
  wr(CNTP_CTL, ENABLE | IMASK);  // masked: cannot wake anyone
  EXPECT_EQ(t.next_deadline_ns(), now + 5000);
  wr(CNTP_CTL, ENABLE);
  EXPECT_EQ(t.next_deadline_ns(), now + 3000);
  // Already expired: the deadline is in the past.
  now += 4000;
  EXPECT_LE(t.next_deadline_ns(), now);
}

TEST_F(TimerTest, El0AccessFollowsCntkctl) {
  uint64_t v;
  // CNTKCTL_EL1 = 0: nothing at EL0; EL1 has everything.
  for (uint32_t enc :
       {CNTFRQ, CNTPCT, CNTVCT, CNTP_CTL, CNTP_CVAL, CNTP_TVAL, CNTV_CTL, CNTV_CVAL, CNTV_TVAL}) {
    EXPECT_FALSE(t.read(0, 0, enc, &v)) << std::hex << enc;
    EXPECT_TRUE(t.read(1, 0, enc, &v)) << std::hex << enc;
  }
  // EL0VCTEN: CNTVCT_EL0 and CNTFRQ_EL0 (what the vDSO needs), not CNTPCT_EL0.
  EXPECT_TRUE(t.read(0, EL0VCTEN, CNTVCT, &v));
  EXPECT_TRUE(t.read(0, EL0VCTEN, CNTFRQ, &v));
  EXPECT_FALSE(t.read(0, EL0VCTEN, CNTPCT, &v));
  EXPECT_TRUE(t.read(0, EL0PCTEN, CNTPCT, &v));
  EXPECT_TRUE(t.read(0, EL0PCTEN, CNTFRQ, &v));
  EXPECT_FALSE(t.read(0, EL0PCTEN, CNTVCT, &v));
  // EL0VTEN / EL0PTEN: the virtual / physical timer registers, read and write.
  EXPECT_TRUE(t.write(0, EL0VTEN, CNTV_CTL, ENABLE));
  EXPECT_TRUE(t.read(0, EL0VTEN, CNTV_TVAL, &v));
  EXPECT_FALSE(t.write(0, EL0VTEN, CNTP_CTL, ENABLE));
  EXPECT_TRUE(t.write(0, EL0PTEN, CNTP_CVAL, 5));
  EXPECT_FALSE(t.read(0, EL0PTEN, CNTV_CVAL, &v));
  // CNTFRQ_EL0 is writable only at the highest EL (EL1 here), never at EL0.
  EXPECT_FALSE(t.write(0, EL0PCTEN | EL0VCTEN, CNTFRQ, 5));
  EXPECT_TRUE(t.write(1, 0, CNTFRQ, 62'500'000));
  EXPECT_EQ(rd(CNTFRQ), 62'500'000u);
  // Not timer registers: CNTKCTL_EL1 is the CPU's, CNTHCTL_EL2 does not exist here.
  EXPECT_FALSE(t.read(1, 0, CNTKCTL_EL1, &v));
  EXPECT_FALSE(t.read(1, 0, sysreg(3, 4, 14, 1, 0), &v));
}

}  // namespace
