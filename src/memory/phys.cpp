#include "memory/phys.h"

#include <sys/mman.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "devices/bus_device.h"

namespace xvm::memory {
namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// [a, a+as) and [b, b+bs) intersect; both are known not to wrap.
bool intersects(uint64_t a, uint64_t as, uint64_t b, uint64_t bs) {
  return a < b + bs && b < a + as;
}

// The common checks of a new range: non-empty, and base + size does not wrap past 2^64.
std::expected<void, std::string> check_range(const char* what, uint64_t base, uint64_t size) {
  if (size == 0) return std::unexpected(std::string(what) + " at " + hex(base) + " has size 0");
  if (size > UINT64_MAX - base)
    return std::unexpected(std::string(what) + " at " + hex(base) + " of size " + hex(size) +
                           " wraps past the end of the address space");
  return {};
}

}  // namespace

PhysMemory::~PhysMemory() {
  for (const Region& r : regions_) munmap(r.host - kPageSize, r.size + 2 * kPageSize);
}

std::expected<void, std::string> PhysMemory::add_ram(GuestPhysAddr base, uint64_t size) {
  const uint64_t b = base.value;
  if (auto ok = check_range("RAM", b, size); !ok) return ok;
  if (b % kPageSize || size % kPageSize)
    return std::unexpected("RAM at " + hex(b) + " of size " + hex(size) + " is not page-aligned");
  for (const Region& r : regions_)
    if (intersects(b, size, r.base, r.size))
      return std::unexpected("RAM at " + hex(b) + " overlaps RAM at " + hex(r.base));
  // An inaccessible guard page on each side: a host access that strays past a region (a bug
  // in a bounds check) faults instead of reaching whatever the host mapped next to it.
  if (size > UINT64_MAX - 2 * kPageSize)
    return std::unexpected("RAM at " + hex(b) + " of size " + hex(size) + " is too large");
  void* res = mmap(nullptr, size + 2 * kPageSize, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (res == MAP_FAILED)
    return std::unexpected("cannot reserve " + hex(size) + " bytes of host memory for RAM: " +
                           std::strerror(errno));
  uint8_t* host = static_cast<uint8_t*>(res) + kPageSize;
  if (mprotect(host, size, PROT_READ | PROT_WRITE) != 0) {
    const int e = errno;
    munmap(res, size + 2 * kPageSize);
    return std::unexpected("cannot make " + hex(size) + " bytes of RAM accessible: " +
                           std::strerror(e));
  }
  const Region reg{b, size, host};
  regions_.insert(std::upper_bound(regions_.begin(), regions_.end(), b,
                                   [](uint64_t v, const Region& r) { return v < r.base; }),
                  reg);
  return {};
}

const PhysMemory::Region* PhysMemory::find(uint64_t pa) const {
  // The last region whose base is <= pa.
  auto it = std::upper_bound(regions_.begin(), regions_.end(), pa,
                             [](uint64_t v, const Region& r) { return v < r.base; });
  if (it == regions_.begin()) return nullptr;
  --it;
  return pa - it->base < it->size ? &*it : nullptr;
}

uint8_t* PhysMemory::ram_ptr(GuestPhysAddr pa, uint64_t len) const {
  const Region* r = find(pa.value);
  if (!r) return nullptr;
  const uint64_t off = pa.value - r->base;
  // off < size, so size - off cannot underflow; comparing lengths avoids pa + len overflow.
  if (len > r->size - off) return nullptr;
  return r->host + off;
}

bool PhysMemory::overlaps_ram(GuestPhysAddr base, uint64_t size) const {
  if (size == 0) return false;
  const uint64_t b = base.value;
  const uint64_t s = std::min(size, UINT64_MAX - b);  // clip a wrapping range
  for (const Region& r : regions_)
    if (intersects(b, s ? s : 1, r.base, r.size)) return true;
  return false;
}

bool PhysMemory::read(GuestPhysAddr pa, void* dst, uint64_t len) const {
  const uint8_t* p = ram_ptr(pa, len);
  if (!p) return false;
  if (len) std::memcpy(dst, p, len);
  return true;
}

bool PhysMemory::write(GuestPhysAddr pa, const void* src, uint64_t len) {
  uint8_t* p = ram_ptr(pa, len);
  if (!p) return false;
  if (len) std::memcpy(p, src, len);
  return true;
}

std::expected<void, std::string> Bus::add_ram(GuestPhysAddr base, uint64_t size) {
  if (auto ok = check_range("RAM", base.value, size); !ok) return ok;
  for (const Window& w : windows_)
    if (intersects(base.value, size, w.base, w.size))
      return std::unexpected("RAM at " + hex(base.value) + " overlaps the " + w.dev->name() +
                             " window at " + hex(w.base));
  return ram_.add_ram(base, size);
}

std::expected<void, std::string> Bus::add_device(GuestPhysAddr base, uint64_t size,
                                                 devices::BusDevice* dev) {
  const uint64_t b = base.value;
  if (!dev) return std::unexpected("no device for the window at " + hex(b));
  if (auto ok = check_range(dev->name(), b, size); !ok) return ok;
  if (ram_.overlaps_ram(base, size))
    return std::unexpected(std::string(dev->name()) + " window at " + hex(b) + " overlaps RAM");
  for (const Window& w : windows_)
    if (intersects(b, size, w.base, w.size))
      return std::unexpected(std::string(dev->name()) + " window at " + hex(b) + " overlaps the " +
                             w.dev->name() + " window at " + hex(w.base));
  const Window win{b, size, dev};
  windows_.insert(std::upper_bound(windows_.begin(), windows_.end(), b,
                                   [](uint64_t v, const Window& w) { return v < w.base; }),
                  win);
  return {};
}

const Bus::Window* Bus::lookup(uint64_t pa, unsigned size, uint64_t* offset) const {
  if (size != 1 && size != 2 && size != 4 && size != 8) return nullptr;
  auto it = std::upper_bound(windows_.begin(), windows_.end(), pa,
                             [](uint64_t v, const Window& w) { return v < w.base; });
  if (it == windows_.begin()) return nullptr;
  --it;
  const uint64_t off = pa - it->base;
  // Inside the window and not straddling its end (off < size, so no underflow).
  if (off >= it->size || size > it->size - off) return nullptr;
  *offset = off;
  return &*it;
}

bool Bus::mmio_read(GuestPhysAddr pa, unsigned size, uint64_t* out) const {
  uint64_t off = 0;
  const Window* w = lookup(pa.value, size, &off);
  if (!w) return false;
  const uint64_t v = w->dev->read(off, size);
  *out = size == 8 ? v : v & ((uint64_t{1} << (8 * size)) - 1);  // only the bytes accessed
  return true;
}

bool Bus::mmio_write(GuestPhysAddr pa, unsigned size, uint64_t value) const {
  uint64_t off = 0;
  const Window* w = lookup(pa.value, size, &off);
  if (!w) return false;
  w->dev->write(off, size, value);
  return true;
}

}  // namespace xvm::memory
