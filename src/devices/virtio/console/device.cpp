#include "devices/virtio/console/device.h"

#include <algorithm>
#include <cstring>

#include "devices/virtio/console/request.h"

namespace xvm::devices::virtio::console {
namespace {
constexpr uint32_t kRxBit = 1u << kReceiveq;
constexpr uint32_t kTxBit = 1u << kTransmitq;
}  // namespace

ConsoleDevice::ConsoleDevice(OutputSink sink)
    : sink_(std::move(sink)), worker_([this](uint32_t p) { return work(p); }) {}

ConsoleDevice::~ConsoleDevice() { worker_.stop(); }

uint64_t ConsoleDevice::read_config(uint64_t offset, unsigned size) {
  return read_config_bytes(config_, offset, size);
}

std::expected<void, std::string> ConsoleDevice::activate(Transport& t, uint64_t) {
  if (!t.queue(kReceiveq).ready()) return std::unexpected("receiveq is not ready");
  if (!t.queue(kTransmitq).ready()) return std::unexpected("transmitq is not ready");
  worker_.reset();
  transport_ = &t;
  // Input typed before the driver was ready goes out as soon as it posts buffers; transmit
  // buffers posted before DRIVER_OK are looked at too.
  worker_.activate(kRxBit | kTxBit);
  return {};
}

void ConsoleDevice::notify(unsigned index) {
  if (index < 2) worker_.kick(1u << index);
}

void ConsoleDevice::reset() {
  worker_.reset();
  transport_ = nullptr;
  // Host input still waiting is kept: it was typed for whichever driver reads next.
}

size_t ConsoleDevice::push_input(std::span<const uint8_t> bytes) {
  size_t n;
  {
    std::lock_guard lock(input_mu_);
    n = std::min(bytes.size(), kInputLimit - input_.size());
    input_.insert(input_.end(), bytes.begin(), bytes.begin() + ptrdiff_t(n));
  }
  if (n) worker_.kick(kRxBit);
  return n;
}

size_t ConsoleDevice::input_pending() const {
  std::lock_guard lock(input_mu_);
  return input_.size();
}

bool ConsoleDevice::work(uint32_t pending) {
  return run_pass(worker_, pending, kTransmitq, [this] { return transmit(); }) &&
         run_pass(worker_, pending, kReceiveq, [this] { return receive(); });
}

PassEnd ConsoleDevice::transmit() {
  return drain_queue(*transport_, kTransmitq, "transmitq", worker_, chain_, kMaxChainsPerPass,
                     [this](const Chain& c) {
                       if (check_transmit(c)) {
                         for (const Segment& s : c.segments) sink_({s.data, s.len});
                       } else {
                         refused_.fetch_add(1, std::memory_order_relaxed);
                       }
                       return Handled{0};  // §2.7.8: the device wrote nothing into the buffer
                     });
}

PassEnd ConsoleDevice::receive() {
  return drain_queue(
      *transport_, kReceiveq, "receiveq", worker_, chain_, kMaxChainsPerPass,
      [this](const Chain& c) {
        uint32_t written = 0;
        if (check_receive(c)) written = copy_input(c);
        else refused_.fetch_add(1, std::memory_order_relaxed);
        return Handled{written};
      },
      // Only pop a receive buffer when there is something to put in it.
      [this] { return input_pending() > 0; });
}

uint32_t ConsoleDevice::copy_input(const Chain& chain) {
  std::lock_guard lock(input_mu_);
  uint32_t total = 0;  // <= input_.size() <= kInputLimit
  for (const Segment& s : chain.segments) {
    if (input_.empty()) break;
    const size_t n = std::min<size_t>(s.len, input_.size());
    std::copy_n(input_.begin(), n, s.data);
    input_.erase(input_.begin(), input_.begin() + ptrdiff_t(n));
    total += uint32_t(n);
  }
  return total;
}

}  // namespace xvm::devices::virtio::console
