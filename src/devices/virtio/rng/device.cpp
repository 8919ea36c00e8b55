#include "devices/virtio/rng/device.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "devices/virtio/rng/request.h"

namespace xvm::devices::virtio::rng {

RngDevice::RngDevice() : worker_([this](uint32_t) { return process_queue(); }) {}

RngDevice::~RngDevice() { worker_.stop(); }

std::expected<void, std::string> RngDevice::activate(Transport& t, uint64_t) {
  if (!t.queue(0).ready()) return std::unexpected("request queue 0 is not ready");
  worker_.reset();  // no pass runs while transport_ changes
  transport_ = &t;
  worker_.activate();
  return {};
}

void RngDevice::notify(unsigned index) {
  if (index == 0) worker_.kick(1);
}

void RngDevice::reset() {
  worker_.reset();
  transport_ = nullptr;
}

bool RngDevice::process_queue() {
  Queue& q = transport_->queue(0);
  bool pushed = false;
  uint64_t budget = kMaxBytesPerPass;
  while (worker_.active()) {
    if (budget == 0) {
      worker_.kick(1);  // more may be waiting: another pass, after a chance to reset
      break;
    }
    auto popped = q.pop(&chain_);
    if (!popped) {
      if (pushed && q.needs_notification()) transport_->signal_used(0);
      transport_->device_error(std::string("request queue: ") + to_string(popped.error()));
      return false;
    }
    if (!*popped) break;
    uint32_t written = 0;
    if (check_request(chain_)) {
      written = fill(chain_);
      budget -= std::min<uint64_t>(budget, std::max<uint32_t>(written, 1));
      filled_.fetch_add(1, std::memory_order_relaxed);
    } else {
      // A refused chain goes back unused (used length 0, §2.7.8) and the queue goes on.
      refused_.fetch_add(1, std::memory_order_relaxed);
    }
    q.push_used(chain_.head, written);
    pushed = true;
  }
  if (pushed && q.needs_notification()) transport_->signal_used(0);
  return true;
}

uint32_t RngDevice::fill(const Chain& chain) {
  uint32_t total = 0;
  for (const Segment& s : chain.segments) {
    uint32_t off = 0;
    while (off < s.len && total < kMaxBytesPerChain) {
      const size_t want = std::min<size_t>(s.len - off, kMaxBytesPerChain - total);
      const ssize_t n = getrandom(s.data + off, want, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // Not expected from the kernel's CSPRNG once seeded; what was filled still counts.
        std::fprintf(stderr, "xvm: virtio-rng: getrandom failed\n");
        return total;
      }
      off += uint32_t(n);
      total += uint32_t(n);
    }
    if (total >= kMaxBytesPerChain) break;
  }
  return total;
}

}  // namespace xvm::devices::virtio::rng
