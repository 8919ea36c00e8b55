// Guest physical memory for the system-mode unit tests: `bytes` of RAM at physical 0; above it,
// device memory that answers every read with `device_value` (or, when unset, nothing answers:
// an external abort).
#pragma once
#include <cstring>
#include <initializer_list>
#include <optional>
#include <vector>

#include "arch/arm64/system/system.h"

namespace xvm::arm64::sys {

class TestRam : public PhysBus {
 public:
  explicit TestRam(size_t bytes, std::optional<uint64_t> device_value = std::nullopt)
      : mem(bytes, 0), device_(device_value) {}
  uint8_t* ram(uint64_t pa, uint64_t len) override {
    return pa + len <= mem.size() ? mem.data() + pa : nullptr;
  }
  bool mmio_read(uint64_t, unsigned, uint64_t* v) override {
    if (!device_) return false;
    *v = *device_;
    return true;
  }
  bool mmio_write(uint64_t, unsigned, uint64_t) override { return device_.has_value(); }
  void put64(uint64_t pa, uint64_t v) { std::memcpy(mem.data() + pa, &v, 8); }
  void code(uint64_t pa, std::initializer_list<uint32_t> insns) {
    for (uint32_t i : insns) {
      std::memcpy(mem.data() + pa, &i, 4);
      pa += 4;
    }
  }
  std::vector<uint8_t> mem;

 private:
  std::optional<uint64_t> device_;
};

}  // namespace xvm::arm64::sys
