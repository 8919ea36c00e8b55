/* Loops that gcc auto-vectorises (-O3, and partly -O2 in gcc 12): on AArch64 they become NEON
 * code with widening, narrowing, reductions, predication-free tails and unaligned starts.
 * Every result is checked against a closed form (sums of arithmetic series, exact integer-
 * valued floats) or an independent scalar formula; digests cover what has no closed form. */
#include <string.h>

#include "guest_check.h"

#define N 4099 /* not a multiple of any vector length: the tail loops run too */

static uint8_t g_bytes[N + 64];
static int16_t g_s16[N];
static int32_t g_s32[N], g_t32[N];
static float g_x[N], g_y[N];
static double g_dx[N], g_dy[N];

__attribute__((noinline)) static uint64_t sum_u8(const uint8_t* p, size_t n) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++) s += p[i];
  return s;
}

__attribute__((noinline)) static int64_t dot_s16(const int16_t* a, const int16_t* b, size_t n) {
  int64_t s = 0;
  for (size_t i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
  return s;
}

__attribute__((noinline)) static void saxpy(float a, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static void daxpy(double a, const double* x, double* y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static void histogram(const uint8_t* p, size_t n, uint32_t h[256]) {
  for (size_t i = 0; i < n; i++) h[p[i]]++;
}

__attribute__((noinline)) static void minmax(const int32_t* a, size_t n, int32_t* lo, int32_t* hi) {
  int32_t l = a[0], h = a[0];
  for (size_t i = 1; i < n; i++) {
    l = a[i] < l ? a[i] : l;
    h = a[i] > h ? a[i] : h;
  }
  *lo = l;
  *hi = h;
}

__attribute__((noinline)) static void narrow_sat(const int32_t* a, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(a[i] < 0 ? 0 : a[i] > 255 ? 255 : a[i]);
}

__attribute__((noinline)) static void widen_mul(const uint8_t* a, int16_t* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (int16_t)(a[i] * 3 - 300);
}

__attribute__((noinline)) static size_t count_eq(const int32_t* a, const int32_t* b, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += a[i] == b[i];
  return c;
}

__attribute__((noinline)) static float sum_f32(const float* x, size_t n) {
  float s = 0; /* not reassociated without -ffast-math: stays in order */
  for (size_t i = 0; i < n; i++) s += x[i];
  return s;
}

__attribute__((noinline)) static void abs_shift(int32_t* a, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] = (a[i] < 0 ? -a[i] : a[i]) >> 1;
}

int main(void) {
  for (size_t off = 0; off < 16; off += 5) { /* unaligned starts */
    for (size_t i = 0; i < N; i++) g_bytes[off + i] = (uint8_t)i;
    /* sum of (i mod 256) for i < 4099 = 16 full cycles (32640 each) + 0..2 */
    CHECK_EQ(sum_u8(g_bytes + off, N), 16 * 32640 + 3);
    uint32_t h[256] = {0};
    histogram(g_bytes + off, N, h);
    CHECK(h[0] == 17 && h[2] == 17 && h[3] == 16 && h[255] == 16);
  }

  for (size_t i = 0; i < N; i++) g_s16[i] = (int16_t)(i % 2 ? -(int)i : (int)i);
  /* sum of i^2 over i < N, all positive since the signs cancel in the square */
  int64_t want = (int64_t)(N - 1) * N * (2 * N - 1) / 6;
  CHECK_EQ(dot_s16(g_s16, g_s16, N), want);

  for (size_t i = 0; i < N; i++) {
    g_x[i] = (float)i;
    g_y[i] = (float)(2 * i + 1);
    g_dx[i] = (double)i * 0.5;
    g_dy[i] = 1.0;
  }
  saxpy(3.0f, g_x, g_y, N);
  daxpy(4.0, g_dx, g_dy, N);
  int ok = 1;
  for (size_t i = 0; i < N; i++)
    ok &= g_y[i] == (float)(5 * i + 1) && g_dx[i] * 0 == 0 && g_dy[i] == (double)(2 * i + 1);
  CHECK(ok);
  /* In-order float sum of 0..N-1: exact while partial sums stay below 2^24. */
  CHECK(sum_f32(g_x, N) == (float)((N - 1) * N / 2));

  for (size_t i = 0; i < N; i++) {
    g_s32[i] = (int32_t)((i * 2654435761u) % 1000) - 300;
    g_t32[i] = (int32_t)(i % 7 == 0 ? g_s32[i] : g_s32[i] + 1);
  }
  int32_t lo, hi;
  minmax(g_s32, N, &lo, &hi);
  int32_t slo = 1 << 30, shi = -(1 << 30);
  for (size_t i = 0; i < N; i++) {
    if (g_s32[i] < slo) slo = g_s32[i];
    if (g_s32[i] > shi) shi = g_s32[i];
  }
  CHECK(lo == slo && hi == shi && lo >= -300 && hi <= 699);
  CHECK(count_eq(g_s32, g_t32, N) == (N + 6) / 7);

  static uint8_t narrowed[N];
  narrow_sat(g_s32, narrowed, N);
  ok = 1;
  for (size_t i = 0; i < N; i++)
    ok &= narrowed[i] == (g_s32[i] <= 0 ? 0 : g_s32[i] >= 255 ? 255 : g_s32[i]);
  CHECK(ok);
  for (size_t i = 0; i < N; i++) g_bytes[i] = (uint8_t)i;
  widen_mul(g_bytes, g_s16, N);
  ok = 1;
  for (size_t i = 0; i < N; i++) ok &= g_s16[i] == (int)(i % 256) * 3 - 300;
  CHECK(ok);
  abs_shift(g_s32, N);
  uint64_t d = DIGEST_INIT;
  for (size_t i = 0; i < N; i++) d = digest_add(d, (uint64_t)g_s32[i] + narrowed[i]);
  printf("vector digest %016" PRIx64 "\n", d);
  printf("sum_u8 %" PRIu64 " dot %" PRId64 " min %d max %d\n", sum_u8(g_bytes, N),
         dot_s16(g_s16, g_s16, N), lo, hi);
  return finish("vector_loops");
}
