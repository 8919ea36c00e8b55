#include "devices/virtio/device_worker.h"

namespace xvm::devices::virtio {

DeviceWorker::DeviceWorker(std::function<bool(uint32_t)> work) : work_(std::move(work)) {
  thread_ = std::thread([this] { run(); });
}

DeviceWorker::~DeviceWorker() { stop(); }

void DeviceWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    active_ = false;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeviceWorker::activate(uint32_t pending) {
  {
    std::lock_guard lock(mu_);
    pending_ = pending;
    active_ = true;
  }
  if (pending) wake_.notify_one();
}

void DeviceWorker::kick(uint32_t bits) {
  {
    std::lock_guard lock(mu_);
    if (!active_) return;
    pending_ |= bits;
  }
  wake_.notify_one();
}

void DeviceWorker::reset() {
  std::unique_lock lock(mu_);
  active_ = false;
  pending_ = 0;
  idle_.wait(lock, [this] { return !busy_; });
}

void DeviceWorker::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || (active_ && pending_); });
    if (stop_) return;
    const uint32_t pending = pending_;
    pending_ = 0;
    busy_ = true;
    lock.unlock();
    const bool ok = work_(pending);
    lock.lock();
    busy_ = false;
    if (!ok) {
      active_ = false;  // stays stopped until reset and a new DRIVER_OK
      pending_ = 0;
    }
    idle_.notify_all();
  }
}

}  // namespace xvm::devices::virtio
