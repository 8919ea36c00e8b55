// PL031 register behaviour per the PrimeCell RTC (PL031) TRM, Arm DDI 0224, with a fake host
// clock so time is under the test's control.
#include "devices/rtc/pl031.h"

#include <gtest/gtest.h>

#include <ctime>

namespace {

using xvm::devices::IrqLine;
using xvm::devices::Pl031;

struct TestIrq : IrqLine {
  bool level = false;
  void set_level(bool high) override { level = high; }
};

// Register offsets from the TRM's register summary.
constexpr uint64_t DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0C, IMSC = 0x10, RIS = 0x14,
                   MIS = 0x18, ICR = 0x1C;

struct Pl031Test : ::testing::Test {
  TestIrq irq;
  int64_t now = 1'700'000'000;  // 2023-11-14T22:13:20Z
  Pl031 rtc{irq, [this] { return now; }};
  uint32_t rd(uint64_t off) { return static_cast<uint32_t>(rtc.read(off, 4)); }
  void wr(uint64_t off, uint32_t v) { rtc.write(off, 4, v); }
};

TEST_F(Pl031Test, IdRegisters) {
  // RTCPeriphID0-3 = 0x31 0x10 0x04 0x00, RTCPCellID0-3 = 0x0D 0xF0 0x05 0xB1.
  const uint32_t want[8] = {0x31, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1};
  for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(rd(0xFE0 + 4 * i), want[i]) << i;
  uint32_t pid = 0;
  for (unsigned i = 0; i < 4; ++i) pid |= rd(0xFE0 + 4 * i) << (8 * i);
  EXPECT_EQ(pid & 0x000fffff, 0x00041031u);  // what Linux's rtc-pl031 matches
}

TEST_F(Pl031Test, ResetValues) {
  // TRM register summary: MR, LR, CR, IMSC, RIS, MIS reset to 0.
  EXPECT_EQ(rd(MR), 0u);
  EXPECT_EQ(rd(LR), 0u);
  EXPECT_EQ(rd(CR), 0u);
  EXPECT_EQ(rd(IMSC), 0u);
  EXPECT_EQ(rd(RIS), 0u);
  EXPECT_EQ(rd(MIS), 0u);
  EXPECT_FALSE(irq.level);
}

TEST_F(Pl031Test, DataRegisterIsHostSecondsAndCounts) {
  EXPECT_EQ(rd(DR), 1'700'000'000u);
  now += 5;
  EXPECT_EQ(rd(DR), 1'700'000'005u);
  // DR is read-only.
  wr(DR, 7);
  EXPECT_EQ(rd(DR), 1'700'000'005u);
}

TEST_F(Pl031Test, RealHostClockByDefault) {
  TestIrq i;
  Pl031 real(i);
  const int64_t t = static_cast<int64_t>(std::time(nullptr));
  const int64_t dr = static_cast<int64_t>(real.read(DR, 4));
  EXPECT_LE(std::abs(dr - t), 2);
}

TEST_F(Pl031Test, LoadSetsTheCounter) {
  wr(LR, 1000);
  EXPECT_EQ(rd(DR), 1000u);
  EXPECT_EQ(rd(LR), 1000u);  // reads back the last loaded value
  now += 3;
  EXPECT_EQ(rd(DR), 1003u);
  EXPECT_EQ(rd(LR), 1000u);
  // The counter is 32 bits and wraps.
  wr(LR, 0xFFFF'FFFF);
  now += 2;
  EXPECT_EQ(rd(DR), 1u);
}

TEST_F(Pl031Test, ControlStartIsSticky) {
  wr(CR, 1);
  EXPECT_EQ(rd(CR), 1u);
  wr(CR, 0);  // once started, writes have no effect until reset
  EXPECT_EQ(rd(CR), 1u);
  wr(CR, 0xFFFF'FFFE);
  EXPECT_EQ(rd(CR), 1u);
}

TEST_F(Pl031Test, MatchInterrupt) {
  wr(MR, 1'700'000'010);
  wr(IMSC, 1);
  now += 9;
  rtc.poll();
  EXPECT_EQ(rd(RIS), 0u);
  EXPECT_FALSE(irq.level);
  EXPECT_EQ(rtc.seconds_until_match(), 1);
  now += 1;  // counter == MR
  rtc.poll();
  EXPECT_EQ(rd(RIS), 1u);
  EXPECT_EQ(rd(MIS), 1u);
  EXPECT_TRUE(irq.level);
  EXPECT_EQ(rtc.seconds_until_match(), std::nullopt);  // already pending
  // Stays pending until cleared through RTCICR.
  now += 100;
  EXPECT_EQ(rd(RIS), 1u);
  wr(ICR, 1);
  EXPECT_EQ(rd(RIS), 0u);
  EXPECT_FALSE(irq.level);
}

TEST_F(Pl031Test, MatchPassedBetweenAccessesIsNotLost) {
  wr(MR, 1'700'000'003);
  now += 60;  // nobody looked while the counter went past MR
  EXPECT_EQ(rd(RIS), 1u);
  // Masked: raw status set, masked status and line clear.
  EXPECT_EQ(rd(MIS), 0u);
  EXPECT_FALSE(irq.level);
  wr(IMSC, 1);
  EXPECT_TRUE(irq.level);
  wr(IMSC, 0);
  EXPECT_FALSE(irq.level);
}

TEST_F(Pl031Test, MatchAtTheCurrentSecondAndByLoad) {
  wr(MR, 1'700'000'000);  // equals the counter now
  EXPECT_EQ(rd(RIS), 1u);
  wr(ICR, 1);
  wr(MR, 5000);
  EXPECT_EQ(rd(RIS), 0u);
  wr(LR, 5000);  // loading the match value
  EXPECT_EQ(rd(RIS), 1u);
}

TEST_F(Pl031Test, NoMatchWhenNotReached) {
  wr(MR, 1'699'999'990);  // in the past
  now += 30;
  rtc.poll();
  EXPECT_EQ(rd(RIS), 0u);
  // A host clock stepping back is not counting up through MR.
  wr(MR, 1'700'000'020);
  now -= 20;
  rtc.poll();
  now += 5;
  rtc.poll();
  EXPECT_EQ(rd(RIS), 0u);
  EXPECT_EQ(rtc.seconds_until_match(), std::nullopt);  // IMSC clear
  wr(IMSC, 1);
  EXPECT_EQ(rtc.seconds_until_match(), 5);
}

TEST_F(Pl031Test, OddAccesses) {
  EXPECT_EQ(rtc.read(DR + 2, 2), 0u);
  rtc.write(MR + 1, 1, 0xFF);  // ignored
  EXPECT_EQ(rd(MR), 0u);
  EXPECT_EQ(rtc.read(0x20, 4), 0u);
  EXPECT_EQ(rtc.read(0x10000, 8), 0u);
  EXPECT_EQ(rtc.read(DR, 1), 1'700'000'000u & 0xFF);
  EXPECT_EQ(rtc.read(ICR, 4), 0u);  // write-only
}

}  // namespace
