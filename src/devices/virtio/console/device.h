// virtio-console (virtio 1.2 §5.3) with a single port and no optional feature: no
// VIRTIO_CONSOLE_F_SIZE, F_MULTIPORT or F_EMERG_WRITE, so there are exactly two queues,
// receiveq (0) and transmitq (1) of port 0 (§5.3.2), and the configuration space carries no
// meaning (§5.3.4 fields are conditional on those features; it reads as zero).
//
// Guest output (transmitq) goes to an output sink on the device's worker thread; host input
// (push_input, any thread) is kept in a bounded buffer until the guest posts receive buffers,
// then copied into them in order.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <mutex>
#include <span>
#include <string>

#include "devices/virtio/device.h"
#include "devices/virtio/device_worker.h"
#include "devices/virtio/drain.h"

namespace xvm::devices::virtio::console {

constexpr unsigned kReceiveq = 0;
constexpr unsigned kTransmitq = 1;
constexpr uint32_t kQueueSize = 128;
constexpr size_t kInputLimit = 64 * 1024;   // host bytes held while the guest reads none
constexpr unsigned kMaxChainsPerPass = 64;  // per queue, then the worker requeues itself

class ConsoleDevice final : public VirtioDevice {
 public:
  // Receives the guest's output, one non-empty descriptor's bytes at a time. Called on the device's worker thread with no device lock
  // held, so it may call push_input. The span points into guest RAM and is valid only during
  // the call.
  using OutputSink = std::function<void(std::span<const uint8_t>)>;

  explicit ConsoleDevice(OutputSink sink);
  ~ConsoleDevice() override;

  const char* name() const override { return "virtio-console"; }
  uint32_t device_id() const override { return kDeviceIdConsole; }
  uint64_t features() const override { return kFVersion1; }
  unsigned num_queues() const override { return 2; }
  uint32_t queue_max_size(unsigned) const override { return kQueueSize; }
  uint64_t read_config(uint64_t offset, unsigned size) override;
  void write_config(uint64_t, unsigned, uint64_t) override {}  // emerg_wr not offered
  std::expected<void, std::string> activate(Transport& t, uint64_t features) override;
  void notify(unsigned index) override;
  void reset() override;

  // Host input for the guest, from any thread. Returns how many bytes were taken: all of them
  // unless kInputLimit bytes are already waiting (the rest is for the caller to retry).
  size_t push_input(std::span<const uint8_t> bytes);
  size_t input_pending() const;
  // Chains refused by check_receive/check_transmit since creation (diagnostics, tests).
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  bool work(uint32_t pending);
  // One pass over each queue (drain.h).
  PassEnd transmit();
  PassEnd receive();
  uint32_t copy_input(const Chain& chain);

  OutputSink sink_;
  uint8_t config_[12] = {};  // struct virtio_console_config (§5.3.4): all zero, unused
  mutable std::mutex input_mu_;
  std::deque<uint8_t> input_;
  Transport* transport_ = nullptr;  // set by activate() while the worker is idle
  Chain chain_;                     // the worker's scratch
  std::atomic<uint64_t> refused_{0};
  DeviceWorker worker_;  // last: its thread uses the members above
};

}  // namespace xvm::devices::virtio::console
