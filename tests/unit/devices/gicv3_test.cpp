// GICv3 model, driven the way Linux's drivers/irqchip/irq-gic-v3.c drives it at boot, then
// checked against the GIC architecture specification (Arm IHI 0069, "GIC" below): register
// identification, the redistributor walk, GICR_WAKER, delivery rules (IAR/EOIR, priority mask,
// running priority, preemption, level vs edge), SGIs and the kick callback.
#include "devices/gic/gicv3.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "arch/arm64/features.h"
#include "machine/arm64_virt/layout.h"

namespace {

using xvm::arm64::sysreg;
using xvm::devices::Gicv3;
using xvm::machine::arm64_virt::mpidr_affinity;

// ICC_* encodings (GIC chapter 12, op0 = 3, op1 = 0).
const uint32_t PMR = sysreg(3, 0, 4, 6, 0), IAR0 = sysreg(3, 0, 12, 8, 0),
               EOIR0 = sysreg(3, 0, 12, 8, 1), BPR0 = sysreg(3, 0, 12, 8, 3),
               AP1R0 = sysreg(3, 0, 12, 9, 0), AP1R1 = sysreg(3, 0, 12, 9, 1),
               DIR = sysreg(3, 0, 12, 11, 1), RPR = sysreg(3, 0, 12, 11, 3),
               SGI1R = sysreg(3, 0, 12, 11, 5), IAR1 = sysreg(3, 0, 12, 12, 0),
               EOIR1 = sysreg(3, 0, 12, 12, 1), HPPIR1 = sysreg(3, 0, 12, 12, 2),
               BPR1 = sysreg(3, 0, 12, 12, 3), CTLR = sysreg(3, 0, 12, 12, 4),
               SRE = sysreg(3, 0, 12, 12, 5), IGRPEN0 = sysreg(3, 0, 12, 12, 6),
               IGRPEN1 = sysreg(3, 0, 12, 12, 7);

// Distributor offsets (GIC, Distributor register map) and redistributor offsets (Redistributor
// map).
constexpr uint64_t GICD_CTLR = 0x0, GICD_TYPER = 0x4, GICD_IIDR = 0x8, GICD_TYPER2 = 0xC,
                   GICD_IGROUPR = 0x80, GICD_ISENABLER = 0x100, GICD_ICENABLER = 0x180,
                   GICD_ISPENDR = 0x200, GICD_ICPENDR = 0x280, GICD_ISACTIVER = 0x300,
                   GICD_ICACTIVER = 0x380, GICD_IPRIORITYR = 0x400, GICD_ICFGR = 0xC00,
                   GICD_IROUTER = 0x6000, GICD_PIDR2 = 0xFFE8;
constexpr uint64_t GICR_CTLR = 0x0, GICR_TYPER = 0x8, GICR_WAKER = 0x14, GICR_PIDR2 = 0xFFE8,
                   SGI_BASE = 0x10000, GICR_IGROUPR0 = SGI_BASE + 0x80,
                   GICR_ISENABLER0 = SGI_BASE + 0x100, GICR_ICENABLER0 = SGI_BASE + 0x180,
                   GICR_ISPENDR0 = SGI_BASE + 0x200, GICR_ICACTIVER0 = SGI_BASE + 0x380,
                   GICR_IPRIORITYR0 = SGI_BASE + 0x400, GICR_ICFGR0 = SGI_BASE + 0xC00,
                   GICR_ICFGR1 = SGI_BASE + 0xC04;
constexpr uint32_t kSpurious = 1023;

std::vector<uint64_t> virt_mpidrs(unsigned n) {
  std::vector<uint64_t> v;
  for (unsigned i = 0; i < n; ++i) v.push_back(mpidr_affinity(i));
  return v;
}

// MPIDR -> the 32-bit Aff3.Aff2.Aff1.Aff0 value of GICR_TYPER[63:32] (Linux
// MPIDR_AFFINITY_LEVEL composition in gic_iterate_rdists).
uint32_t compressed_affinity(uint64_t mpidr) {
  return static_cast<uint32_t>(((mpidr >> 32) & 0xFF) << 24 | (mpidr & 0xFF'FFFF));
}

struct GicTest : ::testing::Test {
  GicTest() : gic({virt_mpidrs(2), 64}) {
    gic.set_kick([this](unsigned cpu) {
      std::lock_guard lock(mu);
      kicks.push_back(cpu);
    });
  }
  Gicv3 gic;
  std::mutex mu;
  std::vector<unsigned> kicks;

  uint32_t dr(uint64_t off) { return static_cast<uint32_t>(gic.distributor().read(off, 4)); }
  void dw(uint64_t off, uint32_t v) { gic.distributor().write(off, 4, v); }
  uint32_t rr(unsigned cpu, uint64_t off) {
    return static_cast<uint32_t>(gic.redistributors().read(cpu * 0x20000 + off, 4));
  }
  void rw(unsigned cpu, uint64_t off, uint32_t v) {
    gic.redistributors().write(cpu * 0x20000 + off, 4, v);
  }
  uint64_t icc(unsigned cpu, uint32_t enc) {
    uint64_t v = 0xDEAD;
    EXPECT_TRUE(gic.cpu_read(cpu, enc, &v)) << std::hex << enc;
    return v;
  }
  void icc_w(unsigned cpu, uint32_t enc, uint64_t v) {
    EXPECT_TRUE(gic.cpu_write(cpu, enc, v)) << std::hex << enc;
  }
  std::vector<unsigned> take_kicks() {
    std::lock_guard lock(mu);
    return std::exchange(kicks, {});
  }

  // irq-gic-v3.c gic_dist_init + gic_dist_config.
  void linux_dist_init() {
    dw(GICD_CTLR, 0);
    EXPECT_EQ(dr(GICD_CTLR) & (1u << 31), 0u);  // RWP
    const unsigned lines = ((dr(GICD_TYPER) & 0x1F) + 1) * 32;
    for (unsigned i = 32; i < lines; i += 32) dw(GICD_IGROUPR + i / 8, ~0u);
    for (unsigned i = 32; i < lines; i += 16) dw(GICD_ICFGR + i / 4, 0);
    for (unsigned i = 32; i < lines; i += 4) dw(GICD_IPRIORITYR + i, 0xa0a0a0a0);
    for (unsigned i = 32; i < lines; i += 32) {
      dw(GICD_ICACTIVER + i / 8, ~0u);
      dw(GICD_ICENABLER + i / 8, ~0u);
    }
    dw(GICD_CTLR, 1u << 4 | 1u << 1 | 1u << 0);  // ARE_NS | EnableGrp1A | EnableGrp1
    const uint64_t boot = compressed_affinity(mpidr_affinity(0));
    for (unsigned i = 32; i < lines; ++i) gic.distributor().write(GICD_IROUTER + 8 * i, 8, boot);
  }
  // gic_cpu_init + gic_cpu_sys_reg_init for one CPU.
  void linux_cpu_init(unsigned cpu) {
    rw(cpu, GICR_WAKER, rr(cpu, GICR_WAKER) & ~2u);  // clear ProcessorSleep
    EXPECT_EQ(rr(cpu, GICR_WAKER) & 4u, 0u);         // ChildrenAsleep
    rw(cpu, GICR_IGROUPR0, ~0u);
    rw(cpu, GICR_ICACTIVER0, ~0u);
    rw(cpu, GICR_ICENABLER0, ~0u);
    for (unsigned i = 0; i < 32; i += 4) rw(cpu, GICR_IPRIORITYR0 + i, 0xa0a0a0a0);
    EXPECT_EQ(rr(cpu, GICR_CTLR) & (1u << 3), 0u);  // RWP
    icc_w(cpu, SRE, 1);
    EXPECT_EQ(icc(cpu, SRE) & 1, 1u);
    icc_w(cpu, PMR, 0xf0);  // DEFAULT_PMR_VALUE
    icc_w(cpu, CTLR, 0);    // EOImode 0 (booted at EL1)
    icc_w(cpu, BPR1, 0);
    icc_w(cpu, AP1R0, 0);
    icc_w(cpu, IGRPEN1, 1);
  }
  void linux_init() {
    linux_dist_init();
    for (unsigned c = 0; c < gic.num_cpus(); ++c) linux_cpu_init(c);
    take_kicks();
  }
  void enable_spi(unsigned intid) { dw(GICD_ISENABLER + intid / 32 * 4, 1u << (intid % 32)); }
  void set_prio(uint64_t intid, uint8_t p) {
    gic.distributor().write(GICD_IPRIORITYR + intid, 1, p);
  }
  bool bit(uint64_t base, unsigned intid) {
    return (dr(base + intid / 32 * 4) >> (intid % 32)) & 1;
  }
};

TEST_F(GicTest, DistributorIdentification) {
  // Linux gic_validate_dist_version: GICD_PIDR2.ArchRev [7:4] must be 3 or 4.
  EXPECT_EQ((dr(GICD_PIDR2) >> 4) & 0xF, 3u);
  const uint32_t typer = dr(GICD_TYPER);
  EXPECT_EQ(typer & 0x1F, 2u);          // ITLinesNumber: 32 * (2 + 1) = 96 INTIDs, 64 SPIs
  EXPECT_EQ((typer >> 19) & 0x1F, 9u);  // IDbits: 10-bit INTIDs
  EXPECT_EQ(typer & (1u << 17), 0u);    // LPIS
  EXPECT_EQ(typer & (1u << 16), 0u);    // MBIS
  EXPECT_EQ(typer & (1u << 8), 0u);     // ESPI
  EXPECT_EQ(typer & (1u << 26), 0u);    // RSS
  EXPECT_EQ(typer & (1u << 10), 0u);    // SecurityExtn: one security state
  EXPECT_EQ(dr(GICD_TYPER2), 0u);       // must be RAZ without GICv4.1
  // GICD_CTLR: DS [6] and ARE [4] read as 1 (single security state, affinity routing).
  EXPECT_EQ(dr(GICD_CTLR) & 0x50, 0x50u);
  // IIDR must not match Linux's erratum table (exact-match entries seen in gic_quirks).
  for (uint32_t bad : {0x0204043bu, 0x0402043bu, 0x00000000u}) EXPECT_NE(dr(GICD_IIDR), bad);
  for (unsigned c = 0; c < 2; ++c) EXPECT_EQ((rr(c, GICR_PIDR2) >> 4) & 0xF, 3u);
}

TEST_F(GicTest, RedistributorWalkAsLinuxDoes) {
  // gic_iterate_rdists: 64-bit read of GICR_TYPER, Affinity [63:32] against the MPIDR, stop at
  // Last [4]; the stride is 0x20000 because VLPIS [1] is 0.
  Gicv3 big({virt_mpidrs(18), 64});
  unsigned frames = 0;
  for (unsigned i = 0;; ++i) {
    const uint64_t t = big.redistributors().read(i * 0x20000 + GICR_TYPER, 8);
    EXPECT_EQ(t >> 32, compressed_affinity(mpidr_affinity(i))) << i;
    EXPECT_EQ((t >> 8) & 0xFFFF, i);  // Processor_Number
    EXPECT_EQ(t & 0x3, 0u);           // PLPIS, VLPIS
    EXPECT_EQ((t >> 27) & 0x1F, 0u);  // PPInum: 16 PPIs
    ++frames;
    if (t & (1u << 4)) break;
    ASSERT_LT(i, 18u);
  }
  EXPECT_EQ(frames, 18u);
  // CPU 16 sits in cluster Aff1 = 1 (layout.h mpidr_affinity).
  EXPECT_EQ(big.redistributors().read(16 * 0x20000 + GICR_TYPER + 4, 4), 0x100u);
}

TEST_F(GicTest, WakerHandshakeAndSleepingRedistributorDeliversNothing) {
  // GICR_WAKER resets with ProcessorSleep [1] and ChildrenAsleep [2] set.
  EXPECT_EQ(rr(0, GICR_WAKER), 0x6u);
  linux_init();
  EXPECT_EQ(rr(0, GICR_WAKER), 0u);
  rw(1, GICR_ISENABLER0, 1u << 27);
  gic.set_ppi(1, 27, true);
  EXPECT_TRUE(gic.irq_pending(1));
  rw(1, GICR_WAKER, 2);  // ProcessorSleep: the PE is going to sleep
  EXPECT_EQ(rr(1, GICR_WAKER), 0x6u);
  EXPECT_FALSE(gic.irq_pending(1));
  EXPECT_EQ(icc(1, IAR1), kSpurious);
}

TEST_F(GicTest, CpuInterfaceResetAndReadBack) {
  linux_init();
  EXPECT_EQ(icc(0, SRE), 0x7u);  // SRE, DFB, DIB
  icc_w(0, SRE, 0);              // fixed
  EXPECT_EQ(icc(0, SRE), 0x7u);
  const uint64_t ctlr = icc(0, CTLR);
  EXPECT_EQ((ctlr >> 8) & 7, 4u);   // PRIbits = 5 bits - 1
  EXPECT_EQ((ctlr >> 11) & 7, 0u);  // IDbits: 16
  EXPECT_EQ(ctlr & 3, 0u);          // EOImode, CBPR as written
  EXPECT_EQ(icc(0, PMR), 0xf0u);
  // With 5 priority bits the low 3 bits of priorities are RAZ/WI (GIC, ICC_PMR_EL1); Linux's
  // gic_has_group0 probe writes 1 << (8 - 5) and expects it back.
  icc_w(0, PMR, 0xff);
  EXPECT_EQ(icc(0, PMR), 0xf8u);
  icc_w(0, PMR, 0x08);
  EXPECT_EQ(icc(0, PMR), 0x08u);
  // Minimum binary points with 5 bits: BPR0 = 2, BPR1 = 3; smaller writes read the minimum.
  EXPECT_EQ(icc(0, BPR1), 3u);
  icc_w(0, BPR0, 0);
  EXPECT_EQ(icc(0, BPR0), 2u);
  EXPECT_EQ(icc(0, RPR), 0xFFu);  // idle
  set_prio(40, 0xff);
  EXPECT_EQ(gic.distributor().read(GICD_IPRIORITYR + 40, 1), 0xf8u);
  EXPECT_EQ(dr(GICD_IPRIORITYR + 40), 0xa0a0a0f8u);
  // UNDEFINED accesses: MSR to read-only, MRS of write-only, AP1R1 (not implemented with 5
  // priority bits), something that is not a GIC register.
  uint64_t v;
  EXPECT_FALSE(gic.cpu_write(0, IAR1, 0));
  EXPECT_FALSE(gic.cpu_write(0, RPR, 0));
  EXPECT_FALSE(gic.cpu_read(0, EOIR1, &v));
  EXPECT_FALSE(gic.cpu_read(0, SGI1R, &v));
  EXPECT_FALSE(gic.cpu_read(0, AP1R1, &v));
  EXPECT_FALSE(gic.cpu_read(0, sysreg(3, 0, 1, 0, 0), &v));  // SCTLR_EL1
  EXPECT_FALSE(gic.cpu_read(2, PMR, &v));                    // no CPU 2
}

TEST_F(GicTest, LevelSpiStaysPendingWhileHighAndRepends) {
  linux_init();
  constexpr unsigned kUart = 33;
  enable_spi(kUart);
  EXPECT_TRUE(bit(GICD_ISENABLER, kUart));
  EXPECT_FALSE(gic.irq_pending(0));
  gic.spi(1).set_level(true);
  EXPECT_TRUE(gic.irq_pending(0));
  EXPECT_FALSE(gic.irq_pending(1));  // routed to CPU 0 only
  EXPECT_EQ(take_kicks(), std::vector<unsigned>{0});
  EXPECT_EQ(icc(0, HPPIR1), kUart);
  EXPECT_EQ(icc(0, IAR1), kUart);
  // Active and pending (the line is still high): nothing more to signal, running priority is
  // the interrupt's.
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_EQ(take_kicks(), std::vector<unsigned>{0});
  EXPECT_TRUE(bit(GICD_ISACTIVER, kUart));
  EXPECT_TRUE(bit(GICD_ISPENDR, kUart));
  EXPECT_EQ(icc(0, RPR), 0xa0u);
  EXPECT_EQ(icc(0, AP1R0), 1u << (0xa0 >> 3));
  EXPECT_EQ(icc(0, IAR1), kSpurious);
  // EOI with the line still high: deactivated, pending again, signalled again.
  icc_w(0, EOIR1, kUart);
  EXPECT_EQ(icc(0, RPR), 0xFFu);
  EXPECT_FALSE(bit(GICD_ISACTIVER, kUart));
  EXPECT_TRUE(gic.irq_pending(0));
  EXPECT_EQ(icc(0, IAR1), kUart);
  // The device drops its line: no longer pending; EOI leaves nothing.
  gic.spi(1).set_level(false);
  EXPECT_FALSE(bit(GICD_ISPENDR, kUart));
  icc_w(0, EOIR1, kUart);
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_EQ(icc(0, IAR1), kSpurious);
  // ICPENDR cannot clear a level interrupt whose line is high (GIC, GICD_ICPENDR).
  gic.spi(1).set_level(true);
  dw(GICD_ICPENDR + 4, 1u << 1);
  EXPECT_TRUE(bit(GICD_ISPENDR, kUart));
  EXPECT_TRUE(gic.irq_pending(0));
}

TEST_F(GicTest, SoftwarePendOfLevelInterruptLastsUntilAcknowledged) {
  linux_init();
  enable_spi(40);
  dw(GICD_ISPENDR + 4, 1u << 8);  // INTID 40, line low
  EXPECT_TRUE(bit(GICD_ISPENDR, 40));
  EXPECT_EQ(icc(0, IAR1), 40u);
  EXPECT_FALSE(bit(GICD_ISPENDR, 40));
  icc_w(0, EOIR1, 40);
  EXPECT_EQ(icc(0, IAR1), kSpurious);
}

TEST_F(GicTest, EdgeSpiLatchesOneEdgeAndCanRepeatWhileActive) {
  linux_init();
  constexpr unsigned kIntid = 34;
  // GICD_ICFGR2 covers INTIDs 32-47; INTID 34's Int_config[1] is bit 5.
  dw(GICD_ICFGR + 8, 1u << 5);
  EXPECT_EQ(dr(GICD_ICFGR + 8), 1u << 5);
  enable_spi(kIntid);
  gic.spi(2).set_level(true);
  EXPECT_TRUE(gic.irq_pending(0));
  gic.spi(2).set_level(false);  // an edge stays pending after the line falls
  EXPECT_TRUE(bit(GICD_ISPENDR, kIntid));
  EXPECT_EQ(icc(0, IAR1), kIntid);
  EXPECT_FALSE(bit(GICD_ISPENDR, kIntid));
  gic.spi(2).pulse();  // a new edge while active: active and pending
  EXPECT_TRUE(bit(GICD_ISPENDR, kIntid));
  EXPECT_FALSE(gic.irq_pending(0));
  icc_w(0, EOIR1, kIntid);
  EXPECT_EQ(icc(0, IAR1), kIntid);
  icc_w(0, EOIR1, kIntid);
  EXPECT_EQ(icc(0, IAR1), kSpurious);
  // A level line that stays high produces one edge only.
  gic.spi(2).set_level(true);
  gic.spi(2).set_level(true);
  EXPECT_EQ(icc(0, IAR1), kIntid);
  icc_w(0, EOIR1, kIntid);
  EXPECT_EQ(icc(0, IAR1), kSpurious);
}

TEST_F(GicTest, PriorityMaskAndPreemption) {
  linux_init();
  for (unsigned i : {40u, 41u, 42u}) enable_spi(i);
  // PMR: only priorities strictly higher (numerically lower) than the mask are signalled.
  icc_w(0, PMR, 0xa0);
  dw(GICD_ISPENDR + 4, 1u << 8);  // 40 at 0xa0
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_EQ(icc(0, IAR1), kSpurious);
  EXPECT_EQ(icc(0, HPPIR1), 40u);  // HPPIR ignores the mask
  icc_w(0, PMR, 0xa8);
  EXPECT_TRUE(gic.irq_pending(0));
  EXPECT_EQ(icc(0, IAR1), 40u);
  EXPECT_EQ(icc(0, RPR), 0xa0u);
  // Same priority does not preempt; a higher one does.
  dw(GICD_ISPENDR + 4, 1u << 10);  // 42 at 0xa0
  EXPECT_FALSE(gic.irq_pending(0));
  set_prio(41, 0x80);
  dw(GICD_ISPENDR + 4, 1u << 9);
  EXPECT_TRUE(gic.irq_pending(0));
  EXPECT_EQ(icc(0, IAR1), 41u);
  EXPECT_EQ(icc(0, RPR), 0x80u);
  EXPECT_EQ(icc(0, AP1R0), (1u << (0xa0 >> 3)) | (1u << (0x80 >> 3)));
  // Nested EOIs drop the highest active priority first.
  icc_w(0, EOIR1, 41);
  EXPECT_EQ(icc(0, RPR), 0xa0u);
  EXPECT_FALSE(gic.irq_pending(0));  // 42 still cannot preempt 40
  icc_w(0, EOIR1, 40);
  EXPECT_EQ(icc(0, RPR), 0xFFu);
  EXPECT_EQ(icc(0, IAR1), 42u);
  icc_w(0, EOIR1, 42);
}

TEST_F(GicTest, BinaryPointLimitsPreemption) {
  linux_init();
  enable_spi(40);
  enable_spi(41);
  // BPR1 = 6: Group 1 group priority is bits [7:6] (GIC chapter 4, priority grouping table), so
  // 0xa0 and 0x88 share group priority 0x80 and the second cannot preempt the first.
  icc_w(0, BPR1, 6);
  set_prio(41, 0x88);
  dw(GICD_ISPENDR + 4, 1u << 8);
  EXPECT_EQ(icc(0, IAR1), 40u);
  EXPECT_EQ(icc(0, RPR), 0x80u);
  dw(GICD_ISPENDR + 4, 1u << 9);
  EXPECT_FALSE(gic.irq_pending(0));
  set_prio(41, 0x40);  // group priority 0x40 preempts 0x80
  EXPECT_TRUE(gic.irq_pending(0));
}

TEST_F(GicTest, EoiModeOneSeparatesPriorityDropFromDeactivation) {
  linux_init();
  icc_w(0, CTLR, 2);  // EOImode = 1 (Linux booted at EL2 does this)
  enable_spi(40);
  dw(GICD_ISPENDR + 4, 1u << 8);
  EXPECT_EQ(icc(0, IAR1), 40u);
  icc_w(0, EOIR1, 40);
  EXPECT_EQ(icc(0, RPR), 0xFFu);
  EXPECT_TRUE(bit(GICD_ISACTIVER, 40));
  dw(GICD_ISPENDR + 4, 1u << 8);
  EXPECT_FALSE(gic.irq_pending(0));  // still active
  icc_w(0, DIR, 40);
  EXPECT_FALSE(bit(GICD_ISACTIVER, 40));
  EXPECT_TRUE(gic.irq_pending(0));
}

TEST_F(GicTest, GroupEnablesGateDelivery) {
  linux_init();
  enable_spi(40);
  dw(GICD_ISPENDR + 4, 1u << 8);
  EXPECT_TRUE(gic.irq_pending(0));
  icc_w(0, IGRPEN1, 0);
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_EQ(icc(0, HPPIR1), kSpurious);
  icc_w(0, IGRPEN1, 1);
  EXPECT_TRUE(gic.irq_pending(0));
  dw(GICD_CTLR, 1u << 4);  // EnableGrp1 off
  EXPECT_FALSE(gic.irq_pending(0));
  dw(GICD_CTLR, 1u << 4 | 3);
  dw(GICD_ICENABLER + 4, 1u << 8);
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_TRUE(bit(GICD_ISPENDR, 40));
}

TEST_F(GicTest, GroupZeroIsNotAnIrq) {
  linux_init();
  dw(GICD_IGROUPR + 4, ~0u & ~(1u << 8));  // INTID 40 in Group 0
  enable_spi(40);
  dw(GICD_ISPENDR + 4, 1u << 8);
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_EQ(icc(0, IAR1), kSpurious);
  icc_w(0, IGRPEN0, 1);
  EXPECT_EQ(icc(0, IAR0), 40u);
  icc_w(0, EOIR0, 40);
  EXPECT_FALSE(bit(GICD_ISACTIVER, 40));
}

TEST_F(GicTest, RoutingSpiToAnotherCpu) {
  linux_init();
  enable_spi(50);
  // 64-bit GICD_IROUTER write with CPU 1's affinity, then 32-bit halves read back.
  gic.distributor().write(GICD_IROUTER + 8 * 50, 8, compressed_affinity(mpidr_affinity(1)));
  EXPECT_EQ(gic.distributor().read(GICD_IROUTER + 8 * 50, 8), 1u);
  EXPECT_EQ(dr(GICD_IROUTER + 8 * 50 + 4), 0u);
  gic.spi(18).set_level(true);
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_TRUE(gic.irq_pending(1));
  EXPECT_EQ(icc(0, IAR1), kSpurious);
  EXPECT_EQ(icc(1, IAR1), 50u);
  icc_w(1, EOIR1, 50);
  // IRM [31] is RAZ/WI (no 1-of-N, GICD_TYPER.No1N); an affinity with no PE routes nowhere.
  dw(GICD_IROUTER + 8 * 50, 1u << 31 | 0x7);
  EXPECT_EQ(dr(GICD_IROUTER + 8 * 50), 0x7u);
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_FALSE(gic.irq_pending(1));
}

TEST_F(GicTest, SgiToAnotherCpuAndBroadcast) {
  linux_init();
  rw(1, GICR_ISENABLER0, 0xFFFF);
  rw(0, GICR_ISENABLER0, 0xFFFF);
  EXPECT_EQ(rr(0, GICR_ICFGR0), 0xAAAAAAAAu);  // SGIs are edge, read-only
  rw(0, GICR_ICFGR0, 0);
  EXPECT_EQ(rr(0, GICR_ICFGR0), 0xAAAAAAAAu);
  // ICC_SGI1R_EL1: INTID [27:24] = 3, Aff1 [23:16] = 0, TargetList [15:0] = CPU 1.
  icc_w(0, SGI1R, uint64_t{3} << 24 | 0x2);
  EXPECT_EQ(take_kicks(), std::vector<unsigned>{1});
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_TRUE(gic.irq_pending(1));
  EXPECT_EQ(rr(1, GICR_ISPENDR0), 1u << 3);
  EXPECT_EQ(icc(1, IAR1), 3u);
  icc_w(1, EOIR1, 3);
  // IRM [40]: every PE but the sender.
  icc_w(1, SGI1R, uint64_t{1} << 40 | uint64_t{5} << 24);
  EXPECT_TRUE(gic.irq_pending(0));
  EXPECT_FALSE(gic.irq_pending(1));
  EXPECT_EQ(icc(0, IAR1), 5u);
  icc_w(0, EOIR1, 5);
}

TEST(GicClusterTest, SgiTargetListInSecondCluster) {
  Gicv3 gic({virt_mpidrs(17), 64});
  // Linux bring-up of CPU 16 and the distributor, minimally.
  gic.distributor().write(GICD_CTLR, 4, 1u << 4 | 2);
  gic.redistributors().write(16 * 0x20000 + GICR_WAKER, 4, 0);
  gic.redistributors().write(16 * 0x20000 + GICR_IGROUPR0, 4, ~0u);
  gic.redistributors().write(16 * 0x20000 + GICR_ISENABLER0, 4, 1u << 1);
  gic.cpu_write(16, PMR, 0xf0);
  gic.cpu_write(16, IGRPEN1, 1);
  // Aff1 = 1, TargetList bit 0 -> MPIDR 0x100 = CPU 16 (layout.h).
  gic.cpu_write(0, SGI1R, uint64_t{1} << 24 | uint64_t{1} << 16 | 1);
  EXPECT_TRUE(gic.irq_pending(16));
  EXPECT_FALSE(gic.irq_pending(0));
  EXPECT_FALSE(gic.irq_pending(1));
}

TEST_F(GicTest, TimerPpiIsPrivateAndLevel) {
  linux_init();
  rw(1, GICR_ISENABLER0, 1u << 27);
  EXPECT_EQ(rr(1, GICR_ICFGR1), 0u);  // PPIs level (Linux sets the timer level-high)
  gic.set_ppi(0, 27, true);           // CPU 0's PPI 27 is disabled: nothing
  EXPECT_FALSE(gic.irq_pending(0));
  gic.set_ppi(1, 27, true);
  EXPECT_TRUE(gic.irq_pending(1));
  EXPECT_EQ(take_kicks(), std::vector<unsigned>{1});
  EXPECT_EQ(icc(1, IAR1), 27u);
  // The handler masks the timer: the line falls before the EOI.
  gic.set_ppi(1, 27, false);
  EXPECT_EQ(rr(1, GICR_ISPENDR0) & (1u << 27), 0u);
  icc_w(1, EOIR1, 27);
  EXPECT_EQ(icc(1, IAR1), kSpurious);
  // A PPI configured as edge (GICR_ICFGR1 bit 2 * (27 - 16) + 1).
  rw(1, GICR_ICFGR1, 1u << 23);
  gic.set_ppi(1, 27, true);
  gic.set_ppi(1, 27, false);
  EXPECT_EQ(icc(1, IAR1), 27u);
}

TEST_F(GicTest, KickRunsOutsideTheLock) {
  linux_init();
  enable_spi(40);
  uint64_t seen = 0;
  // Calling back into the GIC from the kick would deadlock if it ran under the GIC's lock.
  gic.set_kick([&](unsigned cpu) { gic.cpu_read(cpu, HPPIR1, &seen); });
  dw(GICD_ISPENDR + 4, 1u << 8);
  EXPECT_EQ(seen, 40u);
}

TEST_F(GicTest, DeviceThreadWakesWaitingVcpuThroughKick) {
  // The machine's pattern: a vCPU thread sleeps (WFI) until the kick says its IRQ line may
  // have changed; a device thread raises a level SPI and drops it once serviced.
  linux_init();
  enable_spi(33);
  std::mutex m;
  std::condition_variable cv;
  unsigned handled = 0;
  gic.set_kick([&](unsigned) {
    std::lock_guard lock(m);
    cv.notify_all();
  });
  constexpr unsigned kRounds = 200;
  std::atomic<unsigned> acked{0};
  std::thread vcpu([&] {
    while (handled < kRounds) {
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return gic.irq_pending(0); });
      }
      uint64_t intid = 0;
      ASSERT_TRUE(gic.cpu_read(0, IAR1, &intid));
      if (intid == kSpurious) continue;
      EXPECT_EQ(intid, 33u);
      acked.fetch_add(1);
      while (acked.load() != 0) std::this_thread::yield();  // the device drops its line
      gic.cpu_write(0, EOIR1, intid);
      ++handled;
    }
  });
  for (unsigned i = 0; i < kRounds; ++i) {
    gic.spi(1).set_level(true);
    while (acked.load() == 0) std::this_thread::yield();
    gic.spi(1).set_level(false);
    acked.store(0);
  }
  vcpu.join();
  EXPECT_EQ(handled, kRounds);
  EXPECT_FALSE(gic.irq_pending(0));
}

TEST_F(GicTest, BadAccessesAreHarmless) {
  linux_init();
  // Sub-word access to a word register, misaligned word, past the windows, 8-byte splits.
  EXPECT_EQ(gic.distributor().read(GICD_TYPER, 1), 0u);
  EXPECT_EQ(gic.distributor().read(GICD_TYPER + 1, 4), 0u);
  gic.distributor().write(GICD_CTLR, 2, 0);
  EXPECT_EQ(dr(GICD_CTLR) & 3, 3u);
  EXPECT_EQ(gic.distributor().read(0x10000, 4), 0u);
  EXPECT_EQ(gic.redistributors().read(2 * 0x20000 + GICR_TYPER, 8), 0u);  // no CPU 2
  gic.redistributors().write(5 * 0x20000, 4, 1);
  gic.distributor().write(GICD_IPRIORITYR + 1019, 8, ~0ull);  // crosses the end of the array
  gic.distributor().write(GICD_IROUTER + 8 * 1000, 8, 1);     // INTID beyond the SPIs
  EXPECT_EQ(gic.distributor().read(GICD_IROUTER + 8 * 1000, 8), 0u);
  // Distributor registers for INTIDs 0-31 are RAZ/WI with affinity routing.
  dw(GICD_ISENABLER, ~0u);
  EXPECT_EQ(dr(GICD_ISENABLER), 0u);
  EXPECT_EQ(rr(0, GICR_ISENABLER0), 0u);
  // EOI of a special INTID or one that is not active.
  icc_w(0, EOIR1, 1023);
  icc_w(0, EOIR1, 5000);
  EXPECT_EQ(icc(0, RPR), 0xFFu);
}

}  // namespace
