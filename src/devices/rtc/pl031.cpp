// PL031 register model (Arm DDI 0224, "TRM").
#include "devices/rtc/pl031.h"

#include <ctime>

namespace xvm::devices {
namespace {

// Register offsets (TRM §3.2, register summary).
enum : uint64_t {
  kDR = 0x00, kMR = 0x04, kLR = 0x08, kCR = 0x0C, kIMSC = 0x10, kRIS = 0x14, kMIS = 0x18,
  kICR = 0x1C, kPeriphID0 = 0xFE0, kCellID3 = 0xFFC,
};

// Peripheral ID 0x00041031 (part 0x031, designer 0x41 "ARM", revision 0) and PrimeCell ID
// 0xB105F00D, one byte per register (TRM register summary: RTCPeriphID0-3, RTCPCellID0-3).
// Linux's rtc-pl031 matches 0x00041031 under mask 0x000fffff.
constexpr uint8_t kIds[8] = {0x31, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1};

}  // namespace

int64_t Pl031::host_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

Pl031::Pl031(IrqLine& irq, Clock clock) : irq_(irq), clock_(std::move(clock)) {
  last_seen_ = counter_locked();
}

uint32_t Pl031::counter_locked() const {
  // Unsigned arithmetic: the 32-bit counter wraps (in 2106 for host time), as the hardware's does.
  return static_cast<uint32_t>(static_cast<uint64_t>(clock_()) + static_cast<uint64_t>(offset_));
}

void Pl031::check_match_locked() {
  // The interrupt is raised when the counter equals RTCMR (TRM §2.2). Between two checks the
  // counter went from last_seen_ to now; a match happened if RTCMR lies in (last_seen_, now].
  // A host clock stepping backwards (signed difference < 0) is not counting, so no match.
  const uint32_t now = counter_locked();
  const int32_t elapsed = static_cast<int32_t>(now - last_seen_);
  if (elapsed > 0) {
    const uint32_t distance = mr_ - last_seen_;
    if (distance >= 1 && distance <= static_cast<uint32_t>(elapsed)) ris_ = true;
  }
  last_seen_ = now;
}

void Pl031::update_irq_locked() {
  const bool level = ris_ && imsc_;
  if (level != irq_level_) {
    irq_level_ = level;
    irq_.set_level(level);
  }
}

void Pl031::poll() {
  std::lock_guard lock(mu_);
  check_match_locked();
  update_irq_locked();
}

std::optional<int64_t> Pl031::seconds_until_match() const {
  std::lock_guard lock(mu_);
  if (!imsc_ || ris_) return std::nullopt;
  return static_cast<int64_t>(static_cast<uint32_t>(mr_ - counter_locked()));
}

uint64_t Pl031::read(uint64_t offset, unsigned size) {
  if (offset % 4 != 0) return 0;  // registers are 32-bit words
  std::lock_guard lock(mu_);
  check_match_locked();
  update_irq_locked();
  uint32_t v = 0;
  switch (offset) {
    case kDR: v = counter_locked(); break;
    case kMR: v = mr_; break;
    case kLR: v = lr_; break;  // the last value loaded
    case kCR: v = started_; break;
    case kIMSC: v = imsc_; break;
    case kRIS: v = ris_; break;
    case kMIS: v = ris_ && imsc_; break;
    default:
      if (offset >= kPeriphID0 && offset <= kCellID3) v = kIds[(offset - kPeriphID0) / 4];
      break;  // ICR is write-only; reserved offsets read as zero
  }
  return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void Pl031::write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset % 4 != 0) return;
  uint32_t v = static_cast<uint32_t>(value);
  if (size < 4) v &= (1u << (8 * size)) - 1;
  std::lock_guard lock(mu_);
  check_match_locked();  // a match reached before this write still counts
  switch (offset) {
    case kMR:
      mr_ = v;
      // The counter holds its value for a whole second: equal now is a match now.
      if (mr_ == counter_locked()) ris_ = true;
      break;
    case kLR:
      // Loads the counter (TRM RTCLR). Loading the match value matches.
      lr_ = v;
      offset_ = static_cast<int64_t>(v) - clock_();
      last_seen_ = counter_locked();
      if (last_seen_ == mr_) ris_ = true;
      break;
    case kCR:
      // RTCStart (bit 0): once set, writes have no effect until reset.
      if (v & 1) started_ = true;
      break;
    case kIMSC: imsc_ = v & 1; break;
    case kICR:
      if (v & 1) ris_ = false;
      break;
    default: break;  // DR, RIS, MIS and the IDs are read-only
  }
  update_irq_locked();
}

}  // namespace xvm::devices
