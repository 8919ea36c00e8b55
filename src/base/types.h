// Strong address types (ARCHITECTURE.md "Key types"): a guest address never converts to a host
// pointer implicitly; only memory/ turns one into the other.
#pragma once
#include <compare>
#include <cstdint>

namespace xvm {

struct GuestAddr {
  uint64_t value = 0;
  constexpr GuestAddr() = default;
  constexpr explicit GuestAddr(uint64_t v) : value(v) {}
  constexpr GuestAddr operator+(uint64_t d) const { return GuestAddr{value + d}; }
  constexpr GuestAddr operator-(uint64_t d) const { return GuestAddr{value - d}; }
  constexpr uint64_t operator-(GuestAddr o) const { return value - o.value; }
  constexpr auto operator<=>(const GuestAddr&) const = default;
};

struct GuestPhysAddr {
  uint64_t value = 0;
  constexpr GuestPhysAddr() = default;
  constexpr explicit GuestPhysAddr(uint64_t v) : value(v) {}
  constexpr auto operator<=>(const GuestPhysAddr&) const = default;
};

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t page_down(uint64_t v) { return v & ~(kPageSize - 1); }
constexpr uint64_t page_up(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

}  // namespace xvm
