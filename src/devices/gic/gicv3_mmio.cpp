// The GICv3 memory-mapped registers: the distributor (GICD_*) and the redistributors (GICR_*,
// RD_base and SGI_base frames), Arm IHI 0069 chapter 12 ("GIC" below). Registers are 32 bits
// wide unless noted; IPRIORITYR is byte-accessible; the 64-bit registers (GICD_IROUTER,
// GICR_TYPER) take 64-bit accesses or 32-bit accesses to either half. Any other size or
// alignment reads as zero and is ignored, like a register that does not exist.
#include <cassert>

#include "devices/gic/gicv3.h"
#include "devices/gic/gicv3_state.h"

namespace xvm::devices {

namespace {

// Bit-per-interrupt register arrays, same offsets in GICD and GICR SGI_base (GIC chapter 12).
enum class BitReg {
  kGroup,
  kSetEnable,
  kClearEnable,
  kSetPending,
  kClearPending,
  kSetActive,
  kClearActive
};
struct BitArray {
  uint64_t base;
  BitReg kind;
};
constexpr BitArray kBitArrays[] = {
    {0x0080, BitReg::kGroup},       {0x0100, BitReg::kSetEnable},    {0x0180, BitReg::kClearEnable},
    {0x0200, BitReg::kSetPending},  {0x0280, BitReg::kClearPending}, {0x0300, BitReg::kSetActive},
    {0x0380, BitReg::kClearActive},
};
constexpr uint64_t kIpriorityr = 0x0400, kIcfgr = 0x0C00;
// Identification registers, shared layout (GIC, identification registers): PIDR4 0xFFD0, PIDR0-3
// 0xFFE0-0xFFEC, CIDR0-3 0xFFF0-0xFFFC. GICD/GICR_PIDR2.ArchRev [7:4] = 3 is what Linux checks
// (gic_validate_dist_version); the component ID is the standard 0xB105F00D preamble.
uint32_t id_register(uint64_t off) {
  switch (off) {
    case 0xFFE8:
      return 0x30;  // PIDR2: ArchRev 3 (GICv3)
    case 0xFFF0:
      return 0x0D;
    case 0xFFF4:
      return 0xF0;
    case 0xFFF8:
      return 0x05;
    case 0xFFFC:
      return 0xB1;
    default:
      return 0;
  }
}

}  // namespace

// Bit array and configuration registers shared by both windows, for the 32 INTIDs from
// `first` (a multiple of 32; 0 = the SGIs/PPIs of `cpu`).
static uint32_t read_bits(Gicv3::State& s, unsigned cpu, BitReg kind, unsigned first) {
  uint32_t v = 0;
  for (unsigned i = 0; i < 32; ++i) {
    if (!s.valid(first + i)) break;
    const gic::Irq& q = s.irq(cpu, first + i);
    bool bit = false;
    switch (kind) {
      case BitReg::kGroup:
        bit = q.group1;
        break;
      case BitReg::kSetEnable:
      case BitReg::kClearEnable:
        bit = q.enabled;
        break;
      case BitReg::kSetPending:
      case BitReg::kClearPending:
        bit = q.pending();
        break;
      case BitReg::kSetActive:
      case BitReg::kClearActive:
        bit = q.active;
        break;
    }
    v |= uint32_t{bit} << i;
  }
  return v;
}

static void write_bits(Gicv3::State& s, unsigned cpu, BitReg kind, unsigned first, uint32_t v) {
  for (unsigned i = 0; i < 32; ++i) {
    if (!s.valid(first + i)) break;
    const bool bit = (v >> i) & 1;
    gic::Irq& q = s.irq(cpu, first + i);
    switch (kind) {
      case BitReg::kGroup:
        q.group1 = bit;
        break;
      // The set/clear registers act on the 1 bits only (GIC, GICD_ISENABLER/ICENABLER etc.).
      case BitReg::kSetEnable:
        q.enabled |= bit;
        break;
      case BitReg::kClearEnable:
        q.enabled &= !bit;
        break;
      // ICPENDR clears the latch only: a level-sensitive interrupt whose line is still high
      // stays pending (GIC, GICD_ICPENDR).
      case BitReg::kSetPending:
        q.latch |= bit;
        break;
      case BitReg::kClearPending:
        q.latch &= !bit;
        break;
      case BitReg::kSetActive:
        q.active |= bit;
        break;
      case BitReg::kClearActive:
        q.active &= !bit;
        break;
    }
  }
}

// ICFGR<n>: two bits per INTID, bit 2k+1 = edge-triggered (GIC, GICD_ICFGR).
static uint32_t read_cfg(Gicv3::State& s, unsigned cpu, unsigned first) {
  uint32_t v = 0;
  for (unsigned i = 0; i < 16 && s.valid(first + i); ++i)
    v |= uint32_t{s.irq(cpu, first + i).edge} << (2 * i + 1);
  return v;
}

static void write_cfg(Gicv3::State& s, unsigned cpu, unsigned first, uint32_t v) {
  for (unsigned i = 0; i < 16 && s.valid(first + i); ++i) {
    // Reconfiguring does not create an edge: a line already high when an interrupt becomes
    // edge-triggered makes it pending only on its next rising edge.
    s.irq(cpu, first + i).edge = (v >> (2 * i + 1)) & 1;
  }
}

// Shared decode for the registers that exist in both GICD and GICR SGI_base, relative to the
// frame. `first_block` is the lowest register index that exists (GICD: 1, since with ARE the
// distributor's INTID 0-31 registers are RAZ/WI; GICR: only index 0 exists).
static bool shared_read(Gicv3::State& s, unsigned cpu, uint64_t off, bool redist, uint32_t* out) {
  for (const BitArray& a : kBitArrays) {
    if (off < a.base || off >= a.base + 0x80) continue;
    const unsigned n = static_cast<unsigned>((off - a.base) / 4);
    *out = (redist ? n == 0 : n != 0) ? read_bits(s, cpu, a.kind, n * 32) : 0;
    return true;
  }
  if (off >= kIcfgr && off < kIcfgr + 0x100) {
    const unsigned n = static_cast<unsigned>((off - kIcfgr) / 4);
    *out = (redist ? n < 2 : n >= 2) ? read_cfg(s, cpu, n * 16) : 0;
    return true;
  }
  return false;
}

static bool shared_write(Gicv3::State& s, unsigned cpu, uint64_t off, bool redist, uint32_t v) {
  for (const BitArray& a : kBitArrays) {
    if (off < a.base || off >= a.base + 0x80) continue;
    const unsigned n = static_cast<unsigned>((off - a.base) / 4);
    if (redist ? n == 0 : n != 0) write_bits(s, cpu, a.kind, n * 32, v);
    return true;
  }
  if (off >= kIcfgr && off < kIcfgr + 0x100) {
    const unsigned n = static_cast<unsigned>((off - kIcfgr) / 4);
    // GICR_ICFGR0 (SGIs) is read-only: always edge.
    if (redist ? n == 1 : n >= 2) write_cfg(s, cpu, n * 16, v);
    return true;
  }
  return false;
}

// Byte-accessible priority registers: INTID = byte offset from kIpriorityr.
static bool is_priority(uint64_t off, unsigned size, bool redist) {
  const uint64_t end = kIpriorityr + (redist ? 32 : 1020);
  return off >= kIpriorityr && off + size <= end;
}

static uint64_t read_priorities(Gicv3::State& s, unsigned cpu, uint64_t off, unsigned size,
                                bool redist) {
  uint64_t v = 0;
  for (unsigned b = 0; b < size; ++b) {
    const unsigned intid = static_cast<unsigned>(off - kIpriorityr) + b;
    // With ARE the distributor's bytes for INTIDs 0-31 are RAZ/WI (GIC, GICD_IPRIORITYR).
    if (!s.valid(intid) || (!redist && intid < 32)) continue;
    v |= uint64_t{s.irq(cpu, intid).prio} << (8 * b);
  }
  return v;
}

static void write_priorities(Gicv3::State& s, unsigned cpu, uint64_t off, unsigned size,
                             bool redist, uint64_t v) {
  for (unsigned b = 0; b < size; ++b) {
    const unsigned intid = static_cast<unsigned>(off - kIpriorityr) + b;
    if (!s.valid(intid) || (!redist && intid < 32)) continue;
    s.irq(cpu, intid).prio = static_cast<uint8_t>(v >> (8 * b)) & gic::kPriMask;
  }
}

// Common size/alignment dispatch: 32-bit registers, split 64-bit accesses, byte priorities.
template <class Read32>
static uint64_t dispatch_read(uint64_t off, unsigned size, Read32 read32) {
  if (size == 4 && off % 4 == 0) return read32(off);
  if (size == 8 && off % 8 == 0) return read32(off) | uint64_t{read32(off + 4)} << 32;
  return 0;
}

template <class Write32>
static void dispatch_write(uint64_t off, unsigned size, uint64_t v, Write32 write32) {
  if (size == 4 && off % 4 == 0) {
    write32(off, static_cast<uint32_t>(v));
  } else if (size == 8 && off % 8 == 0) {
    write32(off, static_cast<uint32_t>(v));
    write32(off + 4, static_cast<uint32_t>(v >> 32));
  }
}

// ---------------------------------------------------------------------------------------------

class Gicv3::State::DistWindow final : public BusDevice {
 public:
  explicit DistWindow(State& s) : s_(s) {}
  const char* name() const override { return "gicv3-dist"; }

  uint64_t read(uint64_t off, unsigned size) override {
    return s_.locked([&]() -> uint64_t {
      if (is_priority(off, size, false)) return read_priorities(s_, 0, off, size, false);
      return dispatch_read(off, size, [&](uint64_t o) { return read32(o); });
    });
  }

  void write(uint64_t off, unsigned size, uint64_t v) override {
    s_.locked([&] {
      // Most distributor writes can change any CPU's candidates; they are rare (set-up,
      // mask/unmask), so every CPU is re-evaluated.
      s_.touch_all();
      if (is_priority(off, size, false)) return write_priorities(s_, 0, off, size, false, v);
      dispatch_write(off, size, v, [&](uint64_t o, uint32_t w) { write32(o, w); });
    });
  }

 private:
  static constexpr uint64_t kIrouter = 0x6000;

  uint32_t typer() const {
    // GICD_TYPER: ITLinesNumber [4:0] = INTIDs / 32 - 1, IDbits [23:19] = 9
    // (10-bit INTIDs), No1N [25] = 1 (no 1-of-N SPI routing); SecurityExtn, MBIS, LPIS, DVIS,
    // A3V, RSS, ESPI all 0.
    return ((32 + s_.nspi) / 32 - 1) | 9u << 19 | 1u << 25;
  }

  uint32_t read32(uint64_t off) {
    uint32_t v = 0;
    if (shared_read(s_, 0, off, false, &v)) return v;
    switch (off) {
      // GICD_CTLR with DS = 1 (GIC, GICD_CTLR): EnableGrp0 [0], EnableGrp1 [1], ARE [4] RAO/WI,
      // DS [6] RAO/WI; RWP [31] reads 0 because writes take effect at once.
      case 0x0000:
        return uint32_t{s_.en_grp0} | uint32_t{s_.en_grp1} << 1 | 1u << 4 | 1u << 6;
      case 0x0004:
        return typer();
      case 0x0008:
        return gic::kIidr;
      default:
        break;
    }
    if (off >= kIrouter + 32 * 8 && off < kIrouter + (32 + s_.nspi) * 8) {
      const uint64_t r = s_.irouter[(off - kIrouter) / 8 - 32];
      return static_cast<uint32_t>(off % 8 ? r >> 32 : r);
    }
    if (off >= 0xFFD0) return id_register(off);
    // Everything else, including GICD_TYPER2, STATUSR, IGRPMODR and NSACR (RAZ/WI with
    // DS = 1), ITARGETSR and the SGI registers (RAZ/WI with ARE): zero.
    return 0;
  }

  void write32(uint64_t off, uint32_t v) {
    if (shared_write(s_, 0, off, false, v)) return;
    if (off == 0x0000) {
      s_.en_grp0 = v & 1;
      s_.en_grp1 = (v >> 1) & 1;
      return;
    }
    if (off >= kIrouter + 32 * 8 && off < kIrouter + (32 + s_.nspi) * 8) {
      const unsigned n = static_cast<unsigned>((off - kIrouter) / 8 - 32);
      uint64_t& r = s_.irouter[n];
      if (off % 8) {
        r = (r & 0xFFFF'FFFF) | uint64_t{v} << 32;
      } else {
        r = (r & ~uint64_t{0xFFFF'FFFF}) | v;
      }
      // Aff0-2 [23:0] and Aff3 [39:32]; IRM [31] is RAZ/WI because GICD_TYPER.No1N = 1.
      r &= 0xFF'00FF'FFFF;
      const uint32_t aff = static_cast<uint32_t>((r >> 32) << 24 | (r & 0xFF'FFFF));
      s_.target[n] = s_.cpu_of_affinity(aff);
    }
  }

  State& s_;
};

class Gicv3::State::RedistWindow final : public BusDevice {
 public:
  explicit RedistWindow(State& s) : s_(s) {}
  const char* name() const override { return "gicv3-redist"; }

  uint64_t read(uint64_t off, unsigned size) override {
    const unsigned cpu = static_cast<unsigned>(off / kRedistStride);
    if (cpu >= s_.ncpu) return 0;
    const uint64_t o = off % kRedistStride;
    return s_.locked([&]() -> uint64_t {
      if (o >= 0x10000 && is_priority(o - 0x10000, size, true))
        return read_priorities(s_, cpu, o - 0x10000, size, true);
      return dispatch_read(o, size, [&](uint64_t x) { return read32(cpu, x); });
    });
  }

  void write(uint64_t off, unsigned size, uint64_t v) override {
    const unsigned cpu = static_cast<unsigned>(off / kRedistStride);
    if (cpu >= s_.ncpu) return;
    const uint64_t o = off % kRedistStride;
    s_.locked([&] {
      s_.touch(cpu);
      if (o >= 0x10000 && is_priority(o - 0x10000, size, true))
        return write_priorities(s_, cpu, o - 0x10000, size, true, v);
      dispatch_write(o, size, v, [&](uint64_t x, uint32_t w) { write32(cpu, x, w); });
    });
  }

 private:
  uint32_t read32(unsigned cpu, uint64_t o) {
    if (o >= 0x10000) {  // SGI_base frame
      uint32_t v = 0;
      if (shared_read(s_, cpu, o - 0x10000, true, &v)) return v;
      if (o - 0x10000 >= 0xFFD0) return id_register(o - 0x10000);
      return 0;  // IGRPMODR0, NSACR: RAZ/WI with DS = 1
    }
    switch (o) {
      case 0x0000:
        return 0;  // GICR_CTLR: no LPIs, RWP/UWP never set
      case 0x0004:
        return gic::kIidr;
      case 0x0008: {
        // GICR_TYPER low half (GIC, GICR_TYPER): Processor_Number [23:8], Last [4] on the final
        // frame; PLPIS, VLPIS, DirectLPI, PPInum (16 PPIs) all 0.
        return cpu << 8 | uint32_t{cpu + 1 == s_.ncpu} << 4;
      }
      case 0x000C:
        return s_.cpus[cpu].affinity;  // GICR_TYPER[63:32] Affinity_Value
      case 0x0014: {
        // GICR_WAKER: ProcessorSleep [1], ChildrenAsleep [2]. The redistributor has no
        // state to drain, so ChildrenAsleep follows ProcessorSleep at once.
        const bool sleep = s_.cpus[cpu].sleep;
        return uint32_t{sleep} << 1 | uint32_t{sleep} << 2;
      }
      default:
        break;
    }
    if (o >= 0xFFD0) return id_register(o);
    return 0;
  }

  void write32(unsigned cpu, uint64_t o, uint32_t v) {
    if (o >= 0x10000) {
      shared_write(s_, cpu, o - 0x10000, true, v);
      return;
    }
    if (o == 0x0014) s_.cpus[cpu].sleep = (v >> 1) & 1;
  }

  State& s_;
};

class Gicv3::State::SpiLine final : public IrqLine {
 public:
  SpiLine(State& s, unsigned n) : s_(s), n_(n) {}
  void set_level(bool high) override {
    s_.locked([&] { s_.set_line(0, 32 + n_, high); });
  }

 private:
  State& s_;
  unsigned n_;
};

std::unique_ptr<BusDevice> Gicv3::State::make_dist(State& s) {
  return std::make_unique<DistWindow>(s);
}
std::unique_ptr<BusDevice> Gicv3::State::make_redist(State& s) {
  return std::make_unique<RedistWindow>(s);
}
std::unique_ptr<IrqLine> Gicv3::State::make_spi_line(State& s, unsigned n) {
  return std::make_unique<SpiLine>(s, n);
}

}  // namespace xvm::devices
