// Arm PrimeCell Real Time Clock (PL031): a 32-bit seconds counter, a match register and one
// interrupt. Register behaviour follows the PL031 Technical Reference Manual (Arm DDI 0224,
// "TRM" below).
//
// The counter is the host's clock plus an offset: RTCDR reads host seconds since the epoch
// until the guest loads another value through RTCLR, after which it keeps counting from there.
// Like a battery-backed RTC that firmware started before boot, it always runs; RTCCR's
// RTCStart bit is kept for reads.
//
// The match interrupt (RTCRIS) is raised when the counter reaches RTCMR. It is checked on every
// register access and whenever the owner calls poll(); the device has no thread of its own. A
// machine that wants a guest alarm to fire while the guest does not touch the RTC arms a host
// timer for seconds_until_match() and calls poll() when it expires.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "devices/bus_device.h"

namespace xvm::devices {

class Pl031 final : public BusDevice {
 public:
  // Host time in whole seconds since the Unix epoch (tests pass a fake).
  using Clock = std::function<int64_t()>;
  static int64_t host_seconds();

  // `irq` is RTCINTR (TRM §2.2: RTCRIS & RTCIMSC); it is driven with the RTC's lock held and
  // must not call back into the RTC.
  explicit Pl031(IrqLine& irq, Clock clock = host_seconds);

  uint64_t read(uint64_t offset, unsigned size) override;
  void write(uint64_t offset, unsigned size, uint64_t value) override;
  const char* name() const override { return "pl031"; }

  // Checks for a match now (raises the interrupt if the counter reached RTCMR since the last
  // check).
  void poll();
  // Seconds until the counter next equals RTCMR (0 = this second), or nothing when the match
  // interrupt is masked (RTCIMSC clear) or already pending.
  std::optional<int64_t> seconds_until_match() const;

 private:
  uint32_t counter_locked() const;
  void check_match_locked();
  void update_irq_locked();

  IrqLine& irq_;
  Clock clock_;
  mutable std::mutex mu_;
  int64_t offset_ = 0;      // counter = host seconds + offset_ (mod 2^32)
  uint32_t last_seen_ = 0;  // counter value at the previous match check
  uint32_t mr_ = 0, lr_ = 0;
  bool started_ = false, imsc_ = false, ris_ = false, irq_level_ = false;
};

}  // namespace xvm::devices
