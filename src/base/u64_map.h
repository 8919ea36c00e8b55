// An open-addressing hash map from 64-bit keys (any value but ~0) to small values: linear
// probing in a power-of-two table, no allocation per entry and no erase (clear() empties it).
// For the JIT's per-translation bookkeeping, where std::unordered_map's node allocations and
// pointer chasing showed in the profile.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xvm {

template <class V>
class U64Map {
 public:
  V* find(uint64_t key) {
    if (slots_.empty()) return nullptr;
    for (size_t i = index(key);; i = (i + 1) & mask()) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  // The value of `key`, inserted as V{} when absent. A later insertion may move it.
  V& operator[](uint64_t key) {
    if (2 * (used_ + 1) > slots_.size()) grow();
    size_t i = index(key);
    for (; slots_[i].key != kEmpty; i = (i + 1) & mask())
      if (slots_[i].key == key) return slots_[i].value;
    slots_[i].key = key;
    ++used_;
    return slots_[i].value;
  }
  void clear() {
    for (Slot& s : slots_) s = Slot{};
    used_ = 0;
  }
  size_t size() const { return used_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key = kEmpty;
    V value{};
  };
  size_t mask() const { return slots_.size() - 1; }
  // Fibonacci hashing: the top bits of the product (keys are often 4-aligned addresses).
  size_t index(uint64_t key) const { return size_t(key * 0x9E3779B97F4A7C15ull >> shift_); }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(old.empty() ? 1024 : 2 * old.size());
    shift_ = 64 - unsigned(__builtin_ctzll(slots_.size()));
    used_ = 0;
    for (Slot& s : old)
      if (s.key != kEmpty) (*this)[s.key] = s.value;
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;
  unsigned shift_ = 64;
};

}  // namespace xvm
