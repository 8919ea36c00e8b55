// virtio-rng, the entropy device (virtio 1.2 §5.4): one request queue of device-writable
// buffers, filled from the host kernel's CSPRNG with getrandom(2). No feature bits and no
// configuration space are defined (§5.4.3, §5.4.4).
//
// Work is bounded: at most kMaxBytesPerChain bytes go into one chain (§5.4.6.2: the device MAY
// use less than the whole buffer; the driver reads the used length) and at most
// kMaxBytesPerPass into one worker pass, after which the worker requeues itself, so a guest
// posting huge buffers cannot keep the worker from a reset.
#pragma once
#include <atomic>
#include <cstdint>
#include <expected>
#include <string>

#include "devices/virtio/device.h"
#include "devices/virtio/device_worker.h"
#include "devices/virtio/drain.h"

namespace xvm::devices::virtio::rng {

constexpr uint32_t kQueueSize = 64;
constexpr uint32_t kMaxBytesPerChain = 64 * 1024;
constexpr uint64_t kMaxBytesPerPass = 1024 * 1024;

class RngDevice final : public VirtioDevice {
 public:
  RngDevice();
  ~RngDevice() override;

  const char* name() const override { return "virtio-rng"; }
  uint32_t device_id() const override { return kDeviceIdEntropy; }
  uint64_t features() const override { return kFVersion1; }
  unsigned num_queues() const override { return 1; }
  uint32_t queue_max_size(unsigned) const override { return kQueueSize; }
  uint64_t read_config(uint64_t, unsigned) override { return 0; }
  void write_config(uint64_t, unsigned, uint64_t) override {}
  std::expected<void, std::string> activate(Transport& t, uint64_t features) override;
  void notify(unsigned index) override;
  void reset() override;

  // Chains filled / refused (check_request) since creation, for diagnostics and tests.
  uint64_t filled() const { return filled_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  PassEnd process_queue();  // one pass over the request queue (drain.h)
  uint32_t fill(const Chain& chain);

  Transport* transport_ = nullptr;  // set by activate() before the worker runs
  Chain chain_;                     // the worker's scratch
  std::atomic<uint64_t> filled_{0};
  std::atomic<uint64_t> refused_{0};
  DeviceWorker worker_;  // last: its thread uses the members above
};

}  // namespace xvm::devices::virtio::rng
