// One worker pass over one virtqueue, shared by the devices run by a DeviceWorker (rng,
// console, net): pop available chains while the worker is active, hand each to the device,
// return it as used (virtio 1.2 §2.7.8) and send one used buffer notification for the batch
// if the driver wants it (§2.7.10). A chain the queue cannot parse is a device error (§2.1.2);
// the chains already used are signalled first so the driver sees them. virtio-blk keeps its
// own loop (blk/device.cpp): it has no pass bound and signals every 16 chains.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "devices/virtio/device.h"
#include "devices/virtio/device_worker.h"

namespace xvm::devices::virtio {

// How a pass over a queue ended.
enum class PassEnd {
  kIdle,    // nothing more to do until the next notification or kick
  kMore,    // stopped at the pass bound; run another pass (after a chance to reset)
  kFailed,  // reported a device error; the worker stops until reset
};

// What the device did with one chain.
struct Handled {
  enum class Then { kNext, kStop, kYield };
  uint32_t used_len;        // bytes written into the chain's device-writable buffers
  Then then = Then::kNext;  // kStop: end the pass; kYield: end it with PassEnd::kMore
};

constexpr unsigned kNoChainLimit = std::numeric_limits<unsigned>::max();

// Pops at most `max_chains` chains from queue `index` (called `name` in error messages) into
// `chain`, while `worker` is active and `has_work()` holds (checked before each pop, so that a
// receive queue gives up a buffer only for data to put in it). `handle(chain)` returns Handled.
template <class Handle, class HasWork>
PassEnd drain_queue(Transport& t, unsigned index, const char* name, const DeviceWorker& worker,
                    Chain& chain, unsigned max_chains, Handle&& handle, HasWork&& has_work) {
  Queue& q = t.queue(index);
  bool pushed = false;
  auto signal = [&] {
    if (pushed && q.needs_notification()) t.signal_used(index);
  };
  PassEnd end = PassEnd::kIdle;
  for (unsigned n = 0; worker.active() && has_work(); ++n) {
    if (n == max_chains) {
      end = PassEnd::kMore;
      break;
    }
    auto popped = q.pop(&chain);
    if (!popped) {
      signal();
      t.device_error(std::string(name) + ": " + to_string(popped.error()));
      return PassEnd::kFailed;
    }
    if (!*popped) break;  // no buffers: the driver's next notification brings us back
    const Handled h = handle(chain);
    q.push_used(chain.head, h.used_len);
    pushed = true;
    if (h.then == Handled::Then::kStop) break;
    if (h.then == Handled::Then::kYield) {
      end = PassEnd::kMore;
      break;
    }
  }
  signal();
  return end;
}

template <class Handle>
PassEnd drain_queue(Transport& t, unsigned index, const char* name, const DeviceWorker& worker,
                    Chain& chain, unsigned max_chains, Handle&& handle) {
  return drain_queue(t, index, name, worker, chain, max_chains, std::forward<Handle>(handle),
                     [] { return true; });
}

// For a work function: runs `pass` when queue `index`'s bit (1 << index) is in `pending`, and
// kicks that bit again when the pass stopped at its bound. False after a device error.
template <class Pass>
bool run_pass(DeviceWorker& worker, uint32_t pending, unsigned index, Pass&& pass) {
  const uint32_t bit = 1u << index;
  if (!(pending & bit)) return true;
  const PassEnd end = pass();
  if (end == PassEnd::kMore) worker.kick(bit);
  return end != PassEnd::kFailed;
}

}  // namespace xvm::devices::virtio
