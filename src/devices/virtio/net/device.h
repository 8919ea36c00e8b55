// virtio-net (virtio 1.2 §5.1): one receiveq/transmitq pair over a NetBackend (backend.h).
// Offered features: VERSION_1, MAC (a fixed, locally administered address) and STATUS (link
// always up). No offloads (CSUM, GSO/TSO/UFO, MRG_RXBUF), no control queue, no multiqueue.
//
// Transmit: the worker pops transmitq chains, checks header and frame (request.h) and hands a
// copy of the frame to the backend. Receive: the backend delivers frames on its own thread into
// a bounded backlog; the worker copies them into receiveq buffers as the driver posts them.
// Frames arriving while the driver is not running (before DRIVER_OK, after a reset) or while
// the backlog is full are dropped, as on a wire.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "devices/virtio/device.h"
#include "devices/virtio/device_worker.h"
#include "devices/virtio/drain.h"
#include "devices/virtio/net/backend.h"

namespace xvm::devices::virtio::net {

// Feature bits (§5.1.3).
constexpr uint64_t kFMac = uint64_t{1} << 5;
constexpr uint64_t kFStatus = uint64_t{1} << 16;
constexpr uint16_t kStatusLinkUp = 1;  // VIRTIO_NET_S_LINK_UP (§5.1.4)

constexpr unsigned kReceiveq = 0;  // receiveq1 (§5.1.2)
constexpr unsigned kTransmitq = 1; // transmitq1
constexpr uint32_t kQueueSize = 256;
constexpr size_t kRxBacklog = 256;          // frames held for the guest
constexpr unsigned kMaxChainsPerPass = 64;  // per queue, then the worker requeues itself

using Mac = std::array<uint8_t, 6>;
// 02:… is a locally administered unicast address (IEEE 802: bit 1 of the first octet set,
// bit 0 clear); 78:76:6d is "xvm".
constexpr Mac kDefaultMac = {0x02, 0x78, 0x76, 0x6d, 0x00, 0x01};

struct NetStats {
  uint64_t tx_frames = 0, tx_refused = 0, tx_dropped = 0;  // dropped: by the backend
  uint64_t rx_frames = 0, rx_refused = 0, rx_dropped = 0;  // dropped: inactive or backlog full
};

class NetDevice final : public VirtioDevice {
 public:
  NetDevice(std::unique_ptr<NetBackend> backend, Mac mac = kDefaultMac);
  ~NetDevice() override;

  const char* name() const override { return "virtio-net"; }
  uint32_t device_id() const override { return kDeviceIdNet; }
  uint64_t features() const override { return kFVersion1 | kFMac | kFStatus; }
  unsigned num_queues() const override { return 2; }
  uint32_t queue_max_size(unsigned) const override { return kQueueSize; }
  uint64_t read_config(uint64_t offset, unsigned size) override;
  void write_config(uint64_t, unsigned, uint64_t) override {}  // §5.1.4: mac is read-only
  std::expected<void, std::string> activate(Transport& t, uint64_t features) override;
  void notify(unsigned index) override;
  void reset() override;

  const Mac& mac() const { return mac_; }
  NetStats stats() const;

 private:
  void on_frame(std::span<const uint8_t> frame);  // the backend's thread
  bool work(uint32_t pending);
  // One pass over each queue (drain.h).
  PassEnd transmit();
  PassEnd receive();

  std::unique_ptr<NetBackend> backend_;
  const Mac mac_;
  // struct virtio_net_config (§5.1.4): mac[6], le16 status, le16 max_virtqueue_pairs (1; only
  // meaningful with MQ); the rest (mtu, speed, duplex, RSS) is conditional and reads as 0.
  uint8_t config_[24] = {};

  mutable std::mutex rx_mu_;  // backlog_, rx_open_, the stats
  std::deque<std::vector<uint8_t>> backlog_;
  bool rx_open_ = false;  // between activate() and reset()
  NetStats stats_;

  Transport* transport_ = nullptr;  // set by activate() while the worker is idle
  Chain chain_;                     // the worker's scratch
  std::vector<uint8_t> frame_;
  DeviceWorker worker_;  // last: its thread uses the members above
};

}  // namespace xvm::devices::virtio::net
