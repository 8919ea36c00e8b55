// Which guest RAM pages' instructions changed, for engines that keep translations (the JIT in
// system mode). One object per machine, shared by its vCPUs.
//
// The architecture makes a write to instruction memory visible to instruction fetch only
// after cache maintenance (IC IVAU of the written addresses, or IC IALLU) and a context
// synchronisation event (Arm ARM B2.4.4, "Concurrent modification and execution of
// instructions"; Linux does both, as real Cortex-A57s need them). So translations are dropped
// on the IC instructions, not on every store: IC IVAU bumps the version of the RAM page the
// address maps to, IC IALLU(IS) bumps the global generation, and both bump the epoch, which an
// engine compares at each entry to its dispatcher (every ISB, exception entry and return
// passes there) to drop its cached lookups. Pages no engine has decoded code from since
// their last bump are not bumped at all (most IC IVAUs are for code not run yet).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

namespace xvm::arm64::sys {

class CodeVersions {
 public:
  CodeVersions(const uint8_t* ram, uint64_t bytes)
      : ram_(ram), pages_(bytes >> 12), version_(new std::atomic<uint32_t>[pages_]),
        decoded_(new std::atomic<uint8_t>[pages_]) {
    for (uint64_t i = 0; i < pages_; ++i) {
      version_[i].store(0, std::memory_order_relaxed);
      decoded_[i].store(0, std::memory_order_relaxed);
    }
  }

  // The version of the RAM page at host address `page` (0 outside RAM).
  uint32_t version(const uint8_t* page) const {
    const uint64_t i = index(page);
    return i < pages_ ? version_[i].load(std::memory_order_acquire) : 0;
  }
  // An engine is about to decode code from the page at host address `page` (then reads its
  // version).
  void note_decoded(const uint8_t* page) {
    const uint64_t i = index(page);
    if (i < pages_ && !decoded_[i].load(std::memory_order_relaxed)) decoded_[i].store(1);
  }
  // IC IVAU of an address in the page at host address `page`.
  void bump(const uint8_t* page) {
    const uint64_t i = index(page);
    if (i >= pages_ || !decoded_[i].exchange(0)) return;
    version_[i].fetch_add(1, std::memory_order_acq_rel);
    epoch_.fetch_add(1, std::memory_order_release);
  }
  // IC IALLU / IC IALLUIS.
  void bump_all() {
    all_.fetch_add(1, std::memory_order_acq_rel);
    epoch_.fetch_add(1, std::memory_order_release);
  }
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  uint64_t all_generation() const { return all_.load(std::memory_order_acquire); }

 private:
  uint64_t index(const uint8_t* page) const {
    return page >= ram_ ? uint64_t(page - ram_) >> 12 : ~uint64_t{0};
  }
  const uint8_t* ram_;
  uint64_t pages_;
  std::unique_ptr<std::atomic<uint32_t>[]> version_;
  std::unique_ptr<std::atomic<uint8_t>[]> decoded_;  // decoded from since the last bump
  std::atomic<uint64_t> epoch_{0}, all_{0};
};

}  // namespace xvm::arm64::sys
