/* Integer arithmetic: 64/32-bit and 128-bit multiply and divide, division edge cases,
 * overflow builtins, bit manipulation, extensions and bitfields.
 * Expected values are mathematical identities (q*d + r == n, schoolbook multiplication) and
 * constants computed independently (Python big integers). */
#include <limits.h>
#include <string.h>

#include "guest_check.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

static u128 mk128(uint64_t hi, uint64_t lo) {
  return ((u128)hi << 64) | lo;
}

/* High half of a 64x64 product from four 32x32 products: independent of the 128-bit type. */
static uint64_t mulhi_schoolbook(uint64_t a, uint64_t b) {
  uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
  uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static void u128_to_dec(u128 v, char* out) {
  char tmp[48];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = 0;
}

static void test_128(void) {
  u128 p = (u128)HIDE(UINT64_MAX) * HIDE(UINT64_MAX); /* 2^128 - 2^65 + 1 */
  CHECK_EQ(p >> 64, 0xFFFFFFFFFFFFFFFEull);
  CHECK_EQ((uint64_t)p, 1);
  u128 a = (u128)HIDE(0xDEADBEEFCAFEBABEull) * HIDE(0x0123456789ABCDEFull);
  CHECK_EQ(a >> 64, 0xfd5bdeeeb2a01dull);
  CHECK_EQ((uint64_t)a, 0x7eb689f4ea447d62ull);
  i128 neg = -(i128)a;
  CHECK_EQ((u128)neg >> 64, 0xff02a421114d5fe2ull);
  CHECK_EQ((uint64_t)neg, 0x8149760b15bb829eull);

  u128 max = HIDE(~(u128)0);
  CHECK_EQ(max / 3 >> 64, 0x5555555555555555ull);
  CHECK_EQ((uint64_t)(max / 3), 0x5555555555555555ull);
  CHECK_EQ(max % HIDE((u128)7), 3);
  char buf[48];
  u128_to_dec(max, buf);
  CHECK(strcmp(buf, "340282366920938463463374607431768211455") == 0);

  u128 e38 = 1;
  for (int i = 0; i < 38; i++) e38 *= HIDE(10u);
  CHECK(e38 == mk128(0x4b3b4ca85a86c47aull, 0x098a224000000000ull));
  CHECK(e38 / HIDE((u128)10000000000000000000ull) == (u128)10000000000000000000ull);
  i128 imax = (i128)(max >> 1);
  CHECK_EQ((uint64_t)(imax / HIDE((i128)10000000000000000000ull)), 17014118346046923173ull);
  CHECK_EQ((uint64_t)(imax % HIDE((i128)10000000000000000000ull)), 1687303715884105727ull);
  CHECK(HIDE((i128)-7) / 2 == -3 && HIDE((i128)-7) % 2 == -1);
  CHECK((HIDE((i128)-1) >> 100) == -1); /* arithmetic shift across the halves */
  CHECK((HIDE((u128)1) << 127) >> 127 == 1);
  CHECK(__builtin_clzll((uint64_t)(HIDE((u128)1 << 100) >> 64)) == 27);

  uint64_t h = DIGEST_INIT;
  for (int i = 0; i < 2000; i++) {
    uint64_t x = rnd(), y = rnd_mag();
    u128 full = (u128)x * y;
    CHECK_EQ(full >> 64, mulhi_schoolbook(x, y));
    uint64_t nh = rnd_mag(), nl = rnd(), dh = rnd_mag() >> 1, dl = rnd() | 1;
    u128 n = mk128(nh, nl), d = mk128(dh, dl);
    u128 q = n / d, r = n % d;
    CHECK(q * d + r == n && r < d);
    uint64_t bias = rnd() >> 1;
    i128 sn = (i128)n - (i128)mk128(bias, 0), sd = (i128)d * ((rnd() & 1) ? -1 : 1);
    i128 sq = sn / sd, sr = sn % sd;
    CHECK(sq * sd + sr == sn && (sr == 0 || (sr < 0) == (sn < 0)));
    h = digest_add(h, (uint64_t)(q ^ (q >> 64)) + (uint64_t)sr);
  }
  printf("int128 digest %016" PRIx64 "\n", h);
}

/* Division: C truncates toward zero; the remainder takes the dividend's sign. */
static void test_division(void) {
  CHECK(HIDE(-1L) / 2 == 0 && HIDE(-1L) % 2 == -1);
  CHECK(HIDE(7L) / -2 == -3 && HIDE(7L) % -2 == 1);
  CHECK(HIDE(-7L) / -2 == 3 && HIDE(-7L) % -2 == -1);
  CHECK(HIDE(INT64_MIN) / 1 == INT64_MIN && HIDE(INT64_MIN) / -2 == 0x4000000000000000L);
  CHECK(HIDE(UINT64_MAX) / UINT64_MAX == 1 && HIDE(UINT64_MAX) / HIDE(UINT64_MAX - 1) == 1);
  CHECK(HIDE(INT32_MIN) / HIDE(2) == -0x40000000 && HIDE(-5) % HIDE(3) == -2);
  CHECK(HIDE(0xFFFFFFFFu) / HIDE(0x10000u) == 0xFFFFu);

  /* Division by constants becomes multiply-high sequences: compare with real divides. */
  uint64_t h = DIGEST_INIT;
  for (int i = 0; i < 3000; i++) {
    uint64_t x = rnd() >> (i & 63);
    int64_t s = (int64_t)rnd() >> (i & 63);
    uint32_t w = (uint32_t)rnd();
    int32_t sw = (int32_t)rnd();
    CHECK(x / 7 == x / HIDE(7ull) && x % 10 == x % HIDE(10ull));
    CHECK(s / 7 == s / HIDE(7ll) && s % 1000 == s % HIDE(1000ll) && s / -3 == s / HIDE(-3ll));
    CHECK(w / 641 == w / HIDE(641u) && sw / 9 == sw / HIDE(9) && sw % 16 == sw % HIDE(16));
    uint64_t d = rnd_mag();
    if (d) CHECK(x / d * d + x % d == x);
    h = digest_add(h, x / 7 + (uint64_t)(s / 1000) + w / 641 + (uint64_t)(sw % 16));
  }
  printf("division digest %016" PRIx64 "\n", h);

#ifdef __aarch64__
  /* Arm ARM C6.2 SDIV/UDIV: division by zero gives 0 and INT_MIN / -1 gives INT_MIN (no trap).
   * Undefined behaviour in C (and a trap on x86-64), so checked on AArch64 only. */
  uint64_t q64;
  uint32_t q32;
  __asm__ volatile("udiv %0, %1, %2" : "=r"(q64) : "r"(HIDE(123ull)), "r"(HIDE(0ull)));
  CHECK_EQ_ARCH(q64, 0);
  __asm__ volatile("sdiv %0, %1, %2" : "=r"(q64) : "r"(HIDE(INT64_MIN)), "r"(HIDE(-1ll)));
  CHECK_EQ_ARCH(q64, (uint64_t)INT64_MIN);
  __asm__ volatile("sdiv %w0, %w1, %w2" : "=r"(q32) : "r"(HIDE(INT32_MIN)), "r"(HIDE(-1)));
  CHECK_EQ_ARCH(q32, 0x80000000u);
  __asm__ volatile("sdiv %w0, %w1, %w2" : "=r"(q32) : "r"(HIDE(-5)), "r"(HIDE(0)));
  CHECK_EQ_ARCH(q32, 0);
#endif
}

static void test_overflow(void) {
  int32_t r32;
  int64_t r64;
  uint32_t u32;
  uint64_t u64;
  CHECK(__builtin_add_overflow(HIDE(INT32_MAX), 1, &r32) && r32 == INT32_MIN);
  CHECK(!__builtin_add_overflow(HIDE(INT32_MAX - 1), 1, &r32) && r32 == INT32_MAX);
  CHECK(__builtin_sub_overflow(HIDE(INT64_MIN), 1, &r64) && r64 == INT64_MAX);
  CHECK(__builtin_sub_overflow(HIDE(0u), 1u, &u32) && u32 == UINT32_MAX);
  CHECK(__builtin_mul_overflow(HIDE(3037000500ll), HIDE(3037000500ll), &r64));
  CHECK(!__builtin_mul_overflow(HIDE(3037000499ll), HIDE(3037000499ll), &r64) &&
        r64 == 9223372030926249001ll);
  CHECK(__builtin_mul_overflow(HIDE(1ull << 32), HIDE(1ull << 32), &u64) && u64 == 0);
  CHECK(!__builtin_mul_overflow(HIDE(0xFFFFFFFFull), HIDE(0xFFFFFFFFull), &u64) &&
        u64 == 0xFFFFFFFE00000001ull);
  CHECK(__builtin_mul_overflow(HIDE(-1ll), HIDE(INT64_MIN), &r64));
  CHECK(__builtin_mul_overflow(HIDE(65536), HIDE(32768), &r32) && r32 == INT32_MIN);
  CHECK(!__builtin_mul_overflow(HIDE(-65536), HIDE(32768), &r32) && r32 == INT32_MIN);
  CHECK(__builtin_add_overflow(HIDE(-1), HIDE(0u), &u32)); /* mixed signedness */
  CHECK(!__builtin_add_overflow(HIDE(-1), HIDE(2u), &r64) && r64 == 1);
  CHECK(__builtin_add_overflow(HIDE(UINT64_MAX), HIDE(1ull), &u64) && u64 == 0);
  /* Against a 128-bit reference on random operands. */
  for (int i = 0; i < 2000; i++) {
    int64_t a = (int64_t)rnd_mag(), b = -(int64_t)rnd_mag();
    i128 exact = (i128)a * b;
    int64_t m;
    CHECK(__builtin_mul_overflow(a, b, &m) == (exact != (int64_t)exact) && m == (int64_t)exact);
    i128 sum = (i128)a + b;
    CHECK(__builtin_add_overflow(a, b, &m) == (sum != (int64_t)sum));
    uint64_t ua = rnd_mag(), ub = rnd_mag(), um;
    CHECK(__builtin_mul_overflow(ua, ub, &um) == (((u128)ua * ub) >> 64 != 0));
  }
}

struct bits {
  signed s5 : 5;
  unsigned u11 : 11;
  signed s17 : 17;
  unsigned u31 : 31;
};

static void test_bits(void) {
  CHECK(__builtin_clzll(HIDE(1ull)) == 63 && __builtin_clz(HIDE(0x00800000u)) == 8);
  CHECK(__builtin_ctzll(HIDE(1ull << 40)) == 40 && __builtin_ctz(HIDE(0x80000000u)) == 31);
  CHECK(__builtin_popcountll(HIDE(0xF0F0F0F0F0F0F0F0ull)) == 32);
  CHECK(__builtin_popcount(HIDE(0x7u)) == 3 && __builtin_parityll(HIDE(0x7ull)) == 1);
  CHECK(__builtin_bswap64(HIDE(0x0102030405060708ull)) == 0x0807060504030201ull);
  CHECK(__builtin_bswap32(HIDE(0xAABBCCDDu)) == 0xDDCCBBAAu);
  CHECK(__builtin_bswap16(HIDE((uint16_t)0x1234)) == 0x3412);
  CHECK(__builtin_clrsbll(HIDE(-1ll)) == 63 && __builtin_clrsb(HIDE(1)) == 30);
  CHECK(__builtin_ffsll(HIDE(0x100ll)) == 9 && __builtin_ffs(HIDE(0)) == 0);
  uint64_t x = HIDE(0x0123456789ABCDEFull);
  unsigned r = HIDE(12u);
  CHECK(((x >> r) | (x << (64 - r))) == 0xDEF0123456789ABCull);
  uint32_t y = HIDE(0x80000001u);
  CHECK(((y << 1) | (y >> 31)) == 3u);
  CHECK((int64_t)(int8_t)HIDE((uint8_t)0x80) == -128);
  CHECK((int64_t)(int16_t)HIDE((uint16_t)0x8001) == -32767);
  CHECK((int64_t)(int32_t)HIDE(0xFFFFFFFEu) == -2 && (uint64_t)HIDE(0xFFFFFFFFu) == 0xFFFFFFFFull);
  CHECK((HIDE(-256ll) >> 4) == -16 && (HIDE(0x8000000000000000ull) >> 63) == 1);
  struct bits b = {0};
  b.s5 = HIDE(-9);
  b.u11 = HIDE(2047u);
  b.s17 = HIDE(-65536);
  b.u31 = HIDE(0x7FFFFFFEu);
  CHECK(b.s5 == -9 && b.u11 == 2047 && b.s17 == -65536 && b.u31 == 0x7FFFFFFE);
  b.u11 += HIDE(1u);
  CHECK(b.u11 == 0 && b.s5 == -9);
  uint64_t h = DIGEST_INIT;
  for (int i = 0; i < 3000; i++) {
    uint64_t v = rnd_mag();
    int n = 0;
    for (uint64_t t = v; t; t &= t - 1) n++;
    CHECK(__builtin_popcountll(v) == n);
    if (v) CHECK(v >> (63 - __builtin_clzll(v)) == 1 && ((v >> __builtin_ctzll(v)) & 1));
    int8_t i8 = (int8_t)v;
    int16_t i16 = (int16_t)(v >> 3);
    h = digest_add(h, (uint64_t)(i8 * i16) ^ (v * 0x9E3779B97F4A7C15ull) ^ (uint64_t)(int32_t)v);
  }
  printf("bits digest %016" PRIx64 "\n", h);
}

int main(void) {
  test_128();
  test_division();
  test_overflow();
  test_bits();
  return finish("int_arith");
}
