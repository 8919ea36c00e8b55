// The two interfaces every device model implements or uses (ARCHITECTURE.md "Devices never see
// the CPU"): a register window on the bus, addressed by offset inside the window, and interrupt
// lines to an interrupt controller. The same devices serve every machine (arm64 virt, and later
// the KVM x86-64 microVM and RISC-V), so nothing here names an architecture.
#pragma once
#include <cstdint>

namespace xvm::devices {

// A device's MMIO window. The bus calls read/write with the offset from the window's base and
// an access size of 1, 2, 4 or 8 bytes (the guest's access, never split across the window's
// end). Calls may come from any vCPU thread; a device with state shared between vCPUs or with
// its own I/O thread does its own locking. A register that does not exist reads as zero and
// ignores writes (what most Arm peripherals do); a device may log such accesses once.
class BusDevice {
 public:
  virtual ~BusDevice() = default;
  virtual uint64_t read(uint64_t offset, unsigned size) = 0;
  virtual void write(uint64_t offset, unsigned size, uint64_t value) = 0;
  // Short lower-case name for diagnostics ("pl011", "virtio-blk").
  virtual const char* name() const = 0;
};

// One interrupt line from a device to an interrupt controller. set_level(true) raises a
// level-triggered line until set_level(false); pulse() signals an edge. Safe to call from any
// thread (device I/O threads raise completions).
class IrqLine {
 public:
  virtual ~IrqLine() = default;
  virtual void set_level(bool high) = 0;
  virtual void pulse() {
    set_level(true);
    set_level(false);
  }
};

}  // namespace xvm::devices
