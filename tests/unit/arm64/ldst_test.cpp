// Load/store semantics the difftest cannot reach: Unicorn runs one instruction from a fresh
// state, so it never sees a store-exclusive pass, several guest threads racing on one
// location, or a multi-register store that faults on its second page. Expected values come
// from the Arm ARM pseudocode (C6.2 LDXR/STXR/LDXP/STXP/CASP/LDADD/STP/ST4) and B2.9 (the
// exclusive monitor).
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "arch/arm64/cpu.h"
#include "arch/arm64/decoder.h"
#include "engine/interpreter.h"

namespace xvm::arm64 {
namespace {

// Runs single instructions through the interpreter engine's step path (decode table, handler,
// exception unwinding, host-fault handling), fetching `insn` at whatever pc the Cpu has.
class OneInsn : public engine::CodeSource {
 public:
  bool fetch(uint64_t, uint32_t* out) const override {
    *out = insn;
    return true;
  }
  uint32_t insn = 0;
};

class Stepper {
 public:
  StopKind run(Cpu& cpu, uint32_t insn) {
    code_.insn = insn;
    return interp_.step(cpu).kind;
  }

 private:
  OneInsn code_;
  engine::Interpreter interp_{code_};
};

// Three guest pages at guest address 0: two read/write, the third read-only.
class LdstTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSize = 3 * 4096;
  void SetUp() override {
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    mem_ = static_cast<uint8_t*>(p);
    ASSERT_EQ(mprotect(mem_ + 2 * 4096, 4096, PROT_READ), 0);
    cpu_.mem_base = mem_;
    cpu_.mem_size = kSize;
  }
  void TearDown() override { munmap(mem_, kSize); }
  StopKind run(uint32_t insn) { return step_.run(cpu_, insn); }
  uint64_t u64(uint64_t a) const {
    uint64_t v;
    std::memcpy(&v, mem_ + a, 8);
    return v;
  }
  void set_u64(uint64_t a, uint64_t v) { std::memcpy(mem_ + a, &v, 8); }

  uint8_t* mem_ = nullptr;
  Cpu cpu_;
  Stepper step_;
};

// Encodings (Arm ARM C6.2), registers noted in each name.
constexpr uint32_t kLdxrX1X0 = 0xc85f7c01;       // ldxr x1, [x0]
constexpr uint32_t kStxrW2X3X0 = 0xc8027c03;     // stxr w2, x3, [x0]
constexpr uint32_t kLdxrW1X0 = 0x885f7c01;       // ldxr w1, [x0]
constexpr uint32_t kLdaxrX1X0 = 0xc85ffc01;      // ldaxr x1, [x0]
constexpr uint32_t kStlxrW2X1X0 = 0xc802fc01;    // stlxr w2, x1, [x0]
constexpr uint32_t kLdxpX4X5X0 = 0xc87f1404;     // ldxp x4, x5, [x0]
constexpr uint32_t kStxpW6X7X8X0 = 0xc8262007;   // stxp w6, x7, x8, [x0]
constexpr uint32_t kLdxpW4W5X0 = 0x887f1404;     // ldxp w4, w5, [x0]
constexpr uint32_t kStxpW6W7W8X0 = 0x88262007;   // stxp w6, w7, w8, [x0]
constexpr uint32_t kCaspX2X4X0 = 0x48227c04;     // casp x2, x3, x4, x5, [x0]
constexpr uint32_t kCaspW2W4X0 = 0x08227c04;     // casp w2, w3, w4, w5, [x0]
constexpr uint32_t kLdaddW1W2X0 = 0xb8210002;    // ldadd w1, w2, [x0]
constexpr uint32_t kLdaddalX1X2X0 = 0xf8e10002;  // ldaddal x1, x2, [x0]
constexpr uint32_t kLdarX1X0 = 0xc8dffc01;       // ldar x1, [x0]
constexpr uint32_t kStpX1X2X0 = 0xa9000801;      // stp x1, x2, [x0]
constexpr uint32_t kSt4B16X0 = 0x4c000000;       // st4 {v0.16b-v3.16b}, [x0]
constexpr uint32_t kStrQ0X0 = 0x3d800000;        // str q0, [x0]
constexpr uint32_t kLdrXzrX0 = 0xf940001f;       // ldr xzr, [x0]

TEST_F(LdstTest, StoreExclusivePassesOnceAfterLoadExclusive) {
  cpu_.x[0] = 0x100;
  set_u64(0x100, 0x8877665544332211);
  ASSERT_EQ(run(kLdxrX1X0), StopKind::None);
  EXPECT_EQ(cpu_.x[1], 0x8877665544332211u);
  cpu_.x[3] = 0xdeadbeef;
  cpu_.x[2] = 7;
  ASSERT_EQ(run(kStxrW2X3X0), StopKind::None);
  EXPECT_EQ(cpu_.x[2], 0u);
  EXPECT_EQ(u64(0x100), 0xdeadbeefu);
  // The monitor is open again after any store-exclusive (B2.9).
  cpu_.x[3] = 1;
  ASSERT_EQ(run(kStxrW2X3X0), StopKind::None);
  EXPECT_EQ(cpu_.x[2], 1u);
  EXPECT_EQ(u64(0x100), 0xdeadbeefu);
}

TEST_F(LdstTest, StoreExclusiveFailsAfterAnotherWriterOrOnSizeMismatch) {
  cpu_.x[0] = 0x100;
  ASSERT_EQ(run(kLdxrX1X0), StopKind::None);
  mem_[0x100] ^= 0xff;  // another thread's write in between
  cpu_.x[3] = 5;
  ASSERT_EQ(run(kStxrW2X3X0), StopKind::None);
  EXPECT_EQ(cpu_.x[2], 1u);
  EXPECT_NE(u64(0x100), 5u);
  ASSERT_EQ(run(kLdxrW1X0), StopKind::None);  // 4-byte reservation, 8-byte store
  ASSERT_EQ(run(kStxrW2X3X0), StopKind::None);
  EXPECT_EQ(cpu_.x[2], 1u);
}

TEST_F(LdstTest, ExclusivePairs) {
  cpu_.x[0] = 0x200;
  for (int i = 0; i < 16; ++i) mem_[0x200 + i] = static_cast<uint8_t>(i);
  ASSERT_EQ(run(kLdxpX4X5X0), StopKind::None);
  EXPECT_EQ(cpu_.x[4], 0x0706050403020100u);
  EXPECT_EQ(cpu_.x[5], 0x0f0e0d0c0b0a0908u);
  cpu_.x[7] = 1;
  cpu_.x[8] = 2;
  ASSERT_EQ(run(kStxpW6X7X8X0), StopKind::None);
  EXPECT_EQ(cpu_.x[6], 0u);
  EXPECT_EQ(u64(0x200), 1u);
  EXPECT_EQ(u64(0x208), 2u);

  ASSERT_EQ(run(kLdxpW4W5X0), StopKind::None);
  EXPECT_EQ(cpu_.x[4], 1u);
  EXPECT_EQ(cpu_.x[5], 0u);
  cpu_.x[7] = 0xaaaa;
  cpu_.x[8] = 0xbbbb;
  ASSERT_EQ(run(kStxpW6W7W8X0), StopKind::None);
  EXPECT_EQ(cpu_.x[6], 0u);
  EXPECT_EQ(u64(0x200), 0x0000bbbb0000aaaau);  // Rt at the lower address
}

TEST_F(LdstTest, MisalignedExclusiveOrderedAndAtomicAccessesFault) {
  cpu_.x[0] = 0x101;
  EXPECT_EQ(run(kLdxrX1X0), StopKind::Alignment);
  EXPECT_EQ(run(kStxrW2X3X0), StopKind::Alignment);  // even with the monitor open
  EXPECT_EQ(run(kLdarX1X0), StopKind::Alignment);
  EXPECT_EQ(run(kLdaddW1W2X0), StopKind::Alignment);
  cpu_.x[0] = 0x208;  // 8-aligned, not 16-aligned
  EXPECT_EQ(run(kLdxpX4X5X0), StopKind::Alignment);
  EXPECT_EQ(run(kCaspX2X4X0), StopKind::Alignment);
}

TEST_F(LdstTest, CompareAndSwapPair) {
  cpu_.x[0] = 0x300;
  set_u64(0x300, 10);
  set_u64(0x308, 20);
  cpu_.x[2] = 10, cpu_.x[3] = 20, cpu_.x[4] = 30, cpu_.x[5] = 40;
  ASSERT_EQ(run(kCaspX2X4X0), StopKind::None);
  EXPECT_EQ(u64(0x300), 30u);
  EXPECT_EQ(u64(0x308), 40u);
  EXPECT_EQ(cpu_.x[2], 10u);
  EXPECT_EQ(cpu_.x[3], 20u);
  cpu_.x[2] = 1, cpu_.x[3] = 2;  // mismatch: memory unchanged, Rs pair gets the old value
  ASSERT_EQ(run(kCaspX2X4X0), StopKind::None);
  EXPECT_EQ(u64(0x300), 30u);
  EXPECT_EQ(cpu_.x[2], 30u);
  EXPECT_EQ(cpu_.x[3], 40u);

  cpu_.x[2] = 30, cpu_.x[3] = 0, cpu_.x[4] = 0x11111111, cpu_.x[5] = 0x22222222;
  ASSERT_EQ(run(kCaspW2W4X0), StopKind::None);
  EXPECT_EQ(u64(0x300), 0x2222222211111111u);
  EXPECT_EQ(run(kCaspX2X4X0 | 1), StopKind::Undefined);  // odd Rt
}

TEST_F(LdstTest, AtomicsNeedWritePermission) {
  cpu_.x[0] = 2 * 4096;  // read-only page
  cpu_.x[1] = 1;
  EXPECT_EQ(run(kLdaddW1W2X0), StopKind::DataAbort);
  EXPECT_EQ(run(kLdarX1X0), StopKind::None);
}

TEST_F(LdstTest, StoresStraddlingIntoReadOnlyPageWriteNothing) {
  const uint64_t edge = 2 * 4096;
  std::memset(mem_ + edge - 64, 0xcc, 64);
  cpu_.x[1] = 0, cpu_.x[2] = 0;
  cpu_.x[0] = edge - 8;
  EXPECT_EQ(run(kStpX1X2X0), StopKind::DataAbort);
  cpu_.x[0] = edge - 32;
  EXPECT_EQ(run(kSt4B16X0), StopKind::DataAbort);
  cpu_.x[0] = edge - 8;
  EXPECT_EQ(run(kStrQ0X0), StopKind::DataAbort);
  for (int i = 1; i <= 64; ++i) EXPECT_EQ(mem_[edge - i], 0xcc) << i;
}

TEST_F(LdstTest, LoadToXzrStillFaults) {
  cpu_.x[0] = kSize;  // just past guest memory
  EXPECT_EQ(run(kLdrXzrX0), StopKind::DataAbort);
}

// Several guest threads (host threads, one Cpu each) incrementing one counter with an
// LDAXR/STLXR retry loop and with LDADDAL: no increment may be lost.
TEST_F(LdstTest, ExclusivesAndAtomicsAreAtomicAcrossThreads) {
  constexpr int kThreads = 4, kIters = 200000;
  set_u64(0x400, 0);
  set_u64(0x408, 0);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, &ready] {
      Cpu cpu;
      cpu.mem_base = mem_;
      cpu.mem_size = kSize;
      Stepper step;
      // Start together, or the first thread may finish before the last one starts.
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kIters; ++i) {
        cpu.x[0] = 0x400;
        do {
          ASSERT_EQ(step.run(cpu, kLdaxrX1X0), StopKind::None);
          cpu.x[1] += 1;
          ASSERT_EQ(step.run(cpu, kStlxrW2X1X0), StopKind::None);
        } while (cpu.x[2] != 0);
        cpu.x[0] = 0x408;
        cpu.x[1] = 3;
        ASSERT_EQ(step.run(cpu, kLdaddalX1X2X0), StopKind::None);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(u64(0x400), uint64_t{kThreads} * kIters);
  EXPECT_EQ(u64(0x408), uint64_t{kThreads} * kIters * 3);
}

}  // namespace
}  // namespace xvm::arm64
