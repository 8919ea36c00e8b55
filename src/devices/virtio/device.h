// The two sides of a virtio device (virtio 1.2 chapters 2 and 3): VirtioDevice is what a device
// type implements (blk, and later net, rng, console); Transport is what the device sees of the
// transport carrying it (virtio-mmio now, PCI possibly later): its queues, its interrupt, and
// the way to report a device error.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <expected>
#include <span>
#include <string>

#include "devices/virtio/queue.h"

namespace xvm::devices::virtio {

// Device status bits (virtio 1.2 §2.1).
constexpr uint32_t kStatusAcknowledge = 1;
constexpr uint32_t kStatusDriver = 2;
constexpr uint32_t kStatusDriverOk = 4;
constexpr uint32_t kStatusFeaturesOk = 8;
constexpr uint32_t kStatusNeedsReset = 64;
constexpr uint32_t kStatusFailed = 128;

// Reserved feature bits (virtio 1.2 §6). Only VERSION_1 is offered: no indirect descriptors,
// no event index, no packed ring.
constexpr uint64_t kFIndirectDesc = uint64_t{1} << 28;
constexpr uint64_t kFEventIdx = uint64_t{1} << 29;
constexpr uint64_t kFVersion1 = uint64_t{1} << 32;

// Device IDs (virtio 1.2 §5).
constexpr uint32_t kDeviceIdNet = 1;
constexpr uint32_t kDeviceIdBlock = 2;
constexpr uint32_t kDeviceIdConsole = 3;
constexpr uint32_t kDeviceIdEntropy = 4;

class Transport {
 public:
  // Queue i (i < the device's num_queues()). The device pops and pushes only between
  // activate() and reset(), from one thread at a time.
  virtual Queue& queue(unsigned index) = 0;
  // A used buffer notification (the device checks Queue::needs_notification() first).
  virtual void signal_used(unsigned index) = 0;
  // An error the device cannot recover from (a malformed chain, a failed activation): sets
  // DEVICE_NEEDS_RESET and, once DRIVER_OK is set, sends a configuration change notification
  // (virtio 1.2 §2.1.2). The device stops using its queues until reset.
  virtual void device_error(const std::string& why) = 0;
  // The device's configuration space changed (bumps ConfigGeneration, notifies the driver).
  virtual void config_changed() = 0;

 protected:
  ~Transport() = default;
};

class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;
  virtual const char* name() const = 0;  // "virtio-blk"
  virtual uint32_t device_id() const = 0;
  // Offered features, VIRTIO_F_VERSION_1 included.
  virtual uint64_t features() const = 0;
  virtual unsigned num_queues() const = 0;
  virtual uint32_t queue_max_size(unsigned index) const = 0;
  // Device-specific configuration space (offset 0 = its first byte); little-endian, `size` of
  // 1, 2, 4 or 8; bytes past the end read as zero, writes there are ignored.
  virtual uint64_t read_config(uint64_t offset, unsigned size) = 0;
  virtual void write_config(uint64_t offset, unsigned size, uint64_t value) = 0;
  // DRIVER_OK was set with `features` negotiated and the ready queues in place; an error
  // becomes a device error.
  virtual std::expected<void, std::string> activate(Transport& t, uint64_t features) = 0;
  // An available buffer notification for queue `index` (a vCPU thread: must not block on I/O).
  virtual void notify(unsigned index) = 0;
  // Device reset (virtio 1.2 §2.4): when it returns, no thread of the device touches the
  // queues or the transport until the next activate().
  virtual void reset() = 0;
};

// Little-endian read of `size` bytes at `offset` of a configuration image; zero past its end.
inline uint64_t read_config_bytes(std::span<const uint8_t> cfg, uint64_t offset, unsigned size) {
  uint64_t v = 0;
  if (offset < cfg.size()) {
    const uint64_t n = std::min<uint64_t>(size, cfg.size() - offset);
    std::memcpy(&v, cfg.data() + offset, n);  // little-endian host (queue.cpp asserts it)
  }
  return v;
}

}  // namespace xvm::devices::virtio
