// GICv3 state, interrupt inputs and the delivery rules (Arm IHI 0069, "GIC"): which interrupt
// a CPU would acknowledge, acknowledge, priority drop and deactivation, SGI generation.
#include "devices/gic/gicv3.h"

#include <bit>
#include <cassert>

#include "devices/gic/gicv3_state.h"

namespace xvm::devices {

using gic::Irq;

Gicv3::State::State(const Config& config)
    : ncpu(static_cast<unsigned>(config.mpidr.size())),
      nspi(config.num_spis),
      priv(ncpu * 32),
      spis(nspi),
      irouter(nspi, 0),
      target(nspi, -1),
      cpus(ncpu),
      dirty(ncpu, 0),
      line(new std::atomic<bool>[ncpu]) {
  for (unsigned c = 0; c < ncpu; ++c) {
    const uint64_t m = config.mpidr[c];
    // GICR_TYPER.Affinity_Value = Aff3:Aff2:Aff1:Aff0 (GIC, GICR_TYPER).
    cpus[c].affinity = static_cast<uint32_t>(((m >> 32) & 0xFF) << 24 | (m & 0xFF'FFFF));
    line[c].store(false);
    // SGIs are always edge-triggered (GIC, GICR_ICFGR0 is read-only).
    for (unsigned i = 0; i < 16; ++i) priv[c * 32 + i].edge = true;
  }
  // GICD_IROUTER resets to an UNKNOWN value (GIC, GICD_IROUTER<n>); 0 routes to the CPU with
  // affinity 0.0.0.0, which is where Linux routes everything at boot anyway.
  for (unsigned n = 0; n < nspi; ++n) target[n] = cpu_of_affinity(0);
}

int Gicv3::State::cpu_of_affinity(uint32_t aff) const {
  for (unsigned c = 0; c < ncpu; ++c)
    if (cpus[c].affinity == aff) return static_cast<int>(c);
  return -1;
}

void Gicv3::State::touch_intid(unsigned cpu, unsigned intid) {
  if (intid < 32) {
    touch(cpu);
  } else if (int t = target[intid - 32]; t >= 0) {
    touch(static_cast<unsigned>(t));
  }
}

uint32_t Gicv3::State::hppi(unsigned cpu, bool group1) {
  // The redistributor forwards nothing while the PE is asleep (GIC, GICR_WAKER.ProcessorSleep);
  // GICD_CTLR's group enables gate every interrupt of the group (GIC, GICD_CTLR).
  if (cpus[cpu].sleep || !(group1 ? en_grp1 : en_grp0)) return kSpurious;
  uint32_t best = kSpurious;
  unsigned best_prio = 0x100;
  auto consider = [&](const Irq& q, uint32_t intid) {
    if (q.group1 == group1 && q.enabled && !q.active && q.pending() && q.prio < best_prio) {
      best = intid;
      best_prio = q.prio;
    }
  };
  for (uint32_t i = 0; i < 32; ++i) consider(priv[cpu * 32 + i], i);
  for (uint32_t n = 0; n < nspi; ++n)
    if (target[n] == static_cast<int>(cpu)) consider(spis[n], 32 + n);
  return best;
}

uint8_t Gicv3::State::running_priority(unsigned cpu) const {
  // GIC, ICC_RPR_EL1: the running priority is the group priority of the highest active priority
  // recorded in the active priority registers, or idle (0xFF).
  const uint32_t ap = cpus[cpu].ap0 | cpus[cpu].ap1;
  if (ap == 0) return 0xFF;
  return static_cast<uint8_t>(std::countr_zero(ap) << (8 - gic::kPriBits));
}

uint8_t Gicv3::State::group_priority_mask(unsigned cpu, bool group1) const {
  // GIC chapter 4, priority grouping table: with binary point n, Group 0's group priority is bits
  // [7:n+1] and Group 1's is bits [7:n]. ICC_CTLR_EL1.CBPR makes Group 1 use ICC_BPR0_EL1 (as BPR0
  // + 1).
  const gic::CpuIf& c = cpus[cpu];
  unsigned shift;
  if (!group1) {
    shift = c.bpr0 + 1u;
  } else if (c.cbpr) {
    shift = c.bpr0 + 1u;
  } else {
    shift = c.bpr1;
  }
  return static_cast<uint8_t>(shift >= 8 ? 0 : (0xFFu << shift) & 0xFF);
}

uint32_t Gicv3::State::signalled(unsigned cpu, bool group1) {
  const gic::CpuIf& c = cpus[cpu];
  if (!(group1 ? c.igrpen1 : c.igrpen0)) return kSpurious;
  const uint32_t intid = hppi(cpu, group1);
  if (intid == kSpurious) return kSpurious;
  const uint8_t prio = irq(cpu, intid).prio;
  // GIC chapter 4 (priority masking, preemption): signalled only if higher priority than the
  // priority mask and its group priority is higher than the running priority (lower values are
  // higher priorities).
  if (prio >= c.pmr) return kSpurious;
  if ((prio & group_priority_mask(cpu, group1)) >= running_priority(cpu)) return kSpurious;
  return intid;
}

uint32_t Gicv3::State::acknowledge(unsigned cpu, bool group1) {
  const uint32_t intid = signalled(cpu, group1);
  if (intid == kSpurious) return kSpurious;
  Irq& q = irq(cpu, intid);
  // GIC chapter 4 state machine: pending -> active (an asserted level-sensitive line keeps it
  // active and pending); the edge/software latch is consumed.
  q.active = true;
  q.latch = false;
  const unsigned bit = (q.prio & group_priority_mask(cpu, group1)) >> (8 - gic::kPriBits);
  (group1 ? cpus[cpu].ap1 : cpus[cpu].ap0) |= 1u << bit;
  touch(cpu);
  return intid;
}

void Gicv3::State::end_of_interrupt(unsigned cpu, bool group1, uint32_t intid) {
  // INTIDs 1020-1023 are special and never acknowledged: the write is ignored (GIC, INTID ranges:
  // special INTIDs).
  if (intid >= 1020 && intid <= 1023) return;
  // Priority drop (GIC, ICC_EOIR1_EL1): clear the highest active priority of the group.
  uint32_t& ap = group1 ? cpus[cpu].ap1 : cpus[cpu].ap0;
  if (ap != 0) ap &= ap - 1;
  touch(cpu);
  // With EOImode 0 the write also deactivates the interrupt (GIC, ICC_EOIR1_EL1 and
  // ICC_CTLR_EL1.EOImode); with 1 the guest writes ICC_DIR_EL1 later.
  if (!cpus[cpu].eoimode) deactivate(cpu, intid);
}

void Gicv3::State::deactivate(unsigned cpu, uint32_t intid) {
  if (!valid(intid)) return;
  irq(cpu, intid).active = false;
  touch_intid(cpu, intid);
}

void Gicv3::State::generate_sgi(unsigned cpu, uint64_t v, bool group1) {
  // ICC_SGI1R_EL1 layout (GIC, ICC_SGI1R_EL1): TargetList [15:0], Aff1 [23:16], INTID [27:24],
  // Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48].
  const unsigned intid = (v >> 24) & 0xF;
  auto pend = [&](unsigned t) {
    Irq& q = priv[t * 32 + intid];
    // With DS = 1 an SGI is forwarded only to targets where that SGI has the generating
    // register's group (GIC, ICC_SGI1R_EL1, forwarding of SGIs with DS = 1).
    if (q.group1 != group1) return;
    q.latch = true;
    touch(t);
  };
  if (v & (uint64_t{1} << 40)) {  // IRM: every PE except the requester
    for (unsigned t = 0; t < ncpu; ++t)
      if (t != cpu) pend(t);
    return;
  }
  const uint32_t high = static_cast<uint32_t>(((v >> 48) & 0xFF) << 24 | ((v >> 32) & 0xFF) << 16 |
                                              ((v >> 16) & 0xFF) << 8);
  const unsigned rs = (v >> 44) & 0xF;
  for (unsigned i = 0; i < 16; ++i) {
    if (!(v & (1u << i))) continue;
    const int t = cpu_of_affinity(high | (rs * 16 + i));
    if (t >= 0) pend(static_cast<unsigned>(t));  // no such PE: ignored
  }
}

void Gicv3::State::set_line(unsigned cpu, unsigned intid, bool level) {
  Irq& q = irq(cpu, intid);
  if (q.line == level) return;
  // An edge-triggered interrupt becomes pending on a rising edge (GIC chapter 4, edge-triggered
  // interrupts).
  if (q.edge && level) q.latch = true;
  q.line = level;
  touch_intid(cpu, intid);
}

unsigned Gicv3::State::settle(unsigned* out, unsigned cap, bool* overflow) {
  unsigned n = 0;
  for (unsigned c = 0; c < ncpu; ++c) {
    if (!all_dirty && !dirty[c]) continue;
    dirty[c] = 0;
    const bool level = signalled(c, true) != kSpurious;
    if (line[c].load(std::memory_order_relaxed) == level) continue;
    line[c].store(level, std::memory_order_release);
    if (n < cap) {
      out[n++] = c;
    } else {
      *overflow = true;
    }
  }
  all_dirty = false;
  return n;
}

// --- public interface ---

Gicv3::Gicv3(Config config) {
  assert(!config.mpidr.empty());
  assert(config.num_spis >= 32 && config.num_spis <= 960 && config.num_spis % 32 == 0);
  s_ = std::make_unique<State>(config);
  s_->dist = State::make_dist(*s_);
  s_->redist = State::make_redist(*s_);
  for (unsigned n = 0; n < s_->nspi; ++n) s_->spi_lines.push_back(State::make_spi_line(*s_, n));
}

Gicv3::~Gicv3() = default;

BusDevice& Gicv3::distributor() {
  return *s_->dist;
}
BusDevice& Gicv3::redistributors() {
  return *s_->redist;
}
unsigned Gicv3::num_cpus() const {
  return s_->ncpu;
}
unsigned Gicv3::num_spis() const {
  return s_->nspi;
}

IrqLine& Gicv3::spi(unsigned n) {
  assert(n < s_->nspi);
  return *s_->spi_lines[n];
}

void Gicv3::set_ppi(unsigned cpu, unsigned intid, bool level) {
  assert(cpu < s_->ncpu && intid >= 16 && intid < 32);
  s_->locked([&] { s_->set_line(cpu, intid, level); });
}

bool Gicv3::irq_pending(unsigned cpu) const {
  return cpu < s_->ncpu && s_->line[cpu].load(std::memory_order_acquire);
}

void Gicv3::set_kick(std::function<void(unsigned)> kick) {
  std::lock_guard lock(s_->mu);
  s_->kick = std::move(kick);
}

}  // namespace xvm::devices
