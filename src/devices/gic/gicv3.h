// Arm GICv3 interrupt controller: distributor, one redistributor per CPU and the CPU interface
// as system registers (Arm IHI 0069 "GIC architecture specification, GICv3 and GICv4", "GIC"
// below). The model is the configuration Linux's irq-gic-v3.c expects on a VM:
//
//  - single security state (GICD_CTLR.DS = 1) and affinity routing only (ARE RAO/WI), no
//    legacy GICv2 interface, no ITS, no LPIs, no extended SPI/PPI ranges, no 1-of-N routing;
//  - 5 priority bits (ICC_CTLR_EL1.PRIbits = 4): 32 priority levels, preemption at each one,
//    so only ICC_AP0R0/ICC_AP1R0 exist (GIC, ICC_AP1R<n>_EL1 and ICC_CTLR_EL1.PRIbits);
//  - Group 1 interrupts reach the CPU as IRQ (irq_pending). Group 0 interrupts (with DS = 1 they
//    would be FIQs) are tracked and can be acknowledged through ICC_IAR0_EL1, but no FIQ line
//    is modelled, and each group's highest pending interrupt is chosen within that group.
//
// Threading: register accesses come from any vCPU thread and interrupt inputs from any device
// thread; one mutex guards the state. irq_pending() reads a per-CPU atomic and takes no lock.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "devices/bus_device.h"

namespace xvm::devices {

class Gicv3 {
 public:
  struct Config {
    // MPIDR_EL1 affinity of each CPU, in MPIDR layout (Aff0 [7:0], Aff1 [15:8], Aff2 [23:16],
    // Aff3 [39:32]; Aff3 must be 0 because GICD_TYPER.A3V = 0). Index = CPU number =
    // redistributor frame number. At least one CPU.
    std::vector<uint64_t> mpidr;
    // SPIs (INTIDs 32 .. 32 + num_spis - 1): a multiple of 32 from 32 to 960 (GIC, GICD_TYPER:
    // GICD_TYPER.ITLinesNumber counts blocks of 32 INTIDs; 1020 and above are special).
    unsigned num_spis = 64;
  };
  // Bytes per redistributor (RD_base + SGI_base frames, no VLPI frames: GIC, the Redistributor
  // register map).
  static constexpr uint64_t kRedistStride = 0x2'0000;
  static constexpr uint64_t kDistSize = 0x1'0000;
  static constexpr uint32_t kSpurious = 1023;

  explicit Gicv3(Config config);
  ~Gicv3();
  Gicv3(const Gicv3&) = delete;
  Gicv3& operator=(const Gicv3&) = delete;

  // The GICD_* window (kDistSize bytes) and the GICR_* window (num_cpus() * kRedistStride
  // bytes, CPU i's frames at i * kRedistStride).
  BusDevice& distributor();
  BusDevice& redistributors();

  unsigned num_cpus() const;
  unsigned num_spis() const;

  // Input of SPI n (INTID 32 + n), n < num_spis(); lives as long as the GIC.
  IrqLine& spi(unsigned n);
  // Level of the PPI `intid` (16..31) of CPU `cpu` (e.g. the generic timer's outputs).
  void set_ppi(unsigned cpu, unsigned intid, bool level);

  // The CPU interface of CPU `cpu`: MRS/MSR of an ICC_*_EL1 register, `enc` as features.h
  // sysreg(op0, op1, CRn, CRm, op2). false = not a register of this CPU interface, or an access
  // the architecture makes UNDEFINED (MSR to a read-only register, MRS of a write-only one,
  // unimplemented ICC_AP*R1-3). The caller rejects EL0 itself: every ICC_* register used here
  // is EL1-only.
  bool cpu_read(unsigned cpu, uint32_t enc, uint64_t* value);
  bool cpu_write(unsigned cpu, uint32_t enc, uint64_t value);

  // Whether CPU `cpu`'s IRQ input is asserted: ICC_IAR1_EL1 would return an INTID other than
  // 1023 now (GIC chapter 4, interrupt prioritization: pending, enabled, Group 1 enabled in
  // GICD_CTLR and ICC_IGRPEN1_EL1, priority below ICC_PMR_EL1 and group priority above the running
  // priority, redistributor awake). Lock-free.
  bool irq_pending(unsigned cpu) const;

  // Called after any change that may have changed irq_pending(cpu), on the thread that made
  // the change and outside the GIC's lock (so it may call back into the GIC). Spurious calls
  // are possible. Set it before the first vCPU or device thread starts.
  void set_kick(std::function<void(unsigned cpu)> kick);

  struct State;  // the implementation's (devices/gic/gicv3_state.h)

 private:
  std::unique_ptr<State> s_;
};

}  // namespace xvm::devices
