// An open-addressing hash map from 64-bit keys to movable values: linear
// probing in a power-of-two table kept at most half full, no allocation per entry, erase by
// backward shift (no tombstones).
// For the JIT's per-translation bookkeeping, where std::unordered_map's node allocations and
// pointer chasing showed in the profile.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace xvm {

template <class V>
class U64Map {
 public:
  V* find(uint64_t key) {
    if (key == kEmpty) return has_empty_key_ ? &empty_key_value_ : nullptr;
    if (slots_.empty()) return nullptr;
    for (size_t i = index(key);; i = (i + 1) & mask()) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  // The value of `key`, inserted as V{} when absent. A later insertion may move it.
  V& operator[](uint64_t key) {
    if (key == kEmpty) {  // the one key the table cannot hold: kept beside it
      if (!has_empty_key_) ++used_;
      has_empty_key_ = true;
      return empty_key_value_;
    }
    if (2 * (used_ + 1) > slots_.size()) grow();
    size_t i = index(key);
    for (; slots_[i].key != kEmpty; i = (i + 1) & mask())
      if (slots_[i].key == key) return slots_[i].value;
    slots_[i].key = key;
    ++used_;
    return slots_[i].value;
  }
  // Removes `key`; false when it was absent.
  bool erase(uint64_t key) {
    if (key == kEmpty) {
      if (!has_empty_key_) return false;
      has_empty_key_ = false;
      empty_key_value_ = V{};
      --used_;
      return true;
    }
    if (slots_.empty()) return false;
    size_t i = index(key);
    for (;; i = (i + 1) & mask()) {
      if (slots_[i].key == kEmpty) return false;
      if (slots_[i].key == key) break;
    }
    // Backward shift: pull later entries of the probe run into the hole unless their home
    // slot lies cyclically in (hole, their position].
    for (size_t j = i;;) {
      j = (j + 1) & mask();
      if (slots_[j].key == kEmpty) break;
      const size_t home = index(slots_[j].key);
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = Slot{};
    --used_;
    return true;
  }
  void clear() {
    for (Slot& s : slots_) s = Slot{};
    has_empty_key_ = false;
    empty_key_value_ = V{};
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
    used_ = has_empty_key_ ? 1 : 0;
    for (Slot& s : old)
      if (s.key != kEmpty) (*this)[s.key] = std::move(s.value);
  }

  std::vector<Slot> slots_;
  size_t used_ = 0;  // entries, the kEmpty key's included
  bool has_empty_key_ = false;
  V empty_key_value_{};
  unsigned shift_ = 64;
};

}  // namespace xvm
