// memory/phys.h: RAM regions and the MMIO bus — overlap rules, bounded RAM access, dispatch of
// accesses to device windows by offset, and refusal of unassigned or straddling accesses.
#include "memory/phys.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "devices/bus_device.h"

namespace {

using xvm::GuestPhysAddr;
using xvm::memory::Bus;
using xvm::memory::PhysMemory;

struct Access {
  bool write;
  uint64_t offset;
  unsigned size;
  uint64_t value;
};

// Records every access; reads return 0x1122334455667788 so masking to the access size shows.
class RecordingDevice : public xvm::devices::BusDevice {
 public:
  uint64_t read(uint64_t offset, unsigned size) override {
    log.push_back({false, offset, size, 0});
    return 0x1122334455667788;
  }
  void write(uint64_t offset, unsigned size, uint64_t value) override {
    log.push_back({true, offset, size, value});
  }
  const char* name() const override { return "recorder"; }
  std::vector<Access> log;
};

constexpr uint64_t kRamBase = 0x40000000;

TEST(PhysMemory, RamIsZeroedAndBoundedToItsRegion) {
  PhysMemory m;
  ASSERT_TRUE(m.add_ram(GuestPhysAddr{kRamBase}, 0x10000));
  uint8_t* p = m.ram_ptr(GuestPhysAddr{kRamBase}, 0x10000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[0], 0);
  EXPECT_EQ(p[0xffff], 0);
  EXPECT_EQ(m.ram_ptr(GuestPhysAddr{kRamBase + 0xfff0}, 0x10), p + 0xfff0);
  EXPECT_EQ(m.ram_ptr(GuestPhysAddr{kRamBase + 0xfff0}, 0x11), nullptr);  // one byte past
  EXPECT_EQ(m.ram_ptr(GuestPhysAddr{kRamBase - 1}, 2), nullptr);         // starts before
  EXPECT_EQ(m.ram_ptr(GuestPhysAddr{kRamBase + 0x10000}, 1), nullptr);
  EXPECT_EQ(m.ram_ptr(GuestPhysAddr{kRamBase + 8}, UINT64_MAX), nullptr);  // pa+len wraps
  EXPECT_EQ(m.ram_ptr(GuestPhysAddr{UINT64_MAX}, 2), nullptr);
}

TEST(PhysMemory, EachRegionHasInaccessibleGuardPages) {
  // A stray host access next to a region faults. Probed with write(2) from the bytes, which
  // reports EFAULT instead of raising SIGSEGV.
  PhysMemory m;
  ASSERT_TRUE(m.add_ram(GuestPhysAddr{kRamBase}, 0x2000));
  const uint8_t* p = m.ram_ptr(GuestPhysAddr{kRamBase}, 0x2000);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(write(fds[1], p, 1), 1);
  EXPECT_EQ(write(fds[1], p + 0x1fff, 1), 1);
  errno = 0;
  EXPECT_EQ(write(fds[1], p - 1, 1), -1);
  EXPECT_EQ(errno, EFAULT);
  errno = 0;
  EXPECT_EQ(write(fds[1], p + 0x2000, 1), -1);
  EXPECT_EQ(errno, EFAULT);
  close(fds[0]);
  close(fds[1]);
}

TEST(PhysMemory, ReadWriteRoundTripAndRefuseOutsideRam) {
  PhysMemory m;
  ASSERT_TRUE(m.add_ram(GuestPhysAddr{kRamBase}, 0x1000));
  const uint32_t v = 0xdeadbeef;
  EXPECT_TRUE(m.write(GuestPhysAddr{kRamBase + 0xffc}, &v, 4));
  uint32_t got = 0;
  EXPECT_TRUE(m.read(GuestPhysAddr{kRamBase + 0xffc}, &got, 4));
  EXPECT_EQ(got, v);
  EXPECT_FALSE(m.write(GuestPhysAddr{kRamBase + 0xffd}, &v, 4));
  got = 7;
  EXPECT_FALSE(m.read(GuestPhysAddr{kRamBase + 0xffd}, &got, 4));
  EXPECT_EQ(got, 7u);  // nothing copied
}

TEST(PhysMemory, AdjacentRegionsDoNotFormOneRange) {
  // Two regions back to back are still two regions: a range crossing the seam is refused,
  // since their host memory is not contiguous.
  PhysMemory m;
  ASSERT_TRUE(m.add_ram(GuestPhysAddr{kRamBase + 0x1000}, 0x1000));
  ASSERT_TRUE(m.add_ram(GuestPhysAddr{kRamBase}, 0x1000));
  EXPECT_NE(m.ram_ptr(GuestPhysAddr{kRamBase + 0xff0}, 0x10), nullptr);
  EXPECT_NE(m.ram_ptr(GuestPhysAddr{kRamBase + 0x1000}, 0x10), nullptr);
  EXPECT_EQ(m.ram_ptr(GuestPhysAddr{kRamBase + 0xff8}, 0x10), nullptr);
}

TEST(PhysMemory, RefusesOverlapMisalignmentZeroSizeAndWrap) {
  PhysMemory m;
  ASSERT_TRUE(m.add_ram(GuestPhysAddr{kRamBase}, 0x4000));
  auto r = m.add_ram(GuestPhysAddr{kRamBase + 0x3000}, 0x2000);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("overlaps RAM"), std::string::npos) << r.error();
  r = m.add_ram(GuestPhysAddr{kRamBase - 0x1000}, 0x2000);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("overlaps RAM"), std::string::npos) << r.error();
  r = m.add_ram(GuestPhysAddr{0x1800}, 0x1000);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("page-aligned"), std::string::npos) << r.error();
  r = m.add_ram(GuestPhysAddr{0}, 0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("size 0"), std::string::npos) << r.error();
  r = m.add_ram(GuestPhysAddr{0xfffffffffffff000}, 0x2000);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("wraps"), std::string::npos) << r.error();
  EXPECT_EQ(m.regions().size(), 1u);
}

TEST(Bus, DispatchesByOffsetAndMasksToTheAccessSize) {
  PhysMemory m;
  Bus bus(m);
  RecordingDevice dev;
  ASSERT_TRUE(bus.add_device(GuestPhysAddr{0x0a000000}, 0x200, &dev));
  uint64_t v = 0;
  ASSERT_TRUE(bus.mmio_read(GuestPhysAddr{0x0a000010}, 4, &v));
  EXPECT_EQ(v, 0x55667788u);
  ASSERT_TRUE(bus.mmio_read(GuestPhysAddr{0x0a000011}, 1, &v));
  EXPECT_EQ(v, 0x88u);
  ASSERT_TRUE(bus.mmio_read(GuestPhysAddr{0x0a0001f8}, 8, &v));
  EXPECT_EQ(v, 0x1122334455667788u);
  ASSERT_TRUE(bus.mmio_write(GuestPhysAddr{0x0a000070}, 2, 0xbeef));
  ASSERT_EQ(dev.log.size(), 4u);
  EXPECT_EQ(dev.log[0].offset, 0x10u);
  EXPECT_EQ(dev.log[0].size, 4u);
  EXPECT_EQ(dev.log[1].offset, 0x11u);
  EXPECT_EQ(dev.log[2].offset, 0x1f8u);
  EXPECT_TRUE(dev.log[3].write);
  EXPECT_EQ(dev.log[3].offset, 0x70u);
  EXPECT_EQ(dev.log[3].value, 0xbeefu);
}

TEST(Bus, RefusesUnassignedStraddlingAndOddSizedAccesses) {
  PhysMemory m;
  Bus bus(m);
  RecordingDevice dev;
  ASSERT_TRUE(bus.add_device(GuestPhysAddr{0x0a000000}, 0x200, &dev));
  uint64_t v = 0;
  EXPECT_FALSE(bus.mmio_read(GuestPhysAddr{0x09ffffff}, 1, &v));   // just below
  EXPECT_FALSE(bus.mmio_read(GuestPhysAddr{0x0a000200}, 1, &v));   // just past
  EXPECT_FALSE(bus.mmio_read(GuestPhysAddr{0x0a0001fe}, 4, &v));   // straddles the end
  EXPECT_FALSE(bus.mmio_write(GuestPhysAddr{0x0a0001fc}, 8, 0));   // straddles the end
  EXPECT_FALSE(bus.mmio_read(GuestPhysAddr{0x0a000000}, 3, &v));   // not 1/2/4/8
  EXPECT_FALSE(bus.mmio_read(GuestPhysAddr{0x0a000000}, 16, &v));
  EXPECT_FALSE(bus.mmio_read(GuestPhysAddr{UINT64_MAX}, 8, &v));
  EXPECT_TRUE(dev.log.empty());
}

TEST(Bus, RefusesWindowsOverlappingRamOrEachOther) {
  PhysMemory m;
  Bus bus(m);
  ASSERT_TRUE(bus.add_ram(GuestPhysAddr{kRamBase}, 0x10000));
  RecordingDevice a, b;
  auto r = bus.add_device(GuestPhysAddr{kRamBase + 0xfff0}, 0x100, &a);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("overlaps RAM"), std::string::npos) << r.error();
  r = bus.add_device(GuestPhysAddr{kRamBase - 0x10}, 0x11, &a);  // last byte is RAM's first
  ASSERT_FALSE(r);
  EXPECT_TRUE(bus.add_device(GuestPhysAddr{kRamBase - 0x10}, 0x10, &a));  // touches, no overlap
  r = bus.add_device(GuestPhysAddr{kRamBase - 0x20}, 0x11, &b);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("overlaps the recorder window"), std::string::npos) << r.error();
  r = bus.add_device(GuestPhysAddr{0x1000}, 0, &b);
  EXPECT_FALSE(r);
  r = bus.add_device(GuestPhysAddr{0xffffffffffffff00}, 0x200, &b);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("wraps"), std::string::npos) << r.error();
  // RAM added after a window is checked against it.
  r = bus.add_ram(GuestPhysAddr{kRamBase - 0x1000}, 0x1000);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("overlaps the recorder window"), std::string::npos) << r.error();
  // RAM is not MMIO.
  uint64_t v = 0;
  EXPECT_FALSE(bus.mmio_read(GuestPhysAddr{kRamBase}, 4, &v));
}

}  // namespace
