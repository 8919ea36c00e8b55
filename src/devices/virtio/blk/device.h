// virtio-blk (virtio 1.2 §5.2) on a raw image file: one request queue, IN/OUT/FLUSH/GET_ID,
// an optional read-only mode (VIRTIO_BLK_F_RO). Capacity is the file size in 512-byte sectors
// (a partial last sector is not visible).
//
// I/O runs on one worker thread per device, never on the vCPU thread that notified: notify()
// only records the queue and wakes the worker, which pops chains, does pread/pwrite/fdatasync
// on the file straight into guest RAM, pushes used elements and signals the transport.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "devices/virtio/blk/request.h"
#include "devices/virtio/device.h"

namespace xvm::devices::virtio::blk {

// Feature bits (§5.2.3).
constexpr uint64_t kFSegMax = uint64_t{1} << 2;
constexpr uint64_t kFRo = uint64_t{1} << 5;
constexpr uint64_t kFFlush = uint64_t{1} << 9;

constexpr uint32_t kQueueSize = 256;
// Data segments per request: the rest of a full queue after the header and status descriptors
// (no indirect descriptors are offered).
constexpr uint32_t kSegMax = kQueueSize - 2;

struct Options {
  std::string path;
  bool read_only = false;
  std::string serial;  // GET_ID answer, truncated to 20 bytes
};

class BlkDevice final : public VirtioDevice {
 public:
  static std::expected<std::unique_ptr<BlkDevice>, std::string> open(const Options& opts);
  ~BlkDevice() override;

  const char* name() const override { return "virtio-blk"; }
  uint32_t device_id() const override { return kDeviceIdBlock; }
  uint64_t features() const override;
  unsigned num_queues() const override { return 1; }
  uint32_t queue_max_size(unsigned) const override { return kQueueSize; }
  uint64_t read_config(uint64_t offset, unsigned size) override;
  void write_config(uint64_t, unsigned, uint64_t) override {}  // nothing writable offered
  std::expected<void, std::string> activate(Transport& t, uint64_t features) override;
  void notify(unsigned index) override;
  void reset() override;

  uint64_t capacity_sectors() const { return capacity_; }
  // Requests completed and failed since creation (diagnostics and tests).
  uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }

 private:
  BlkDevice(int fd, uint64_t capacity, const Options& opts);
  void run();
  // Drains queue 0; false after a device error.
  bool process_queue();
  // Executes one chain; returns the used length (§2.7.8: bytes written from the first
  // device-writable byte on).
  uint32_t execute(const Chain& chain);
  uint8_t do_request(Request& r);  // consumes r.data's iovecs

  const int fd_;
  const uint64_t capacity_;
  const bool read_only_;
  char id_[kIdBytes] = {};
  uint8_t config_[60] = {};  // struct virtio_blk_config (§5.2.4)

  std::mutex mu_;
  std::condition_variable wake_;  // to the worker: notified or stopping
  std::condition_variable idle_;  // from the worker: no longer busy
  bool stop_ = false;
  bool busy_ = false;
  bool pending_ = false;
  std::atomic<bool> active_{false};  // between activate() and reset(); read per chain
  Transport* transport_ = nullptr;
  uint64_t features_ = 0;
  std::atomic<uint64_t> completed_{0};
  Request req_;  // the worker's scratch
  Chain chain_;
  std::thread worker_;  // last: started after everything above is initialised
};

}  // namespace xvm::devices::virtio::blk
