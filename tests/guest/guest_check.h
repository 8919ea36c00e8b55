/* Shared by the guest test programs (tests/guest/README.md).
 *
 * Every program is built for AArch64 (run under qemu-aarch64 and xvm) and, where it uses no
 * AArch64 intrinsics, natively for x86-64; the runner compares stdout byte for byte. So:
 *  - CHECK failures are printed on stdout (a failure shows in the comparison, not only in the
 *    exit status) and finish() returns 1 if any check failed;
 *  - CHECK_ARCH is for checks that exist on one ISA only (e.g. AArch64 SDIV by zero gives 0,
 *    which is undefined behaviour in C and traps on x86-64): they count failures but are left
 *    out of the printed check count, so that count is the same on every ISA;
 *  - HIDE(x) hides a value from the optimiser, so the CPU computes the result at run time and
 *    the test checks the CPU rather than gcc's constant folding.
 */
#ifndef XVM_GUEST_CHECK_H
#define XVM_GUEST_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned long g_checks, g_arch_checks, g_failures;

static inline void check_at(int ok, const char* what, int line, int arch_only) {
  if (arch_only)
    g_arch_checks++;
  else
    g_checks++;
  if (!ok && ++g_failures <= 30) printf("FAIL line %d: %s\n", line, what);
}

static inline void check_eq_at(uint64_t got, uint64_t want, const char* what, int line,
                               int arch_only) {
  check_at(got == want, what, line, arch_only);
  if (got != want && g_failures <= 30)
    printf("  got 0x%016" PRIx64 " want 0x%016" PRIx64 "\n", got, want);
}

#define CHECK(cond) check_at((cond) != 0, #cond, __LINE__, 0)
#define CHECK_EQ(got, want) check_eq_at((uint64_t)(got), (uint64_t)(want), #got, __LINE__, 0)
#define CHECK_ARCH(cond) check_at((cond) != 0, #cond, __LINE__, 1)
#define CHECK_EQ_ARCH(got, want) check_eq_at((uint64_t)(got), (uint64_t)(want), #got, __LINE__, 1)

#define HIDE(x)                         \
  ({                                    \
    volatile __typeof__(x) hide_ = (x); \
    hide_;                              \
  })

/* Deterministic pseudo-random numbers (xorshift64*), identical on every ISA. */
static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t rnd(void) {
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 0x2545F4914F6CDD1Dull;
}

/* A random value of random magnitude (0..64 significant bits). Note: never write two rnd()
 * calls in one expression or argument list: their order is unspecified and differs between
 * the AArch64 and x86-64 builds, which would make the outputs differ. */
static inline uint64_t rnd_mag(void) {
  unsigned s = (unsigned)(rnd() & 63);
  return rnd() >> s;
}

/* FNV-1a over 64-bit words: a digest of many results, printed so the three runs compare it. */
static inline uint64_t digest_add(uint64_t h, uint64_t v) {
  for (int i = 0; i < 8; i++) h = (h ^ ((v >> (8 * i)) & 0xff)) * 0x100000001b3ull;
  return h;
}
#define DIGEST_INIT 0xcbf29ce484222325ull

static inline int finish(const char* name) {
  printf("%s: %lu checks, %lu failed\n", name, g_checks, g_failures);
  return g_failures ? 1 : 0;
}

#endif
