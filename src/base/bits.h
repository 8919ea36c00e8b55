// Bit helpers used by every decoder and handler. Header-only, constexpr, no dependencies.
#pragma once
#include <bit>
#include <cstdint>

namespace xvm {

// Bits [lsb, lsb+width) of v, as an unsigned value.
constexpr uint64_t bits(uint64_t v, unsigned lsb, unsigned width) {
  return width >= 64 ? v >> lsb : (v >> lsb) & ((uint64_t{1} << width) - 1);
}

constexpr bool bit(uint64_t v, unsigned n) { return (v >> n) & 1; }

// Sign-extends the low `width` bits of v.
constexpr int64_t sign_extend(uint64_t v, unsigned width) {
  const unsigned shift = 64 - width;
  return static_cast<int64_t>(v << shift) >> shift;
}

constexpr uint64_t ones(unsigned width) {
  return width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
}

}  // namespace xvm
