#include "devices/virtio/rng/device.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "devices/virtio/rng/request.h"

namespace xvm::devices::virtio::rng {

RngDevice::RngDevice()
    : worker_([this](uint32_t p) {
        return run_pass(worker_, p, 0, [this] { return process_queue(); });
      }) {}

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

PassEnd RngDevice::process_queue() {
  uint64_t budget = kMaxBytesPerPass;
  return drain_queue(*transport_, 0, "request queue", worker_, chain_, kNoChainLimit,
                     [&](const Chain& c) {
                       if (!check_request(c)) {
                         // A refused chain goes back unused (used length 0, §2.7.8) and the
                         // queue goes on.
                         refused_.fetch_add(1, std::memory_order_relaxed);
                         return Handled{0};
                       }
                       const uint32_t written = fill(c);
                       budget -= std::min<uint64_t>(budget, std::max<uint32_t>(written, 1));
                       filled_.fetch_add(1, std::memory_order_relaxed);
                       // Budget spent: more may be waiting, another pass after a chance to reset.
                       return Handled{written, budget == 0 ? Handled::Then::kYield
                                                           : Handled::Then::kNext};
                     });
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
