/* <string.h> on unaligned buffers. glibc's AArch64 string routines (NEON and 16-byte
 * loads, different code paths per size class, aligned over-reads of strings) are checked at every
 * source and destination alignment 0..63 and many lengths, against byte-at-a-time reference
 * loops (through volatile pointers, so gcc cannot turn them back into library calls), with
 * guard bytes around every destination, and with strings ending at the last byte before an
 * unmapped page (an over-read that crosses a page would fault). */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_check.h"

#define AL 64
#define MAXLEN 1100
#define GUARD 0xEE
static uint8_t g_src[AL + MAXLEN + AL] __attribute__((aligned(64)));
static uint8_t g_dst[AL + MAXLEN + 2 * AL] __attribute__((aligned(64)));

static const size_t kSmall[] = {0,  1,  2,  3,  4,  5,  7,  8,  9,  15,
                                16, 17, 24, 31, 32, 33, 47, 48, 63, 64};
static const size_t kLarge[] = {65,  95,  96,  97,  127, 128,  129, 200,
                                255, 256, 257, 511, 512, 1024, 1099};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void fill_src(unsigned seed) {
  for (size_t i = 0; i < sizeof g_src; i++) g_src[i] = (uint8_t)(i * 131 + seed);
}

/* Checks g_dst[d .. d+len) == want[0 .. len) and the guard bytes around it; then re-guards. */
static int dst_ok(size_t d, size_t len, const volatile uint8_t* want) {
  const volatile uint8_t* dst = g_dst;
  int ok = 1;
  for (size_t i = 0; i < d; i++) ok &= dst[i] == GUARD;
  for (size_t i = 0; i < len; i++) ok &= dst[d + i] == want[i];
  for (size_t i = d + len; i < d + len + AL; i++) ok &= dst[i] == GUARD;
  memset(g_dst, GUARD, d + len + AL);
  return ok;
}

static void test_memcpy_memset(void) {
  memset(g_dst, GUARD, sizeof g_dst);
  fill_src(7);
  unsigned bad = 0, n = 0;
  for (size_t s = 0; s < AL; s++)
    for (size_t d = 0; d < AL; d++)
      for (size_t k = 0; k < N(kSmall); k++, n++) {
        memcpy(g_dst + d, g_src + s, kSmall[k]);
        bad += !dst_ok(d, kSmall[k], g_src + s);
      }
  for (size_t s = 0; s < AL; s++)
    for (size_t k = 0; k < N(kLarge); k++, n++) {
      size_t d = (s * 37 + k) % AL;
      memcpy(g_dst + d, g_src + s, kLarge[k]);
      bad += !dst_ok(d, kLarge[k], g_src + s);
    }
  CHECK(bad == 0);
  printf("memcpy: %u copies\n", n);

  static uint8_t pattern[MAXLEN];
  for (int v = 0; v < 256; v += 0xA5 - 0x5A) { /* 0x00, 0x4b, 0x96, 0xe1 */
    memset(pattern, v, sizeof pattern);
    bad = 0;
    for (size_t d = 0; d < AL; d++) {
      for (size_t len = 0; len <= 160; len++) {
        memset(g_dst + d, v, len);
        bad += !dst_ok(d, len, pattern);
      }
      for (size_t k = 0; k < N(kLarge); k++) {
        memset(g_dst + d, v, kLarge[k]);
        bad += !dst_ok(d, kLarge[k], pattern);
      }
    }
    CHECK(bad == 0);
  }
}

static void test_memmove(void) {
  static uint8_t expect[MAXLEN];
  unsigned bad = 0, n = 0;
  static const size_t lens[] = {1, 3, 8, 15, 16, 31, 33, 64, 100, 129, 256, 700};
  for (size_t k = 0; k < N(lens); k++)
    for (size_t s = 0; s < AL; s += 3)
      for (int delta = -63; delta <= 70; delta += 7) { /* d >= 1 */
        size_t len = lens[k], d = (size_t)((long)s + AL + delta);
        fill_src((unsigned)(s + k));
        memcpy(g_dst, g_src, sizeof g_dst < sizeof g_src ? sizeof g_dst : sizeof g_src);
        volatile uint8_t *src = g_dst + AL + s, *e = expect;
        for (size_t i = 0; i < len; i++) e[i] = src[i];
        memmove(g_dst + d, g_dst + AL + s, len);
        for (size_t i = 0; i < len; i++) bad += g_dst[d + i] != expect[i];
        bad += g_dst[d - 1] != g_src[d - 1] || g_dst[d + len] != g_src[d + len];
        n++;
      }
  CHECK(bad == 0);
  printf("memmove: %u overlapping moves\n", n);
}

static int sign(int x) {
  return (x > 0) - (x < 0);
}

static void test_compare(void) {
  fill_src(3);
  unsigned bad = 0;
  uint64_t h = DIGEST_INIT;
  for (size_t s = 0; s < AL; s++)
    for (size_t d = 0; d < AL; d += 5)
      for (size_t len = 1; len <= 96; len += (len < 40 ? 1 : 11)) {
        memcpy(g_dst + d, g_src + s, len);
        bad += memcmp(g_dst + d, g_src + s, len) != 0;
        size_t at = (s * 7 + len) % len;
        uint8_t old = g_dst[d + at];
        g_dst[d + at] = (uint8_t)(old ^ 0x80); /* above and below 0x80: unsigned compare */
        int want = g_dst[d + at] > old ? 1 : -1;
        bad += sign(memcmp(g_dst + d, g_src + s, len)) != want;
        bad += sign(memcmp(g_src + s, g_dst + d, len)) != -want;
        bad += at > 0 && memcmp(g_dst + d, g_src + s, at) != 0;
        h = digest_add(h, (uint64_t)(sign(memcmp(g_dst + d, g_src + s, len)) + 1) + at);
      }
  CHECK(bad == 0);
  printf("memcmp digest %016" PRIx64 "\n", h);
}

/* A C string of length len at p, with non-zero bytes from the pattern (some above 0x7f). */
static void make_string(char* p, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++) p[i] = (char)(((i * 29 + seed) % 255) + 1);
  p[len] = 0;
}

static void test_strings(void) {
  static char a[AL + 300] __attribute__((aligned(64))), b[AL + 300] __attribute__((aligned(64)));
  unsigned bad = 0;
  uint64_t h = DIGEST_INIT;
  for (size_t s = 0; s < AL; s++)
    for (size_t len = 0; len < 200; len += (len < 70 ? 1 : 9)) {
      memset(a, 'x', sizeof a);
      make_string(a + s, len, (unsigned)s);
      bad += strlen(a + s) != len || strnlen(a + s, len / 2) != len / 2;
      size_t t = (s + 11) % AL;
      memset(b, 'y', sizeof b);
      bad += strcpy(b + t, a + s) != b + t || b[t + len] != 0 || b[t + len + 1] != 'y';
      bad += strcmp(a + s, b + t) != 0 || (t > 0 && b[t - 1] != 'y');
      if (len > 0) {
        size_t at = (len * 13 + s) % len;
        char c = a[s + at];
        const char* first = memchr(a + s, c, len);
        bad += strchr(a + s, c) != first || first == NULL || first > a + s + at;
        bad += strrchr(a + s, c) < a + s + at || strchr(a + s, 0) != a + s + len;
        h = digest_add(h, (uint64_t)(first - (a + s)));
        b[t + at] = (char)(b[t + at] == 1 ? 2 : b[t + at] - 1);
        bad += sign(strcmp(a + s, b + t)) != ((uint8_t)a[s + at] > (uint8_t)b[t + at] ? 1 : -1);
        bad += strncmp(a + s, b + t, at) != 0 || strncmp(a + s, b + t, at + 1) == 0;
      }
      bad += strchr(a + s, 'x' + 256) != memchr(a + s, 'x', len); /* c converts to char */
    }
  CHECK(bad == 0);
  printf("string digest %016" PRIx64 "\n", h);
}

/* Strings and buffers that end exactly at the end of a readable page. */
static void test_page_end(void) {
  long page = sysconf(_SC_PAGESIZE);
  uint8_t* map =
      mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(map != MAP_FAILED);
  if (map == MAP_FAILED) return;
  CHECK(mprotect(map + page, (size_t)page, PROT_NONE) == 0);
  uint8_t* end = map + page;
  unsigned bad = 0;
  for (size_t len = 0; len < 200; len++) {
    char* str = (char*)end - len - 1;
    make_string(str, len, (unsigned)len);
    const char* last = NULL;
    for (const volatile char* p = str; *p; p++)
      if (*p == 0x7f) last = (const char*)p;
    bad += strlen(str) != len || strchr(str, 0) != str + len;
    bad += strchr(str, 0x7f) != memchr(str, 0x7f, len) || strrchr(str, 0x7f) != last;
    bad += strnlen(str, 1000) != len || memchr(str, 0, 1000) != str + len;
    bad += strcmp(str, str) != 0 || sign(strcmp(str, "")) != (len != 0);
    uint8_t* buf = end - len;
    memset(buf, 0x5c, len);
    bad += memchr(buf, 0x11, len) != NULL || (len && memcmp(buf, buf, len) != 0);
    memcpy(g_dst, buf, len);
    bad += len && memcmp(g_dst, buf, len) != 0;
  }
  CHECK(bad == 0);
  munmap(map, (size_t)page * 2);
}

int main(void) {
  test_memcpy_memset();
  test_memmove();
  test_compare();
  test_strings();
  test_page_end();
  return finish("string_ops");
}
