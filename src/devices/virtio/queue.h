// A split virtqueue (virtio 1.2 §2.7) as the device sees it: the driver's descriptor table,
// available ring and used ring in guest RAM, popped and pushed with full validation.
//
// Every ring and every descriptor's buffer is resolved through PhysMemory::ram_ptr, so a chain
// that names memory outside guest RAM is refused before the host touches it. Each descriptor is
// copied out of guest memory once, then checked, so a driver rewriting the table concurrently
// cannot change a value between its check and its use. A malformed chain is a QueueError: the
// transport treats it as a device error (DEVICE_NEEDS_RESET, virtio 1.2 §2.1.2).
//
// Threading: one thread at a time pops and pushes (the device's worker). Configuration setters
// are for the transport while the queue is not ready.
#pragma once
#include <cstdint>
#include <expected>
#include <vector>

#include "base/types.h"

namespace xvm::memory {
class PhysMemory;
}

namespace xvm::devices::virtio {

// Descriptor flags (virtio 1.2 §2.7.5) and the available ring's flag (§2.7.6).
constexpr uint16_t kDescFNext = 1;
constexpr uint16_t kDescFWrite = 2;
constexpr uint16_t kDescFIndirect = 4;
constexpr uint16_t kAvailFNoInterrupt = 1;
constexpr uint32_t kMaxQueueSize = 32768;  // virtio 1.2 §2.7: a power of 2, at most 32768

enum class QueueError {
  kNotReady,              // pop/push on a queue the driver has not enabled
  kBadSize,               // size 0, not a power of 2, or above the maximum (§2.7)
  kMisalignedRing,        // ring address below the §2.7 alignment (16 / 2 / 4)
  kRingOutsideRam,        // a ring not wholly inside one RAM region
  kAvailIdxJump,          // avail idx moved by more than the queue size (§2.7.6)
  kHeadOutOfRange,        // an available ring entry >= queue size
  kNextOutOfRange,        // a descriptor's next >= queue size (§2.7.5)
  kIndirectNotNegotiated, // VIRTQ_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC (§2.7.5.3.1)
  kChainTooLong,          // more descriptors than the queue size: a loop (§2.7.5.2, §2.7.5.3.1)
  kReadableAfterWritable, // device-readable after device-writable (§2.7.4.2)
  kChainTooLarge,         // more than 2^32 bytes in total (§2.7.5.2)
  kBufferOutsideRam,      // a descriptor's [addr, addr+len) not wholly inside one RAM region
};
const char* to_string(QueueError e);

// One buffer of a chain: host memory inside guest RAM, already bounds-checked.
struct Segment {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  bool writable = false;
};

struct Chain {
  uint16_t head = 0;
  std::vector<Segment> segments;  // zero-length descriptors are checked but not listed
  uint64_t readable_len = 0;      // sum over the device-readable segments
  uint64_t writable_len = 0;      // sum over the device-writable segments (they come last)
};

class Queue {
 public:
  explicit Queue(const memory::PhysMemory& mem) : mem_(&mem) {}

  // Driver configuration (virtio 1.2 §4.2.3.2 for MMIO); ignored while ready.
  void set_size(uint32_t size) { if (!ready_) size_ = size; }
  void set_desc(GuestPhysAddr a) { if (!ready_) desc_addr_ = a; }
  void set_driver(GuestPhysAddr a) { if (!ready_) avail_addr_ = a; }
  void set_device(GuestPhysAddr a) { if (!ready_) used_addr_ = a; }
  uint32_t size() const { return size_; }
  GuestPhysAddr desc() const { return desc_addr_; }
  GuestPhysAddr driver() const { return avail_addr_; }
  GuestPhysAddr device() const { return used_addr_; }

  // Checks size (against max_size too), alignment and that the three areas lie in RAM, then
  // marks the queue ready with its indices at 0. Not ready on an error.
  std::expected<void, QueueError> enable(uint32_t max_size);
  bool ready() const { return ready_; }
  // Back to the state after device reset: not ready, size 0, addresses 0, indices 0.
  void reset();

  // The next available chain into *out: true when one was popped, false when the ring is
  // empty. An error leaves *out unspecified and the queue unusable until reset.
  std::expected<bool, QueueError> pop(Chain* out);
  // Returns a popped chain to the driver with the number of bytes written into it (§2.7.8).
  void push_used(uint16_t head, uint32_t written);
  // After pushing: whether the driver wants a used buffer notification (§2.7.7; without
  // VIRTIO_F_EVENT_IDX only the avail ring's NO_INTERRUPT flag counts).
  bool needs_notification() const;

  uint16_t last_avail_idx() const { return last_avail_; }
  uint16_t used_idx() const { return used_idx_; }

 private:
  const memory::PhysMemory* mem_;
  uint32_t size_ = 0;
  GuestPhysAddr desc_addr_, avail_addr_, used_addr_;
  bool ready_ = false;
  // Host views of the rings, set by enable().
  uint8_t* desc_ = nullptr;
  uint8_t* avail_ = nullptr;
  uint8_t* used_ = nullptr;
  uint16_t last_avail_ = 0;  // next avail ring entry to pop
  uint16_t used_idx_ = 0;    // the used idx the device publishes next
};

}  // namespace xvm::devices::virtio
