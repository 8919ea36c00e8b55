// Guest-physical memory of a system-mode machine (ARCHITECTURE.md "Key types": PhysMemory + Bus):
// RAM regions at guest-physical bases, and the MMIO bus that dispatches every other address to
// a BusDevice window.
//
// The layout (RAM regions and device windows) is built before any vCPU or device thread starts
// and never changes afterwards, so lookups take no lock. Devices reach guest RAM only through
// ram_ptr()/read()/write(), which refuse any range not wholly inside one RAM region.
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "base/types.h"

namespace xvm::devices {
class BusDevice;
}

namespace xvm::memory {

class PhysMemory {
 public:
  struct Region {
    uint64_t base = 0;
    uint64_t size = 0;
    uint8_t* host = nullptr;
  };

  PhysMemory() = default;
  ~PhysMemory();
  PhysMemory(const PhysMemory&) = delete;
  PhysMemory& operator=(const PhysMemory&) = delete;

  // Adds `size` bytes of zeroed RAM at `base` (both page-aligned, size > 0, the range must not
  // wrap past 2^64 nor overlap another region). Host memory is reserved with MAP_NORESERVE, so
  // a large guest costs only what it touches, between two inaccessible guard pages. Errors are
  // one line naming the rule.
  std::expected<void, std::string> add_ram(GuestPhysAddr base, uint64_t size);

  // Host pointer to [pa, pa+len) when that range lies entirely inside one RAM region, else
  // nullptr. len == 0 asks about the single address pa.
  uint8_t* ram_ptr(GuestPhysAddr pa, uint64_t len) const;
  // True when some byte of [base, base+size) is RAM (size > 0; a wrapping range is clipped).
  bool overlaps_ram(GuestPhysAddr base, uint64_t size) const;

  // Bounded copies; false (nothing copied) when the range is not inside one RAM region.
  bool read(GuestPhysAddr pa, void* dst, uint64_t len) const;
  bool write(GuestPhysAddr pa, const void* src, uint64_t len);

  const std::vector<Region>& regions() const { return regions_; }

 private:
  const Region* find(uint64_t pa) const;
  std::vector<Region> regions_;  // sorted by base, disjoint
};

// MMIO windows. A device window may not overlap RAM or another window. Accesses are 1, 2, 4 or
// 8 bytes; one that starts in a window but runs past its end, or hits no window, is refused
// (the caller turns that into the architecture's external abort / bus error).
class Bus {
 public:
  explicit Bus(PhysMemory& ram) : ram_(ram) {}
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // RAM through the bus, checked against the device windows already added.
  std::expected<void, std::string> add_ram(GuestPhysAddr base, uint64_t size);
  // The device is not owned; it must outlive the bus's use.
  std::expected<void, std::string> add_device(GuestPhysAddr base, uint64_t size,
                                              devices::BusDevice* dev);

  bool mmio_read(GuestPhysAddr pa, unsigned size, uint64_t* out) const;
  bool mmio_write(GuestPhysAddr pa, unsigned size, uint64_t value) const;

  PhysMemory& ram() const { return ram_; }

 private:
  struct Window {
    uint64_t base = 0;
    uint64_t size = 0;
    devices::BusDevice* dev = nullptr;
  };
  // The window holding [pa, pa+size), with the offset of pa in it; nullptr otherwise.
  const Window* lookup(uint64_t pa, unsigned size, uint64_t* offset) const;

  PhysMemory& ram_;
  std::vector<Window> windows_;  // sorted by base, disjoint
};

}  // namespace xvm::memory
