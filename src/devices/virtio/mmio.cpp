#include "devices/virtio/mmio.h"

#include <cstdio>

#include "memory/phys.h"

namespace xvm::devices::virtio {

using namespace mmio;

MmioTransport::MmioTransport(const memory::PhysMemory& mem, std::unique_ptr<VirtioDevice> dev,
                             IrqLine* irq)
    : mem_(mem), irq_(irq), dev_(std::move(dev)) {
  queues_.reserve(dev_->num_queues());
  for (unsigned i = 0; i < dev_->num_queues(); ++i) queues_.emplace_back(mem_);
}

MmioTransport::~MmioTransport() {
  // Stop the device's thread before the queues it uses go away.
  dev_->reset();
}

Queue* MmioTransport::selected_queue() {
  return queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
}

uint64_t MmioTransport::read(uint64_t offset, unsigned size) {
  if (offset >= kConfig) return dev_->read_config(offset - kConfig, size);
  // §4.2.2.2: control registers are accessed 32 bits wide and aligned; others read as zero.
  if (size != 4 || offset % 4) return 0;
  std::lock_guard lock(mu_);
  return read_register(offset);
}

void MmioTransport::write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset >= kConfig) {
    dev_->write_config(offset - kConfig, size, value);
    return;
  }
  if (size != 4 || offset % 4) return;
  if (offset == kQueueNotify) {
    // The fast path: no register lock. A notification before DRIVER_OK or after a device
    // error is dropped (§2.1.2: no buffers are consumed before DRIVER_OK).
    const uint32_t s = status_.load(std::memory_order_acquire);
    if ((s & kStatusDriverOk) && !(s & kStatusNeedsReset) && value < queues_.size())
      dev_->notify(unsigned(value));
    return;
  }
  std::lock_guard lock(mu_);
  write_register(offset, uint32_t(value));
}

uint32_t MmioTransport::read_register(uint64_t offset) {
  switch (offset) {
    case kMagicValue: return kMagic;
    case kVersion: return kVersion2;
    case kDeviceId: return dev_->device_id();
    case kVendorId: return kVendor;
    case kDeviceFeatures:
      return device_features_sel_ < 2 ? uint32_t(dev_->features() >> (32 * device_features_sel_))
                                      : 0;
    case kQueueNumMax: {
      // Zero for a queue that does not exist (§4.2.2).
      return selected_queue() ? dev_->queue_max_size(queue_sel_) : 0;
    }
    case kQueueReady: {
      Queue* q = selected_queue();
      return q && q->ready();
    }
    case kInterruptStatus: {
      std::lock_guard lock(irq_mu_);
      return interrupt_status_;
    }
    case kStatus: return status_.load(std::memory_order_acquire);
    // No shared memory regions: a length and base of -1 (§4.2.2 SHMLen/SHMBase).
    case kShmLenLow:
    case kShmLenHigh:
    case kShmBaseLow:
    case kShmBaseHigh: return 0xffffffff;
    case kConfigGeneration: return config_generation_.load(std::memory_order_acquire);
    default: return 0;  // write-only and undefined registers
  }
}

void MmioTransport::write_register(uint64_t offset, uint32_t v) {
  Queue* q = selected_queue();
  const bool live = status_.load(std::memory_order_relaxed) & kStatusDriverOk;
  // Queue configuration is frozen once the queue is ready (§4.2.2.2: the driver does not
  // write it then) and once the device is live, so the worker thread never sees it change.
  const bool queue_writable = q && !q->ready() && !live;
  auto set_low = [](GuestPhysAddr a, uint32_t v) {
    return GuestPhysAddr{(a.value & 0xffffffff00000000) | v};
  };
  auto set_high = [](GuestPhysAddr a, uint32_t v) {
    return GuestPhysAddr{(a.value & 0xffffffff) | (uint64_t{v} << 32)};
  };
  switch (offset) {
    case kDeviceFeaturesSel: device_features_sel_ = v; break;
    case kDriverFeaturesSel: driver_features_sel_ = v; break;
    case kDriverFeatures: {
      // §3.1.1: features are written after DRIVER and before FEATURES_OK.
      const uint32_t s = status_.load(std::memory_order_relaxed);
      if (!(s & kStatusDriver) || (s & kStatusFeaturesOk)) break;
      if (driver_features_sel_ < 2) {
        const unsigned shift = 32 * driver_features_sel_;
        driver_features_ = (driver_features_ & ~(uint64_t{0xffffffff} << shift)) |
                           (uint64_t{v} << shift);
      } else if (v) {
        driver_features_unknown_ = true;  // no device feature lives up there
      }
      break;
    }
    case kQueueSel: queue_sel_ = v; break;
    case kQueueNum:
      if (queue_writable) q->set_size(v);
      break;
    case kQueueReady: write_queue_ready(v); break;
    case kInterruptAck: {
      std::lock_guard lock(irq_mu_);
      interrupt_status_ &= ~v;
      if (irq_) irq_->set_level(interrupt_status_ != 0);
      break;
    }
    case kStatus: write_status(v); break;
    case kQueueDescLow:
      if (queue_writable) q->set_desc(set_low(q->desc(), v));
      break;
    case kQueueDescHigh:
      if (queue_writable) q->set_desc(set_high(q->desc(), v));
      break;
    case kQueueDriverLow:
      if (queue_writable) q->set_driver(set_low(q->driver(), v));
      break;
    case kQueueDriverHigh:
      if (queue_writable) q->set_driver(set_high(q->driver(), v));
      break;
    case kQueueDeviceLow:
      if (queue_writable) q->set_device(set_low(q->device(), v));
      break;
    case kQueueDeviceHigh:
      if (queue_writable) q->set_device(set_high(q->device(), v));
      break;
    default: break;  // read-only, SHMSel (no regions), QueueReset (RING_RESET not offered)
  }
}

void MmioTransport::write_queue_ready(uint32_t v) {
  Queue* q = selected_queue();
  if (!q || (status_.load(std::memory_order_relaxed) & kStatusDriverOk)) return;
  if (v == 0) {
    q->reset();  // §4.2.2.2: the driver stops using the queue
    return;
  }
  if (q->ready()) return;
  auto ok = q->enable(dev_->queue_max_size(queue_sel_));
  if (!ok)
    device_error("queue " + std::to_string(queue_sel_) + ": " + to_string(ok.error()) +
                 " (size " + std::to_string(q->size()) + ")");
}

bool MmioTransport::features_acceptable() const {
  // §2.2.1/§2.2.2: only offered features; §6.1: a device may refuse a driver without
  // VIRTIO_F_VERSION_1 — this transport has no legacy interface, so it does.
  return !driver_features_unknown_ && (driver_features_ & ~dev_->features()) == 0 &&
         (driver_features_ & kFVersion1);
}

void MmioTransport::write_status(uint32_t v) {
  if (v == 0) {
    reset();  // §4.2.2: writing zero triggers a device reset
    return;
  }
  // A compare-exchange: the device's thread may set DEVICE_NEEDS_RESET meanwhile.
  const uint32_t written = v;
  uint32_t cur = status_.load(std::memory_order_acquire);
  for (;;) {
    v = written;
    // DEVICE_NEEDS_RESET belongs to the device: the driver's copy of it is ignored.
    v = (v & ~kStatusNeedsReset) | (cur & kStatusNeedsReset);
    // §2.1.1: the driver never clears a bit (only reset does); such a write is ignored.
    if ((v & cur) != cur) return;
    const uint32_t added = v & ~cur;
    if (added & kStatusFeaturesOk) {
      // §2.2.2: a device that does not accept the features leaves FEATURES_OK clear, and the
      // driver finds out by reading it back (§3.1.1 step 6).
      if (!features_acceptable()) v &= ~(kStatusFeaturesOk | kStatusDriverOk);
    }
    // The order of §3.1.1: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, each needing the one
    // before. A write skipping a step is ignored (FAILED may be set at any time).
    if ((v & kStatusDriver) && !(v & kStatusAcknowledge)) return;
    if ((v & kStatusFeaturesOk) && !(v & kStatusDriver)) return;
    if ((v & kStatusDriverOk) && !(v & kStatusFeaturesOk)) return;
    if (status_.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) break;
  }
  if ((v & ~cur & kStatusDriverOk) && !(v & kStatusNeedsReset)) {
    auto ok = dev_->activate(*this, driver_features_);
    if (!ok) device_error("activation failed: " + ok.error());
  }
}

void MmioTransport::reset() {
  // The device first: when reset() returns its thread no longer touches the queues.
  dev_->reset();
  for (Queue& q : queues_) q.reset();
  device_features_sel_ = driver_features_sel_ = queue_sel_ = 0;
  driver_features_ = 0;
  driver_features_unknown_ = false;
  status_.store(0, std::memory_order_release);
  std::lock_guard lock(irq_mu_);
  interrupt_status_ = 0;  // §4.2.2.1
  error_.clear();
  if (irq_) irq_->set_level(false);
}

void MmioTransport::raise(uint32_t bits) {
  std::lock_guard lock(irq_mu_);
  interrupt_status_ |= bits;
  if (irq_) irq_->set_level(true);
}

void MmioTransport::signal_used(unsigned index) { raise(kIntUsedBuffer); }

void MmioTransport::device_error(const std::string& why) {
  const uint32_t before = status_.fetch_or(kStatusNeedsReset, std::memory_order_acq_rel);
  {
    std::lock_guard lock(irq_mu_);
    if (error_.empty()) {
      error_ = why;
      std::fprintf(stderr, "xvm: %s: device error, needs reset: %s\n", dev_->name(), why.c_str());
    }
  }
  // §2.1.2: after setting DEVICE_NEEDS_RESET with DRIVER_OK set, a configuration change
  // notification.
  if (before & kStatusDriverOk) raise(kIntConfigChange);
}

void MmioTransport::config_changed() {
  config_generation_.fetch_add(1, std::memory_order_acq_rel);
  raise(kIntConfigChange);
}

std::string MmioTransport::last_error() const {
  std::lock_guard lock(irq_mu_);
  return error_;
}

}  // namespace xvm::devices::virtio
