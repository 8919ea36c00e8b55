// The tests' deterministic, platform-independent PRNG (splitmix64): a seed names the same
// sequence on every host, so a failing difftest case or fuzz input is reproducible by its seed.
#pragma once
#include <cstdint>

namespace xvm::test {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  bool chance(unsigned percent) { return below(100) < percent; }

 private:
  uint64_t s_;
};

}  // namespace xvm::test
