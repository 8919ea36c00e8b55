// The initial process stack (linux/initial_stack.h) against the layout Linux documents for a
// new arm64 process (fs/binfmt_elf.c create_elf_tables; AArch64 procedure call standard: SP
// 16-byte aligned): sp points at argc, then argv[] and NULL, envp[] and NULL, then auxv pairs
// ending with AT_NULL, with AT_RANDOM, AT_EXECFN and AT_PLATFORM; the strings above, argv then
// envp contiguous (what /proc/PID/cmdline and setproctitle rely on), the file name highest.
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "linux/initial_stack.h"

namespace xvm::linux_user {
namespace {

constexpr uint64_t P = kPageSize;
constexpr uint64_t kTop = 0x80000000;
constexpr uint64_t kStackSize = 256 * 1024;
constexpr uint64_t kLimit = kTop - kStackSize;
constexpr uint8_t kCanary = 0xa5;

// An arena with the stack [kLimit, kTop) mapped, and a canary page below it that the builder
// must never write (it is mapped, so only the limit protects it).
struct Fixture {
  std::unique_ptr<memory::Arena> arena;
  Fixture() {
    auto a = memory::Arena::create(uint64_t{1} << 32);
    EXPECT_TRUE(a.has_value());
    arena = std::move(*a);
    EXPECT_EQ(arena->map_fixed(kLimit - P, kStackSize + P, memory::kRead | memory::kWrite, false,
                               -1, 0, "[stack]"),
              0);
    std::vector<uint8_t> c(P, kCanary);
    EXPECT_TRUE(arena->write(kLimit - P, c.data(), P));
  }
  bool canary_intact() const {
    std::vector<uint8_t> c(P);
    return arena->read(kLimit - P, c.data(), P) &&
           std::count(c.begin(), c.end(), kCanary) == int64_t(P);
  }
  uint64_t word(uint64_t addr) const {
    uint64_t v = ~uint64_t{0};
    EXPECT_TRUE(arena->read(addr, &v, 8)) << std::hex << addr;
    return v;
  }
  std::string str(uint64_t addr) const {
    auto s = arena->read_cstring(addr, 1 << 20);
    EXPECT_TRUE(s) << std::hex << addr;
    return s.value_or("<unreadable>");
  }
};

StackImage sample_image() {
  StackImage im;
  im.argv = {"/bin/prog", "-v", "", "last argument"};
  im.envp = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};
  im.execfn = "/usr/local/bin/prog";
  im.auxv = {{AT_PAGESZ, 4096}, {AT_HWCAP, 0xff}, {AT_ENTRY, 0x400100}, {AT_UID, 0}};
  for (int i = 0; i < 16; ++i) im.random[i] = uint8_t(0xc0 + i);
  return im;
}

TEST(InitialStack, LayoutIsLinuxs) {
  Fixture f;
  const StackImage im = sample_image();
  auto r = build_initial_stack(*f.arena, kTop, kLimit, im);
  ASSERT_TRUE(r) << r.error();
  const uint64_t sp = r->sp;
  EXPECT_EQ(sp % 16, 0u);
  EXPECT_GE(sp, kLimit);
  EXPECT_LT(sp, kTop);

  uint64_t p = sp;
  EXPECT_EQ(f.word(p), im.argv.size());  // argc
  p += 8;
  std::vector<uint64_t> argv, envp;
  for (size_t i = 0; i < im.argv.size(); ++i, p += 8) argv.push_back(f.word(p));
  EXPECT_EQ(f.word(p), 0u);
  p += 8;
  for (size_t i = 0; i < im.envp.size(); ++i, p += 8) envp.push_back(f.word(p));
  EXPECT_EQ(f.word(p), 0u);
  p += 8;
  const uint64_t auxv_start = p;
  EXPECT_EQ(r->auxv_addr, auxv_start);

  // The auxiliary vector: the caller's entries in order, plus the three the builder adds, each
  // key once, ending with AT_NULL.
  std::vector<std::pair<uint64_t, uint64_t>> aux;
  for (int n = 0; n < 64; ++n, p += 16) {
    aux.emplace_back(f.word(p), f.word(p + 8));
    if (aux.back().first == AT_NULL) break;
  }
  ASSERT_EQ(aux.back().first, uint64_t{AT_NULL});
  EXPECT_EQ(r->auxv_bytes, p + 16 - auxv_start);
  std::map<uint64_t, uint64_t> by_key;
  for (auto [k, v] : aux) EXPECT_TRUE(by_key.emplace(k, v).second) << "duplicate auxv key " << k;
  for (size_t i = 0; i < im.auxv.size(); ++i) EXPECT_EQ(aux[i], im.auxv[i]);
  ASSERT_TRUE(by_key.count(AT_RANDOM));
  ASSERT_TRUE(by_key.count(AT_EXECFN));
  ASSERT_TRUE(by_key.count(AT_PLATFORM));
  uint8_t rnd[16] = {};
  ASSERT_TRUE(f.arena->read(by_key[AT_RANDOM], rnd, 16));
  EXPECT_EQ(std::memcmp(rnd, im.random, 16), 0);
  EXPECT_EQ(f.str(by_key[AT_EXECFN]), im.execfn);
  EXPECT_EQ(f.str(by_key[AT_PLATFORM]), "aarch64");

  // Strings through the pointers; all of them above the vectors and below the top.
  for (size_t i = 0; i < argv.size(); ++i) EXPECT_EQ(f.str(argv[i]), im.argv[i]);
  for (size_t i = 0; i < envp.size(); ++i) EXPECT_EQ(f.str(envp[i]), im.envp[i]);
  for (uint64_t a : {by_key[AT_RANDOM], by_key[AT_EXECFN], by_key[AT_PLATFORM]}) {
    EXPECT_GE(a, p + 16);
    EXPECT_LT(a, kTop);
  }
  // argv strings then envp strings, back to back (mm->arg_start..arg_end, env_start..env_end).
  uint64_t next = argv[0];
  for (size_t i = 0; i < argv.size(); ++i) {
    EXPECT_EQ(argv[i], next) << "argv[" << i << "]";
    next = argv[i] + im.argv[i].size() + 1;
  }
  for (size_t i = 0; i < envp.size(); ++i) {
    EXPECT_EQ(envp[i], next) << "envp[" << i << "]";
    next = envp[i] + im.envp[i].size() + 1;
  }
  EXPECT_GE(argv[0], p + 16);
  // The file name is copied first, so it is the highest string.
  EXPECT_GE(by_key[AT_EXECFN], next);
  EXPECT_LE(by_key[AT_EXECFN] + im.execfn.size() + 1, kTop);
  EXPECT_TRUE(f.canary_intact());
}

TEST(InitialStack, EmptyArgvAndEnvp) {
  Fixture f;
  StackImage im;
  im.execfn = "x";
  auto r = build_initial_stack(*f.arena, kTop, kLimit, im);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->sp % 16, 0u);
  EXPECT_EQ(f.word(r->sp), 0u);       // argc
  EXPECT_EQ(f.word(r->sp + 8), 0u);   // argv NULL
  EXPECT_EQ(f.word(r->sp + 16), 0u);  // envp NULL
  EXPECT_EQ(r->auxv_addr, r->sp + 24);
  EXPECT_EQ(r->auxv_bytes, 4 * 16u);  // AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL
}

TEST(InitialStack, SpIsAlignedWhateverTheStringLengths) {
  // Every parity of the pointer-vector length and of the string bytes.
  for (int nargs = 0; nargs < 4; ++nargs) {
    for (int extra = 0; extra < 17; ++extra) {
      Fixture f;
      StackImage im;
      for (int i = 0; i < nargs; ++i) im.argv.push_back(std::string(extra + i, 'a'));
      im.envp.push_back(std::string(extra, 'e'));
      im.execfn = std::string(extra, 'f');
      if (extra & 1) im.auxv.push_back({AT_PAGESZ, 4096});
      auto r = build_initial_stack(*f.arena, kTop - 8 * (extra & 1), kLimit, im);
      ASSERT_TRUE(r) << r.error();
      EXPECT_EQ(r->sp % 16, 0u) << nargs << " args, " << extra;
      EXPECT_EQ(f.word(r->sp), uint64_t(nargs));
    }
  }
}

TEST(InitialStack, TooLargeStringsAreRefused) {
  Fixture f;
  StackImage im = sample_image();
  im.argv.assign(300, std::string(1000, 'x'));  // 300 KB of strings on a 256 KB stack
  auto r = build_initial_stack(*f.arena, kTop, kLimit, im);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().empty());
  EXPECT_TRUE(f.canary_intact());
}

TEST(InitialStack, TooManyPointersAreRefused) {
  // The strings fit (2 bytes each, 80 KB) but the argv[] vector (8 bytes each, 320 KB) does not.
  Fixture f;
  StackImage im = sample_image();
  im.argv.assign(40000, "a");
  auto r = build_initial_stack(*f.arena, kTop, kLimit, im);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().empty());
  EXPECT_TRUE(f.canary_intact());
}

TEST(InitialStack, EnvironmentTooLargeIsRefused) {
  Fixture f;
  StackImage im = sample_image();
  im.envp.push_back(std::string(kStackSize, 'E'));
  auto r = build_initial_stack(*f.arena, kTop, kLimit, im);
  ASSERT_FALSE(r);
  EXPECT_TRUE(f.canary_intact());
}

TEST(InitialStack, JustFittingAndJustNotFitting) {
  // Grow one argument a byte at a time until the builder refuses: every success must stay
  // inside [limit, top) and every refusal must be clean.
  Fixture f;
  StackImage im = sample_image();
  bool refused = false;
  for (uint64_t n = kStackSize - 2048; n < kStackSize && !refused; n += 8) {
    im.argv[1] = std::string(n, 'z');
    auto r = build_initial_stack(*f.arena, kTop, kLimit, im);
    if (!r) {
      refused = true;
      EXPECT_FALSE(r.error().empty());
    } else {
      EXPECT_GE(r->sp, kLimit);
      EXPECT_EQ(r->sp % 16, 0u);
      EXPECT_EQ(f.str(f.word(r->sp + 16)), im.argv[1]);
    }
    EXPECT_TRUE(f.canary_intact()) << n;
  }
  EXPECT_TRUE(refused);
}

TEST(InitialStack, UnmappedStackIsAnErrorNotACrash) {
  auto a = memory::Arena::create(uint64_t{1} << 32);
  ASSERT_TRUE(a);
  // Only the top page is mapped: the strings fit there, the rest does not.
  ASSERT_EQ((*a)->map_fixed(kTop - P, P, memory::kRead | memory::kWrite, false, -1, 0, ""), 0);
  StackImage im = sample_image();
  im.argv.assign(200, std::string(40, 'q'));
  auto r = build_initial_stack(**a, kTop, kLimit, im);
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().empty());
  // Nothing mapped at all.
  auto b = memory::Arena::create(uint64_t{1} << 32);
  ASSERT_TRUE(b);
  r = build_initial_stack(**b, kTop, kLimit, sample_image());
  ASSERT_FALSE(r);
}

}  // namespace
}  // namespace xvm::linux_user
