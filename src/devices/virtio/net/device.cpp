#include "devices/virtio/net/device.h"

#include <cstring>

#include "devices/virtio/net/request.h"

namespace xvm::devices::virtio::net {
namespace {
constexpr uint32_t kRxBit = 1u << kReceiveq;
constexpr uint32_t kTxBit = 1u << kTransmitq;
}  // namespace

NetDevice::NetDevice(std::unique_ptr<NetBackend> backend, Mac mac)
    : backend_(std::move(backend)), mac_(mac), worker_([this](uint32_t p) { return work(p); }) {
  std::memcpy(config_, mac_.data(), 6);
  const uint16_t status = kStatusLinkUp, pairs = 1;
  std::memcpy(config_ + 6, &status, 2);
  std::memcpy(config_ + 8, &pairs, 2);
  backend_->set_receiver([this](std::span<const uint8_t> f) { on_frame(f); });
}

NetDevice::~NetDevice() {
  // The backend's thread first: once set_receiver returns, on_frame is no longer running.
  backend_->set_receiver(nullptr);
  worker_.stop();
}

uint64_t NetDevice::read_config(uint64_t offset, unsigned size) {
  return read_config_bytes(config_, offset, size);  // constant after construction
}

std::expected<void, std::string> NetDevice::activate(Transport& t, uint64_t) {
  if (!t.queue(kReceiveq).ready()) return std::unexpected("receiveq is not ready");
  if (!t.queue(kTransmitq).ready()) return std::unexpected("transmitq is not ready");
  worker_.reset();
  transport_ = &t;
  {
    std::lock_guard lock(rx_mu_);
    backlog_.clear();
    rx_open_ = true;
  }
  worker_.activate(kTxBit);  // transmit chains posted before DRIVER_OK
  return {};
}

void NetDevice::notify(unsigned index) {
  if (index < 2) worker_.kick(1u << index);
}

void NetDevice::reset() {
  {
    std::lock_guard lock(rx_mu_);
    rx_open_ = false;
    backlog_.clear();
  }
  worker_.reset();
  transport_ = nullptr;
}

NetStats NetDevice::stats() const {
  std::lock_guard lock(rx_mu_);
  return stats_;
}

void NetDevice::on_frame(std::span<const uint8_t> frame) {
  {
    std::lock_guard lock(rx_mu_);
    if (!rx_open_ || backlog_.size() >= kRxBacklog) {
      ++stats_.rx_dropped;
      return;
    }
    backlog_.emplace_back(frame.begin(), frame.end());
  }
  worker_.kick(kRxBit);
}

bool NetDevice::work(uint32_t pending) {
  return run_pass(worker_, pending, kTransmitq, [this] { return transmit(); }) &&
         run_pass(worker_, pending, kReceiveq, [this] { return receive(); });
}

PassEnd NetDevice::transmit() {
  return drain_queue(*transport_, kTransmitq, "transmitq", worker_, chain_, kMaxChainsPerPass,
                     [this](const Chain& c) {
                       // A malformed packet is dropped alone (§5.1.6.2: the used length of a
                       // transmit buffer is 0 either way); the device goes on.
                       const bool ok = parse_tx(c, &frame_).has_value();
                       const bool sent = ok && backend_->send(std::move(frame_));
                       frame_ = {};
                       std::lock_guard lock(rx_mu_);
                       ++(!ok ? stats_.tx_refused : sent ? stats_.tx_frames : stats_.tx_dropped);
                       return Handled{0};
                     });
}

PassEnd NetDevice::receive() {
  return drain_queue(
      *transport_, kReceiveq, "receiveq", worker_, chain_, kMaxChainsPerPass,
      [this](const Chain& c) {
        std::vector<uint8_t> frame;
        {
          std::lock_guard lock(rx_mu_);
          // reset() emptied the backlog meanwhile: the queue is going away.
          if (backlog_.empty()) return Handled{0, Handled::Then::kStop};
          frame = std::move(backlog_.front());
          backlog_.pop_front();
        }
        // A buffer that is too small or readable is returned unused and the frame dropped, as
        // a NIC drops a frame it has no room for (used length 0: Linux counts a length error).
        auto used = write_rx(c, frame);
        std::lock_guard lock(rx_mu_);
        ++(used ? stats_.rx_frames : stats_.rx_refused);
        return Handled{used ? *used : 0};
      },
      [this] {  // pop a buffer only for a frame to put in it
        std::lock_guard lock(rx_mu_);
        return !backlog_.empty();
      });
}

}  // namespace xvm::devices::virtio::net
