// The driver side of a split virtqueue (virtio 1.2 §2.7), as a guest's virtio driver lays it
// out in guest RAM: used by the virtqueue, virtio-mmio and virtio-blk tests and the virtqueue
// fuzz target. Layouts follow the structures of §2.7.5 (virtq_desc), §2.7.6 (virtq_avail) and
// §2.7.8 (virtq_used), written here from the spec independently of devices/virtio/queue.cpp.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "memory/phys.h"

namespace xvm::test {

struct Buf {
  uint64_t addr;
  uint32_t len;
  bool writable;
};

struct UsedElem {
  uint32_t id;
  uint32_t len;
};

class DriverQueue {
 public:
  // The three areas at base (descriptor table), base + 16 * size (available ring) and the
  // next 4 KiB boundary after it (used ring), as Linux's vring_init lays out a legacy ring.
  DriverQueue(memory::PhysMemory& mem, uint64_t base, uint16_t size)
      : mem_(mem), size_(size), desc_(base), avail_(base + 16 * uint64_t{size}) {
    used_ = (avail_ + 6 + 2 * uint64_t{size} + 4095) & ~uint64_t{4095};
    std::vector<uint8_t> zero(used_ + 6 + 8 * uint64_t{size} - base, 0);
    mem_.write(GuestPhysAddr{base}, zero.data(), zero.size());
  }

  uint16_t size() const { return size_; }
  uint64_t desc_addr() const { return desc_; }
  uint64_t avail_addr() const { return avail_; }
  uint64_t used_addr() const { return used_; }
  uint64_t end() const { return used_ + 6 + 8 * uint64_t{size_}; }

  void set_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    uint8_t d[16];
    std::memcpy(d, &addr, 8);
    std::memcpy(d + 8, &len, 4);
    std::memcpy(d + 12, &flags, 2);
    std::memcpy(d + 14, &next, 2);
    mem_.write(GuestPhysAddr{desc_ + 16 * uint64_t{i}}, d, 16);
  }

  // Puts head in the next available ring slot and publishes it (idx + 1).
  void publish(uint16_t head) {
    write16(avail_ + 4 + 2 * uint64_t(avail_idx_ % size_), head);
    set_avail_idx(uint16_t(avail_idx_ + 1));
  }
  void set_avail_idx(uint16_t v) {
    avail_idx_ = v;
    write16(avail_ + 2, v);
  }
  void set_avail_flags(uint16_t v) { write16(avail_, v); }
  void set_ring_entry(uint16_t slot, uint16_t head) { write16(avail_ + 4 + 2 * slot, head); }
  uint16_t avail_idx() const { return avail_idx_; }

  // Writes the buffers into consecutive descriptors (wrapping in the table), chained with
  // VIRTQ_DESC_F_NEXT, and publishes the head. Returns the head.
  uint16_t add_chain(const std::vector<Buf>& bufs) {
    const uint16_t head = next_free_;
    for (size_t k = 0; k < bufs.size(); ++k) {
      const uint16_t i = next_free_;
      next_free_ = uint16_t((next_free_ + 1) % size_);
      const bool last = k + 1 == bufs.size();
      set_desc(i, bufs[k].addr, bufs[k].len,
               uint16_t((bufs[k].writable ? 2 : 0) | (last ? 0 : 1)), last ? 0 : next_free_);
    }
    publish(head);
    return head;
  }

  uint16_t used_idx() const { return read16(used_ + 2); }
  UsedElem used(uint16_t i) const {
    UsedElem e;
    mem_.read(GuestPhysAddr{used_ + 4 + 8 * uint64_t(i % size_)}, &e, 8);
    return e;
  }

 private:
  void write16(uint64_t a, uint16_t v) { mem_.write(GuestPhysAddr{a}, &v, 2); }
  uint16_t read16(uint64_t a) const {
    uint16_t v = 0;
    mem_.read(GuestPhysAddr{a}, &v, 2);
    return v;
  }

  memory::PhysMemory& mem_;
  uint16_t size_;
  uint64_t desc_, avail_, used_;
  uint16_t avail_idx_ = 0;
  uint16_t next_free_ = 0;
};

}  // namespace xvm::test
