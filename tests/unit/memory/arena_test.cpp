// The user-mode guest address space (memory/arena.h) against the semantics Linux documents for
// the calls it stands in for: mmap(2) with MAP_FIXED, munmap(2), mprotect(2), mremap(2), and
// the "guest memory only through bounded helpers" rule (STYLE.md 7). Expected values come from
// those man pages, not from running the arena.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "arena_test_util.h"

namespace xvm::memory {
namespace {

using namespace test;

TEST(Arena, MapFixedGivesZeroedMemoryAndRecordsTheMapping) {
  auto a = make_arena();
  ASSERT_EQ(map_anon(*a, kBase, 3 * P, kRW, "[heap]"), 0);
  auto m = a->mappings();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].start, kBase);
  EXPECT_EQ(m[0].end, kBase + 3 * P);
  EXPECT_EQ(m[0].prot, kRW);
  EXPECT_EQ(m[0].name, "[heap]");
  std::vector<uint8_t> buf(3 * P, 0xcc);
  ASSERT_TRUE(a->read(kBase, buf.data(), buf.size()));
  EXPECT_EQ(std::count(buf.begin(), buf.end(), 0), int(buf.size()));  // mmap(2): zero-filled
  const uint64_t v = 0x0123456789abcdef;
  ASSERT_TRUE(a->write(kBase + P - 4, &v, sizeof v));  // straddles a page boundary
  uint64_t r = 0;
  ASSERT_TRUE(a->read(kBase + P - 4, &r, sizeof r));
  EXPECT_EQ(r, v);
}

TEST(Arena, MapFixedRefusesMisalignedEmptyAndOutOfRange) {
  auto a = make_arena(uint64_t{1} << 24);
  EXPECT_EQ(map_anon(*a, kBase + 1, P, kRW), -EINVAL);  // mmap(2) EINVAL: addr not aligned
  EXPECT_EQ(map_anon(*a, kBase, 0, kRW), -EINVAL);      // mmap(2) EINVAL: length was 0
  EXPECT_NE(map_anon(*a, a->size() - P, 2 * P, kRW), 0);
  EXPECT_NE(map_anon(*a, ~uint64_t{0} & ~(P - 1), P, kRW), 0);
  EXPECT_TRUE(a->mappings().empty());
}

TEST(Arena, MapFixedReplacesWhatWasThere) {
  auto a = make_arena();
  ASSERT_EQ(map_anon(*a, kBase, 4 * P, kRW), 0);
  std::vector<uint8_t> fill(4 * P, 0x11);
  ASSERT_TRUE(a->write(kBase, fill.data(), fill.size()));
  // MAP_FIXED: "any existing mappings ... overlapped ... are discarded" (mmap(2)).
  ASSERT_EQ(map_anon(*a, kBase + P, 2 * P, kRead), 0);
  auto m = a->mappings();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].start, kBase + P);
  EXPECT_EQ(m[1].prot, kRead);
  uint8_t b = 0xff;
  ASSERT_TRUE(a->read(kBase + P, &b, 1));
  EXPECT_EQ(b, 0);  // new anonymous memory
  ASSERT_TRUE(a->read(kBase + 3 * P, &b, 1));
  EXPECT_EQ(b, 0x11);  // untouched neighbour
  expect_disjoint(*a);
}

TEST(Arena, ProtectInTheMiddleSplitsIntoThree) {
  auto a = make_arena();
  // A private file mapping, so that the split pieces must also carry the right file offsets.
  int fd = memfd_create("arena_test", 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 3 * P), 0);
  ASSERT_EQ(a->map_fixed(kBase, 3 * P, kRW, false, fd, 0, "file"), 0);
  close(fd);
  ASSERT_EQ(a->protect(kBase + P, P, kRead), 0);
  auto m = a->mappings();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].start, kBase);
  EXPECT_EQ(m[0].end, kBase + P);
  EXPECT_EQ(m[0].prot, kRW);
  EXPECT_EQ(m[1].start, kBase + P);
  EXPECT_EQ(m[1].end, kBase + 2 * P);
  EXPECT_EQ(m[1].prot, kRead);
  EXPECT_EQ(m[1].file_offset, P);
  EXPECT_EQ(m[2].start, kBase + 2 * P);
  EXPECT_EQ(m[2].prot, kRW);
  EXPECT_EQ(m[2].file_offset, 2 * P);
  for (const auto& x : m) EXPECT_EQ(x.name, "file");
  const uint32_t v = 7;
  EXPECT_TRUE(a->write(kBase + P - 4, &v, 4));
  EXPECT_FALSE(a->write(kBase + P, &v, 4));
  EXPECT_FALSE(a->write(kBase + P - 2, &v, 4));  // crosses into the read-only page
  EXPECT_TRUE(a->write(kBase + 2 * P, &v, 4));
  EXPECT_TRUE(a->accessible(kBase, 3 * P, kRead));
  EXPECT_FALSE(a->accessible(kBase, 3 * P, kWrite));
  // The host page really is read-only now, not just the bookkeeping.
  volatile uint8_t* h = a->base() + kBase + P;
  EXPECT_TRUE(child_faults([&] { *h = 1; }));
  EXPECT_FALSE(child_faults([&] { (void)*h; }));
}

TEST(Arena, ProtectChecksItsArguments) {
  auto a = make_arena();
  ASSERT_EQ(map_anon(*a, kBase, P, kRW), 0);
  ASSERT_EQ(map_anon(*a, kBase + 2 * P, P, kRW), 0);
  EXPECT_EQ(a->protect(kBase + 1, P, kRead), -EINVAL);  // mprotect(2): addr not aligned
  // mprotect(2) ENOMEM: "specify one or more pages that are not mapped".
  EXPECT_EQ(a->protect(kBase, 3 * P, kRead), -ENOMEM);
  EXPECT_EQ(a->protect(kBase + 4 * P, P, kRead), -ENOMEM);
  EXPECT_EQ(a->protect(kBase, 0, kRead), 0);
  // len is rounded up to whole pages.
  ASSERT_EQ(a->protect(kBase + 2 * P, 1, kRead), 0);
  EXPECT_FALSE(a->accessible(kBase + 2 * P + P - 1, 1, kWrite));
  expect_disjoint(*a);
}

TEST(Arena, UnmapPartOfAMapping) {
  auto a = make_arena();
  ASSERT_EQ(map_anon(*a, kBase, 4 * P, kRW), 0);
  // munmap(2): length need not be a multiple of the page size; whole pages go.
  ASSERT_EQ(a->unmap(kBase + P, P + 1), 0);
  auto m = a->mappings();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].end, kBase + P);
  EXPECT_EQ(m[1].start, kBase + 3 * P);
  EXPECT_EQ(m[1].end, kBase + 4 * P);
  EXPECT_TRUE(a->is_free(kBase + P, 2 * P));
  EXPECT_FALSE(a->accessible(kBase, 4 * P, 0));
  uint8_t b;
  EXPECT_FALSE(a->read(kBase + 2 * P, &b, 1));
  // munmap(2): "not an error if the indicated range does not contain any mapped pages".
  EXPECT_EQ(a->unmap(kBase + P, 2 * P), 0);
  EXPECT_EQ(a->unmap(kBase + 1, P), -EINVAL);
  EXPECT_EQ(a->unmap(kBase, 0), -EINVAL);  // since Linux 2.6.12
  EXPECT_NE(a->unmap(a->size() - P, 2 * P), 0);
  expect_disjoint(*a);
}

TEST(Arena, UnmappedHostPagesAreInaccessible) {
  auto a = make_arena();
  volatile uint8_t* h = a->base() + kBase;
  EXPECT_TRUE(child_faults([&] { *h = 1; }));  // reserved, never mapped
  ASSERT_EQ(map_anon(*a, kBase, 2 * P, kRW), 0);
  EXPECT_FALSE(child_faults([&] { *h = 1; }));
  ASSERT_EQ(a->unmap(kBase, 2 * P), 0);
  EXPECT_TRUE(child_faults([&] { *h = 1; }));
  EXPECT_TRUE(child_faults([&] { (void)h[P]; }));
  // A guest PROT_NONE mapping is mapped (not free) but the host pages are inaccessible too.
  ASSERT_EQ(map_anon(*a, kBase, P, 0), 0);
  EXPECT_FALSE(a->is_free(kBase, P));
  EXPECT_TRUE(a->accessible(kBase, P, 0));
  EXPECT_FALSE(a->accessible(kBase, P, kRead));
  EXPECT_TRUE(child_faults([&] { (void)*h; }));
}

TEST(Arena, FindFreeIsTopDownBelowMmapTop) {
  auto a = make_arena();
  const uint64_t top = 0x40000000;
  a->set_mmap_top(top);
  auto f = a->find_free(3 * P, 0);
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, top - 3 * P);
  ASSERT_EQ(map_anon(*a, *f, 3 * P, kRW), 0);
  EXPECT_EQ(a->find_free(P, 0), top - 4 * P);
  // A hole too small for the request is skipped; one big enough is used.
  ASSERT_EQ(map_anon(*a, top - 5 * P, P, kRW), 0);  // leaves a one-page hole at top-4P
  EXPECT_EQ(a->find_free(2 * P, 0), top - 7 * P);
  EXPECT_EQ(a->find_free(P, 0), top - 4 * P);
  // Lengths are rounded up to pages.
  EXPECT_EQ(a->find_free(1, 0), top - 4 * P);
  EXPECT_FALSE(a->find_free(a->size() + P, 0));
  EXPECT_FALSE(a->find_free(0, 0));
}

TEST(Arena, FindFreeNeverOverlapsAndHonoursAFreeHint) {
  auto a = make_arena(uint64_t{1} << 30);
  a->set_mmap_top(uint64_t{1} << 29);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 300; ++i) {
    const uint64_t len = (rng() % 16 + 1) * P;
    const uint64_t hint = (rng() % 2) ? page_down(rng() % a->size()) : 0;
    auto f = a->find_free(len, hint);
    ASSERT_TRUE(f);
    ASSERT_EQ(*f % P, 0u);
    ASSERT_NE(*f, 0u);
    ASSERT_TRUE(a->is_free(*f, len)) << std::hex << *f;
    if (hint && a->is_free(hint, len) && hint >= 0x10000) {
      EXPECT_EQ(*f, hint);
    }
    if (!hint) {
      EXPECT_LE(*f + len, a->mmap_top());
    }
    ASSERT_EQ(map_anon(*a, *f, len, kRW), 0);
    if (rng() % 4 == 0) {
      ASSERT_EQ(a->unmap(*f, P), 0);  // leave holes of odd sizes
    }
  }
  expect_disjoint(*a);
}

TEST(Arena, FindFreeReportsAFullArena) {
  auto a = make_arena(uint64_t{1} << 24);
  ASSERT_EQ(map_anon(*a, 0, a->size(), kRW), 0);
  EXPECT_FALSE(a->find_free(P, 0));
}

TEST(Arena, IsFreeAndAnyExec) {
  auto a = make_arena();
  EXPECT_TRUE(a->is_free(kBase, 16 * P));
  EXPECT_FALSE(a->is_free(a->size() - P, 2 * P));  // not inside the arena
  ASSERT_EQ(map_anon(*a, kBase + 4 * P, P, kRead | kExec), 0);
  ASSERT_EQ(map_anon(*a, kBase + 8 * P, P, kRW), 0);
  EXPECT_FALSE(a->is_free(kBase, 5 * P));
  EXPECT_TRUE(a->is_free(kBase, 4 * P));
  EXPECT_TRUE(a->is_free(kBase + 5 * P, 3 * P));
  EXPECT_TRUE(a->any_exec(kBase, 16 * P));
  EXPECT_TRUE(a->any_exec(kBase + 4 * P + 100, 1));
  EXPECT_FALSE(a->any_exec(kBase, 4 * P));  // ends exactly where the code starts
  EXPECT_FALSE(a->any_exec(kBase + 5 * P, 8 * P));
  ASSERT_EQ(a->protect(kBase + 4 * P, P, kRead), 0);
  EXPECT_FALSE(a->any_exec(kBase, 16 * P));
  EXPECT_FALSE(a->executable(kBase + 4 * P));
}

TEST(Arena, ReadAndWriteRefuseBadRanges) {
  auto a = make_arena(uint64_t{1} << 24);
  ASSERT_EQ(map_anon(*a, kBase, P, kRead), 0);
  ASSERT_EQ(map_anon(*a, kBase + P, P, kExec), 0);
  ASSERT_EQ(map_anon(*a, a->size() - P, P, kRW), 0);
  uint8_t buf[32] = {};
  EXPECT_FALSE(a->read(kBase - 16, buf, 32));      // starts unmapped
  EXPECT_FALSE(a->read(kBase + P - 16, buf, 32));  // runs into exec-only memory
  EXPECT_FALSE(a->read(kBase + P, buf, 4));        // execute-only is not readable
  EXPECT_FALSE(a->write(kBase, buf, 4));           // read-only
  EXPECT_TRUE(a->read(kBase, buf, 32));
  EXPECT_TRUE(a->write(a->size() - 32, buf, 32));
  EXPECT_FALSE(a->write(a->size() - 16, buf, 32));  // crosses the arena end
  EXPECT_FALSE(a->read(a->size(), buf, 1));
  EXPECT_FALSE(a->read(~uint64_t{0} - 7, buf, 16));  // addr + len overflows 64 bits
  EXPECT_FALSE(a->read(kBase, buf, ~uint64_t{0}));
  EXPECT_FALSE(a->write(a->size() - 16, buf, ~uint64_t{0} - a->size() + 20));
  EXPECT_EQ(a->host(kBase, 16, kWrite), nullptr);
  EXPECT_EQ(a->host(kBase, 16, kRead), a->base() + kBase);
}

TEST(Arena, ReadCstring) {
  auto a = make_arena();
  ASSERT_EQ(map_anon(*a, kBase, 2 * P, kRW), 0);
  const char s[] = "hello";
  ASSERT_TRUE(a->write(kBase + 100, s, sizeof s));
  EXPECT_EQ(a->read_cstring(kBase + 100), "hello");
  EXPECT_EQ(a->read_cstring(kBase + 100, 5), "hello");
  EXPECT_EQ(a->read_cstring(kBase + 100, 4), std::nullopt);  // longer than max_len
  EXPECT_EQ(a->read_cstring(kBase + 2 * P), std::nullopt);   // unmapped
  // A string that crosses a page boundary inside the mapping.
  std::string longs(300, 'x');
  ASSERT_TRUE(a->write(kBase + P - 100, longs.c_str(), longs.size() + 1));
  EXPECT_EQ(a->read_cstring(kBase + P - 100), longs);
  // No NUL before the unmapped page: refused, not read past the mapping.
  std::vector<char> tail(200, 'y');
  ASSERT_TRUE(a->write(kBase + 2 * P - tail.size(), tail.data(), tail.size()));
  EXPECT_EQ(a->read_cstring(kBase + 2 * P - tail.size()), std::nullopt);
  // The NUL in the last byte of the mapping is enough.
  tail.back() = 0;
  ASSERT_TRUE(a->write(kBase + 2 * P - tail.size(), tail.data(), tail.size()));
  EXPECT_EQ(a->read_cstring(kBase + 2 * P - tail.size()), std::string(199, 'y'));
  // Exec-only memory is not readable.
  ASSERT_EQ(a->protect(kBase, P, kExec), 0);
  EXPECT_EQ(a->read_cstring(kBase + 100), std::nullopt);
}

TEST(Arena, ReadCstringLimitDoesNotDependOnPagePlacement) {
  auto a = make_arena();
  ASSERT_EQ(map_anon(*a, kBase, 4 * P, kRW), 0);
  // The same 64-byte string with max_len 64, placed so that its NUL does or does not fall on
  // the next page: "a string of at most max_len bytes" must give the same answer both times.
  const std::string s(64, 'z');
  ASSERT_TRUE(a->write(kBase + P - 80, s.c_str(), s.size() + 1));
  ASSERT_TRUE(a->write(kBase + 3 * P - 64, s.c_str(), s.size() + 1));
  auto inside = a->read_cstring(kBase + P - 80, 64);
  auto at_edge = a->read_cstring(kBase + 3 * P - 64, 64);
  EXPECT_EQ(inside, s);
  EXPECT_EQ(at_edge, s);
  // One byte longer is refused in both places.
  EXPECT_EQ(a->read_cstring(kBase + P - 80, 63), std::nullopt);
  EXPECT_EQ(a->read_cstring(kBase + 3 * P - 64, 63), std::nullopt);
}

TEST(Arena, TwoArenasDoNotShareMemory) {
  auto a = make_arena(), b = make_arena();
  ASSERT_EQ(map_anon(*a, kBase, P, kRW), 0);
  ASSERT_EQ(map_anon(*b, kBase, P, kRW), 0);
  const uint8_t x = 1, y = 2;
  ASSERT_TRUE(a->write(kBase, &x, 1));
  ASSERT_TRUE(b->write(kBase, &y, 1));
  uint8_t r = 0;
  ASSERT_TRUE(a->read(kBase, &r, 1));
  EXPECT_EQ(r, 1);
}

}  // namespace
}  // namespace xvm::memory
