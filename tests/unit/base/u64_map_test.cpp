// base/u64_map.h against std::unordered_map under random inserts, finds and erases.
#include "base/u64_map.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <unordered_map>

namespace {

// Keys from `range` values (4-aligned like pcs, some far away): with 500 the table stays near
// half full, so probe runs are long and wrap around its end.
void agrees(uint64_t range) {
  std::mt19937_64 rng(range);
  xvm::U64Map<uint64_t> m;
  std::unordered_map<uint64_t, uint64_t> ref;
  for (int step = 0; step < 200000; ++step) {
    uint64_t key = (rng() % range) * 4 + (rng() % 8 == 0 ? 0x7f0000000000ull : 0);
    if (rng() % 64 == 0) key = ~uint64_t{0};  // a guest may branch anywhere, even to ~0
    switch (rng() % 3) {
      case 0: {
        const uint64_t v = rng();
        m[key] = v;
        ref[key] = v;
        break;
      }
      case 1:
        ASSERT_EQ(m.erase(key), ref.erase(key) == 1) << "step " << step;
        break;
      default: {
        const uint64_t* got = m.find(key);
        const auto it = ref.find(key);
        ASSERT_EQ(got != nullptr, it != ref.end()) << "step " << step;
        if (got) {
          ASSERT_EQ(*got, it->second);
        }
        break;
      }
    }
    ASSERT_EQ(m.size(), ref.size());
  }
  for (const auto& [k, v] : ref) ASSERT_EQ(*m.find(k), v);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.find(ref.begin()->first), nullptr);
}

TEST(U64Map, AgreesWithUnorderedMap) {
  agrees(250);
  agrees(500);
  agrees(5000);
}

TEST(U64Map, HoldsMoveOnlyValues) {
  xvm::U64Map<std::unique_ptr<int>> m;
  for (int i = 0; i < 5000; ++i) m[uint64_t(i) * 4] = std::make_unique<int>(i);  // grows
  for (int i = 0; i < 5000; i += 2) EXPECT_TRUE(m.erase(uint64_t(i) * 4));
  for (int i = 1; i < 5000; i += 2) ASSERT_EQ(**m.find(uint64_t(i) * 4), i);
  EXPECT_EQ(m.find(0), nullptr);
}

}  // namespace
