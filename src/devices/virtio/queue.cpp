#include "devices/virtio/queue.h"

#include <atomic>
#include <bit>
#include <cassert>
#include <cstring>

#include "memory/phys.h"

namespace xvm::devices::virtio {
namespace {

// virtio 1.x rings are little-endian (§2.7 "le16/le32/le64"); so is every host xvm runs on,
// which lets the fields be copied without swapping.
static_assert(std::endian::native == std::endian::little);

// struct virtq_desc (§2.7.5): le64 addr, le32 len, le16 flags, le16 next.
constexpr uint64_t kDescSize = 16;
// struct virtq_avail (§2.7.6): le16 flags, le16 idx, le16 ring[size], le16 used_event.
constexpr uint64_t kAvailIdx = 2, kAvailRing = 4;
// struct virtq_used (§2.7.8): le16 flags, le16 idx, {le32 id, le32 len} ring[size],
// le16 avail_event.
constexpr uint64_t kUsedIdx = 2, kUsedRing = 4, kUsedElemSize = 8;
constexpr uint64_t kMaxChainBytes = uint64_t{1} << 32;  // §2.7.5.2

struct Desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(Desc) == kDescSize);

// The ring indices are shared with the driver's CPUs: atomic accesses on guest memory
// (aligned by enable()'s checks: the host mapping is page-aligned like the guest's).
uint16_t load_acquire16(uint8_t* p) {
  return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(p))
      .load(std::memory_order_acquire);
}
uint16_t load_relaxed16(uint8_t* p) {
  return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(p))
      .load(std::memory_order_relaxed);
}

}  // namespace

const char* to_string(QueueError e) {
  switch (e) {
    case QueueError::kNotReady: return "queue is not ready";
    case QueueError::kBadSize: return "queue size is 0, not a power of 2, or above the maximum";
    case QueueError::kMisalignedRing: return "ring address is misaligned";
    case QueueError::kRingOutsideRam: return "ring lies outside guest RAM";
    case QueueError::kAvailIdxJump: return "available idx moved by more than the queue size";
    case QueueError::kHeadOutOfRange: return "available ring entry is not a descriptor index";
    case QueueError::kNextOutOfRange: return "descriptor next index is out of range";
    case QueueError::kIndirectNotNegotiated: return "indirect descriptor not negotiated";
    case QueueError::kChainTooLong: return "descriptor chain longer than the queue (a loop)";
    case QueueError::kReadableAfterWritable:
      return "device-readable descriptor after a device-writable one";
    case QueueError::kChainTooLarge: return "descriptor chain longer than 2^32 bytes";
    case QueueError::kBufferOutsideRam: return "descriptor buffer lies outside guest RAM";
  }
  return "unknown queue error";
}

std::expected<void, QueueError> Queue::enable(uint32_t max_size) {
  if (size_ == 0 || size_ > max_size || size_ > kMaxQueueSize || !std::has_single_bit(size_))
    return std::unexpected(QueueError::kBadSize);
  // Alignment from the table in §2.7: descriptor table 16, available ring 2, used ring 4.
  if (desc_addr_.value % 16 || avail_addr_.value % 2 || used_addr_.value % 4)
    return std::unexpected(QueueError::kMisalignedRing);
  // Sizes from the same table (the event fields included, whether or not they are used).
  uint8_t* d = mem_->ram_ptr(desc_addr_, kDescSize * size_);
  uint8_t* a = mem_->ram_ptr(avail_addr_, 6 + 2 * uint64_t{size_});
  uint8_t* u = mem_->ram_ptr(used_addr_, 6 + kUsedElemSize * size_);
  if (!d || !a || !u) return std::unexpected(QueueError::kRingOutsideRam);
  desc_ = d, avail_ = a, used_ = u;
  last_avail_ = used_idx_ = 0;
  ready_ = true;
  return {};
}

void Queue::reset() {
  ready_ = false;
  size_ = 0;
  desc_addr_ = avail_addr_ = used_addr_ = GuestPhysAddr{};
  desc_ = avail_ = used_ = nullptr;
  last_avail_ = used_idx_ = 0;
}

std::expected<bool, QueueError> Queue::pop(Chain* out) {
  if (!ready_) return std::unexpected(QueueError::kNotReady);
  // Acquire: the ring entries and descriptors the driver wrote before publishing idx are
  // visible once idx is (§2.7.13.3: the driver's write barrier before updating idx).
  const uint16_t avail_idx = load_acquire16(avail_ + kAvailIdx);
  const uint16_t pending = uint16_t(avail_idx - last_avail_);  // indices wrap at 2^16
  if (pending == 0) return false;
  // At most size buffers can be outstanding (§2.7: "if Queue Size is 4 then at most 4 buffers
  // can be queued"); more means the driver corrupted idx.
  if (pending > size_) return std::unexpected(QueueError::kAvailIdxJump);

  uint16_t head;
  std::memcpy(&head, avail_ + kAvailRing + 2 * uint64_t(last_avail_ % size_), 2);
  if (head >= size_) return std::unexpected(QueueError::kHeadOutOfRange);

  out->head = head;
  out->segments.clear();
  out->readable_len = out->writable_len = 0;
  uint64_t total = 0;
  bool seen_writable = false;  // zero-length descriptors count too
  uint16_t idx = head;
  for (uint32_t count = 1;; ++count) {
    // A chain visits each of the size descriptors at most once; one more is a loop.
    if (count > size_) return std::unexpected(QueueError::kChainTooLong);
    Desc d;
    std::memcpy(&d, desc_ + kDescSize * idx, sizeof d);  // read once, then check the copy
    if (d.flags & kDescFIndirect) return std::unexpected(QueueError::kIndirectNotNegotiated);
    const bool writable = d.flags & kDescFWrite;
    if (!writable && seen_writable) return std::unexpected(QueueError::kReadableAfterWritable);
    seen_writable |= writable;
    total += d.len;  // at most 32768 * (2^32 - 1): no overflow in 64 bits
    if (total > kMaxChainBytes) return std::unexpected(QueueError::kChainTooLarge);
    if (d.len) {
      uint8_t* p = mem_->ram_ptr(GuestPhysAddr{d.addr}, d.len);
      if (!p) return std::unexpected(QueueError::kBufferOutsideRam);
      out->segments.push_back({p, d.len, writable});
      (writable ? out->writable_len : out->readable_len) += d.len;
    }
    if (!(d.flags & kDescFNext)) break;
    if (d.next >= size_) return std::unexpected(QueueError::kNextOutOfRange);
    idx = d.next;
  }
  ++last_avail_;
  return true;
}

void Queue::push_used(uint16_t head, uint32_t written) {
  assert(ready_ && head < size_);
  uint8_t* elem = used_ + kUsedRing + kUsedElemSize * (used_idx_ % size_);
  const uint32_t id = head;
  std::memcpy(elem, &id, 4);
  std::memcpy(elem + 4, &written, 4);
  ++used_idx_;
  // Release: the element (and the data written into the buffers) before the idx that
  // publishes it (§2.7.8; the driver reads idx, then the ring after a read barrier).
  std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(used_ + kUsedIdx))
      .store(used_idx_, std::memory_order_release);
}

bool Queue::needs_notification() const {
  // Full barrier between publishing used idx and reading the driver's flags: the driver
  // clears NO_INTERRUPT, barriers, then re-checks used idx, so one of the two sides sees the
  // other's write and no notification is lost.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return !(load_relaxed16(avail_) & kAvailFNoInterrupt);
}

}  // namespace xvm::devices::virtio
