// The virtio-mmio transport, version 2 (virtio 1.2 §4.2): a BusDevice window of control
// registers (§4.2.2) followed by the device's configuration space at 0x100, one level-triggered
// interrupt line high while InterruptStatus != 0 (§4.2.3.4).
//
// Locking: register accesses from vCPUs take mu_; the device's worker thread reports through
// signal_used()/device_error()/config_changed(), which take only irq_mu_ (a leaf lock), so a
// reset that waits for the worker under mu_ cannot deadlock with it. QueueNotify takes no lock.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "devices/bus_device.h"
#include "devices/virtio/device.h"
#include "devices/virtio/queue.h"

namespace xvm::memory {
class PhysMemory;
}

namespace xvm::devices::virtio {

// Register offsets (virtio 1.2 §4.2.2, table "MMIO Device Register Layout").
namespace mmio {
constexpr uint64_t kMagicValue = 0x000;
constexpr uint64_t kVersion = 0x004;
constexpr uint64_t kDeviceId = 0x008;
constexpr uint64_t kVendorId = 0x00c;
constexpr uint64_t kDeviceFeatures = 0x010;
constexpr uint64_t kDeviceFeaturesSel = 0x014;
constexpr uint64_t kDriverFeatures = 0x020;
constexpr uint64_t kDriverFeaturesSel = 0x024;
constexpr uint64_t kQueueSel = 0x030;
constexpr uint64_t kQueueNumMax = 0x034;
constexpr uint64_t kQueueNum = 0x038;
constexpr uint64_t kQueueReady = 0x044;
constexpr uint64_t kQueueNotify = 0x050;
constexpr uint64_t kInterruptStatus = 0x060;
constexpr uint64_t kInterruptAck = 0x064;
constexpr uint64_t kStatus = 0x070;
constexpr uint64_t kQueueDescLow = 0x080;
constexpr uint64_t kQueueDescHigh = 0x084;
constexpr uint64_t kQueueDriverLow = 0x090;
constexpr uint64_t kQueueDriverHigh = 0x094;
constexpr uint64_t kQueueDeviceLow = 0x0a0;
constexpr uint64_t kQueueDeviceHigh = 0x0a4;
constexpr uint64_t kShmSel = 0x0ac;
constexpr uint64_t kShmLenLow = 0x0b0;
constexpr uint64_t kShmLenHigh = 0x0b4;
constexpr uint64_t kShmBaseLow = 0x0b8;
constexpr uint64_t kShmBaseHigh = 0x0bc;
constexpr uint64_t kQueueReset = 0x0c0;
constexpr uint64_t kConfigGeneration = 0x0fc;
constexpr uint64_t kConfig = 0x100;

constexpr uint32_t kMagic = 0x74726976;  // "virt", little-endian
constexpr uint32_t kVersion2 = 2;
constexpr uint32_t kVendor = 0x006d7678;  // "xvm\0" little-endian (any value; Linux ignores it)
constexpr uint64_t kWindowSize = 0x200;   // per transport, as on QEMU's virt board
constexpr uint32_t kIntUsedBuffer = 1;    // InterruptStatus bit 0
constexpr uint32_t kIntConfigChange = 2;  // InterruptStatus bit 1
}  // namespace mmio

class MmioTransport final : public BusDevice, public Transport {
 public:
  // `irq` may be null (no interrupt wired); it must outlive the transport.
  MmioTransport(const memory::PhysMemory& mem, std::unique_ptr<VirtioDevice> dev, IrqLine* irq);
  ~MmioTransport() override;

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, unsigned size, uint64_t value) override;
  const char* name() const override { return dev_->name(); }

  Queue& queue(unsigned index) override { return queues_[index]; }
  void signal_used(unsigned index) override;
  void device_error(const std::string& why) override;
  void config_changed() override;

  VirtioDevice& device() { return *dev_; }
  uint32_t status() const { return status_.load(std::memory_order_acquire); }
  // The reason of the last device error since reset (empty when none).
  std::string last_error() const;

 private:
  uint32_t read_register(uint64_t offset);
  void write_register(uint64_t offset, uint32_t value);
  void write_status(uint32_t value);
  void write_queue_ready(uint32_t value);
  bool features_acceptable() const;
  void reset();
  void raise(uint32_t bits);
  Queue* selected_queue();

  const memory::PhysMemory& mem_;
  IrqLine* irq_;
  std::mutex mu_;              // registers below (not the atomics)
  std::vector<Queue> queues_;  // before dev_: the device (and its thread) is destroyed first
  std::unique_ptr<VirtioDevice> dev_;
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint32_t queue_sel_ = 0;
  uint64_t driver_features_ = 0;
  bool driver_features_unknown_ = false;  // bits written above feature word 1
  std::atomic<uint32_t> status_{0};
  std::atomic<uint32_t> config_generation_{0};
  mutable std::mutex irq_mu_;  // interrupt_status_, the line level, error_
  uint32_t interrupt_status_ = 0;
  std::string error_;
};

}  // namespace xvm::devices::virtio
