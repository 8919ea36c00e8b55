// The worker thread of a virtio device (rng, console, net): notify() on a vCPU thread only
// records which queues have work and wakes the worker, which runs the device's work function
// without any lock held. reset() stops the worker between passes and waits until it is idle,
// which is what VirtioDevice::reset() promises (device.h). virtio-blk predates this helper
// and keeps its own copy of the same loop (blk/device.cpp).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace xvm::devices::virtio {

class DeviceWorker {
 public:
  // `work(pending)` runs on the worker thread with the bits passed to kick() since the last
  // pass; it returns false after reporting a device error, and then nothing runs until the
  // next activate(). A pass does bounded work: when more is left it kicks itself again, so
  // that reset() and stop() get a chance between passes.
  explicit DeviceWorker(std::function<bool(uint32_t pending)> work);
  // Stops and joins (the owner calls stop() earlier when the work function uses members that
  // are destroyed before the worker).
  ~DeviceWorker();

  // From activate(): passes run from now on; `pending` is the first pass's work, if any.
  void activate(uint32_t pending = 0);
  // Records work and wakes the worker; ignored while not active. Any thread, the worker too.
  void kick(uint32_t bits);
  // Not active any more; returns once no pass is running.
  void reset();
  // Between activate() and reset(): the work function checks it between chains.
  bool active() const { return active_; }
  void stop();

 private:
  void run();

  std::function<bool(uint32_t)> work_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool stop_ = false;
  bool busy_ = false;
  uint32_t pending_ = 0;
  std::atomic<bool> active_{false};
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace xvm::devices::virtio
