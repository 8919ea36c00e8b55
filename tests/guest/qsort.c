/* qsort (glibc: merge sort into a malloc'd buffer, falling back to quicksort) and bsearch on
 * integers, doubles, strings and records of awkward sizes. Checked by the definition of a
 * sort: the output is ordered and is a permutation of the input (same multiset hash), and a
 * stable order is not assumed. */
#include <string.h>

#include "guest_check.h"

static int cmp_i32(const void* a, const void* b) {
  int32_t x = *(const int32_t*)a, y = *(const int32_t*)b;
  return (x > y) - (x < y);
}
static int cmp_u64_desc(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return (x < y) - (x > y);
}
static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}
static int cmp_str(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

/* A 13-byte record: an odd size, so elements are copied unaligned. */
struct rec {
  char key[5];
  uint8_t payload[8];
};
static int cmp_rec(const void* a, const void* b) {
  return memcmp(((const struct rec*)a)->key, ((const struct rec*)b)->key, 5);
}

/* Order-independent hash of a multiset of 64-bit values. */
static uint64_t mix(uint64_t v) {
  v ^= v >> 33;
  v *= 0xff51afd7ed558ccdull;
  v ^= v >> 33;
  return v;
}

static void test_ints(size_t n, unsigned mode) {
  int32_t* a = malloc(n * sizeof *a);
  uint64_t before = 0, after = 0;
  for (size_t i = 0; i < n; i++) {
    /* random, sorted, reversed, few distinct values */
    int32_t v = mode == 0   ? (int32_t)rnd()
                : mode == 1 ? (int32_t)i
                : mode == 2 ? (int32_t)(n - i)
                            : (int32_t)(rnd() % 5) - 2;
    a[i] = v;
    before += mix((uint32_t)v);
  }
  qsort(a, n, sizeof *a, cmp_i32);
  int ordered = 1;
  for (size_t i = 0; i < n; i++) {
    after += mix((uint32_t)a[i]);
    if (i) ordered &= a[i - 1] <= a[i];
  }
  CHECK(ordered && before == after);
  if (n) {
    int32_t key = a[n / 3];
    int32_t* hit = bsearch(&key, a, n, sizeof *a, cmp_i32);
    CHECK(hit && *hit == key);
    key = INT32_MAX;
    CHECK((bsearch(&key, a, n, sizeof *a, cmp_i32) != NULL) == (a[n - 1] == INT32_MAX));
  }
  free(a);
}

int main(void) {
  static const size_t sizes[] = {0, 1, 2, 3, 7, 16, 100, 1000, 20000};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
    for (unsigned mode = 0; mode < 4; mode++) test_ints(sizes[s], mode);

  enum { N = 5000 };
  static uint64_t u[N];
  static double d[N];
  uint64_t hu = 0, hd = 0;
  for (int i = 0; i < N; i++) {
    u[i] = rnd();
    int64_t num = (int64_t)rnd();
    d[i] = (double)num / (double)(rnd() | 1);
    hu += mix(u[i]);
  }
  qsort(u, N, sizeof u[0], cmp_u64_desc);
  qsort(d, N, sizeof d[0], cmp_double);
  int ok = 1;
  for (int i = 1; i < N; i++) ok &= u[i - 1] >= u[i] && d[i - 1] <= d[i];
  for (int i = 0; i < N; i++) hd += mix(u[i]);
  CHECK(ok && hu == hd);
  printf("u64 median %016" PRIx64 ", double median %.17g\n", u[N / 2], d[N / 2]);

  enum { S = 3000 };
  static char storage[S][12];
  static const char* strs[S];
  for (int i = 0; i < S; i++) {
    uint64_t r = rnd();
    int len = 1 + (int)(r % 10);
    for (int j = 0; j < len; j++) storage[i][j] = (char)('a' + (r >> (4 + 2 * j)) % 4);
    storage[i][len] = 0;
    strs[i] = storage[i];
  }
  qsort(strs, S, sizeof strs[0], cmp_str);
  ok = 1;
  for (int i = 1; i < S; i++) ok &= strcmp(strs[i - 1], strs[i]) <= 0;
  CHECK(ok);
  printf("strings: first %s, middle %s, last %s\n", strs[0], strs[S / 2], strs[S - 1]);

  enum { R = 2000 };
  static struct rec recs[R];
  uint64_t hr = 0, hr2 = 0;
  CHECK(sizeof(struct rec) == 13);
  for (int i = 0; i < R; i++) {
    for (int j = 0; j < 5; j++) recs[i].key[j] = (char)('A' + rnd() % 26);
    for (int j = 0; j < 8; j++) recs[i].payload[j] = (uint8_t)(recs[i].key[j % 5] * (j + 1));
    hr += mix((uint64_t)recs[i].key[0] << 32 | (uint64_t)recs[i].key[4]);
  }
  qsort(recs, R, sizeof recs[0], cmp_rec);
  ok = 1;
  for (int i = 0; i < R; i++) {
    if (i) ok &= cmp_rec(&recs[i - 1], &recs[i]) <= 0;
    for (int j = 0; j < 8; j++) ok &= recs[i].payload[j] == (uint8_t)(recs[i].key[j % 5] * (j + 1));
    hr2 += mix((uint64_t)recs[i].key[0] << 32 | (uint64_t)recs[i].key[4]);
  }
  CHECK(ok && hr == hr2);
  printf("records: first %.5s, last %.5s\n", recs[0].key, recs[R - 1].key);
  return finish("qsort");
}
