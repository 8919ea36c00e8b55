/* Floating-point arithmetic in the default environment (round to nearest, no traps):
 * float/double results as exact bit patterns, NaN/infinity/signed-zero rules, subnormals,
 * fma, sqrt, and conversions. Constants come from IEEE 754 rules and Python's float; the
 * digests of random operations are compared with the native x86-64 (SSE2) build, an
 * independent IEEE 754 implementation. NaN payload and default-NaN sign differ between ISAs,
 * so they are checked on AArch64 only (CHECK_ARCH) and never printed. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "guest_check.h"

static uint64_t d2u(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static double u2d(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}
static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static void test_basic(void) {
  CHECK_EQ(d2u(HIDE(0.1) + HIDE(0.2)), 0x3fd3333333333334ull);
  CHECK_EQ(d2u(HIDE(1.0) / HIDE(3.0)), 0x3fd5555555555555ull);
  CHECK_EQ(f2u(HIDE(1.0f) / HIDE(3.0f)), 0x3eaaaaabu);
  CHECK_EQ(d2u(sqrt(HIDE(2.0))), 0x3ff6a09e667f3bcdull);
  CHECK_EQ(f2u(sqrtf(HIDE(2.0f))), 0x3fb504f3u);
  CHECK_EQ(d2u(sqrt(HIDE(DBL_TRUE_MIN))), 0x1e60000000000000ull); /* sqrt(2^-1074) = 2^-537 */
  CHECK(HIDE(9007199254740992.0) + 1.0 == 9007199254740992.0);    /* 2^53+1: tie to even */
  CHECK(HIDE(9007199254740994.0) + 1.0 == 9007199254740996.0);
  CHECK(HIDE(16777216.0f) + 1.0f == 16777216.0f);
  CHECK(HIDE(3.0) * HIDE(-0.5) == -1.5 && HIDE(-7.0f) / HIDE(2.0f) == -3.5f);
  CHECK(HIDE(1e308) * 10.0 == INFINITY && HIDE(-1e308) * 10.0 == -INFINITY);
  CHECK(HIDE(FLT_MAX) * 2.0f == INFINITY && HIDE(DBL_MAX) + DBL_MAX == INFINITY);
}

static void test_special(void) {
  double zero = HIDE(0.0), inf = HIDE(INFINITY), nz = HIDE(-0.0);
  CHECK(isnan(zero / zero) && isnan(inf - inf) && isnan(zero * inf) && isnan(sqrt(HIDE(-1.0))));
  CHECK(1.0 / zero == INFINITY && -1.0 / zero == -INFINITY && 1.0 / nz == -INFINITY);
  CHECK(signbit(nz) && !signbit(zero) && nz == zero);
  CHECK(!signbit(zero - zero) && signbit(nz + nz) && !signbit(nz + zero) && signbit(-zero));
  CHECK(signbit(nz * HIDE(5.0)) && !signbit(nz * HIDE(-5.0)) && signbit(sqrt(nz)));
  double nan = HIDE(NAN);
  CHECK(nan != nan && !(nan < 1.0) && !(nan >= 1.0) && !(nan == nan) && isunordered(nan, 1.0));
  CHECK(fmax(nan, HIDE(1.0)) == 1.0 && fmin(HIDE(2.0), nan) == 2.0);
  CHECK(fmaxf(HIDE(-1.0f), NAN) == -1.0f && fminf(NAN, HIDE(-1.0f)) == -1.0f);
  CHECK(fmax(HIDE(-3.0), HIDE(2.0)) == 2.0 && fmin(HIDE(-3.0), HIDE(2.0)) == -3.0);
  CHECK(!signbit(fabs(HIDE(-NAN))) && signbit(copysign(HIDE(3.0), nz)) && copysign(inf, -1.0) < 0);
  CHECK(isinf(inf) && !isinf(DBL_MAX) && isfinite(HIDE(DBL_MAX)) && !isfinite(nan));
  CHECK(inf > DBL_MAX && -inf < -DBL_MAX && inf * HIDE(-2.0) == -INFINITY && inf + inf == inf);
  CHECK(fpclassify(HIDE(1.0)) == FP_NORMAL && fpclassify(HIDE(DBL_MIN) / 4) == FP_SUBNORMAL);
  CHECK(fpclassify(nz) == FP_ZERO && fpclassify(inf) == FP_INFINITE && fpclassify(nan) == FP_NAN);

#ifdef __aarch64__
  /* Arm ARM FPProcessNaNs / FPDefaultNaN: an operation on a quiet NaN returns it unchanged,
   * a signalling NaN is quietened (bit 51 set) keeping its payload, and an invalid operation
   * gives the default NaN 0x7ff8... (positive; x86 gives the negative 0xfff8...). */
  double r;
  __asm__ volatile("fadd %d0, %d1, %d2" : "=w"(r) : "w"(u2d(0x7ff8000000000123ull)), "w"(1.0));
  CHECK_EQ_ARCH(d2u(r), 0x7ff8000000000123ull);
  __asm__ volatile("fmul %d0, %d1, %d2" : "=w"(r) : "w"(2.0), "w"(u2d(0xfff0000000000456ull)));
  CHECK_EQ_ARCH(d2u(r), 0xfff8000000000456ull);
  __asm__ volatile("fsub %d0, %d1, %d2"
                   : "=w"(r)
                   : "w"(u2d(0x7ff8000000000001ull)),
                     "w"(u2d(0x7ff0000000000002ull))); /* sNaN wins over qNaN */
  CHECK_EQ_ARCH(d2u(r), 0x7ff8000000000002ull);
  __asm__ volatile("fmul %d0, %d1, %d2" : "=w"(r) : "w"(0.0), "w"((double)INFINITY));
  CHECK_EQ_ARCH(d2u(r), 0x7ff8000000000000ull);
  float fr;
  __asm__ volatile("fsqrt %s0, %s1" : "=w"(fr) : "w"(-1.0f));
  CHECK_EQ_ARCH(f2u(fr), 0x7fc00000u);
#endif
}

static void test_subnormal(void) {
  double tmin = HIDE(DBL_TRUE_MIN);
  CHECK_EQ(d2u(tmin), 1);
  CHECK_EQ(d2u(tmin * 2), 2);
  CHECK_EQ(d2u(tmin / 2), 0); /* exactly half: ties to even (zero) */
  CHECK_EQ(d2u(tmin * 0.75), 1);
  CHECK_EQ(d2u(tmin * 1.5), 2); /* 1.5: tie between 1 and 2, even is 2 */
  CHECK_EQ(d2u(HIDE(DBL_MIN) / 2), 0x0008000000000000ull);
  CHECK_EQ(d2u(HIDE(DBL_MIN) - tmin), 0x000fffffffffffffull);
  CHECK(tmin * 0x1p1000 * 0x1p74 == 1.0 && HIDE(0x1p-1060) * 0x1p-10 == 0x1p-1070);
  CHECK_EQ(d2u(u2d(0x000fffffffffffffull) + tmin), 0x0010000000000000ull);
  CHECK_EQ(f2u(HIDE(FLT_TRUE_MIN)), 1);
  CHECK_EQ(f2u(HIDE(FLT_MIN) / 8), 0x00100000u);
  CHECK_EQ(f2u((float)HIDE(1e-45)), 1); /* double to float subnormal */
  CHECK_EQ(d2u((double)HIDE(FLT_TRUE_MIN)), 0x36a0000000000000ull);
  CHECK(HIDE(0x1p-1000) * 0x1p-100 == 0.0 && HIDE(0x1p-1000) * 0x1p-74 == tmin);
}

static void test_fma(void) {
  double x = HIDE(1.0 + 0x1p-30);
  CHECK(fma(x, x, -(x * x)) == 0x1p-60); /* the rounding error of the product */
  float xf = HIDE(1.0f + 0x1p-12f);
  CHECK(fmaf(xf, xf, -(xf * xf)) == 0x1p-24f);
  CHECK(fma(HIDE(DBL_MAX), 2.0, -DBL_MAX) == DBL_MAX); /* no intermediate overflow */
  CHECK(fma(HIDE(0x1p-600), 0x1p-600, 1.0) == 1.0 && fma(HIDE(3.0), 4.0, 5.0) == 17.0);
  CHECK(signbit(fma(HIDE(-0.0), 1.0, -0.0)) && !signbit(fma(HIDE(1.0), 1.0, -1.0)));
  CHECK(isnan(fma(HIDE(INFINITY), 0.0, 1.0)) && fma(HIDE(INFINITY), 1.0, 1.0) == INFINITY);
  CHECK_EQ(d2u(fma(HIDE(0.1), 10.0, -1.0)), 0x3c90000000000000ull); /* 2^-54 */
}

static void test_conversions(void) {
  CHECK((int)HIDE(3.7) == 3 && (int)HIDE(-3.7) == -3 && (long)HIDE(-0.5) == 0);
  CHECK((unsigned long)HIDE(9223372036854777856.0) == 9223372036854777856ul);
  CHECK_EQ(d2u((double)HIDE(UINT64_MAX)), 0x43f0000000000000ull); /* rounds to 2^64 */
  CHECK_EQ(d2u((double)HIDE((1ull << 53) + 1)), 0x4340000000000000ull);
  CHECK_EQ(d2u((double)HIDE((int64_t)-9007199254740993ll)), 0xc340000000000000ull);
  CHECK_EQ(f2u((float)HIDE(16777217)), 0x4b800000u);
  CHECK_EQ(f2u((float)HIDE(INT64_MAX)), 0x5f000000u);
  CHECK_EQ(f2u((float)HIDE(0x8000008000000001ull)), 0x5f000001u); /* just over the tie */
  CHECK_EQ(f2u((float)HIDE(0.1)), 0x3dcccccdu);
  CHECK_EQ(d2u((double)HIDE(0.1f)), 0x3fb99999a0000000ull);
  CHECK(isinf((float)HIDE(1e39)) && (float)HIDE(1e-50) == 0.0f);
  CHECK((int32_t)HIDE(2147483520.0f) == 2147483520 && (uint32_t)HIDE(4294967040.0f) == 4294967040u);
  CHECK(lrint(HIDE(2.5)) == 2 && lrint(HIDE(3.5)) == 4 && llrint(HIDE(-2.5)) == -2);
  CHECK(round(HIDE(2.5)) == 3 && round(HIDE(-2.5)) == -3 && lround(HIDE(0.49999999999999994)) == 0);
  CHECK(trunc(HIDE(-2.7)) == -2 && floor(HIDE(-2.5)) == -3 && ceil(HIDE(-2.5)) == -2);
  CHECK(signbit(nearbyint(HIDE(-0.5))) && rint(HIDE(0.5)) == 0 && signbit(ceil(HIDE(-0.5))));
  CHECK(floorf(HIDE(-0.0f)) == 0 && roundf(HIDE(-1.5f)) == -2.0f && truncf(HIDE(1e10f)) == 1e10f);
  CHECK(rint(HIDE(4503599627370497.0)) == 4503599627370497.0); /* >= 2^52: integral */

#ifdef __aarch64__
  /* Arm ARM FPToFixed: out-of-range conversions saturate, NaN converts to 0 (UB in C). */
  int64_t s;
  uint64_t u;
  int32_t w;
  __asm__ volatile("fcvtzs %0, %d1" : "=r"(s) : "w"(1e30));
  CHECK_EQ_ARCH(s, INT64_MAX);
  __asm__ volatile("fcvtzs %0, %d1" : "=r"(s) : "w"(-1e30));
  CHECK_EQ_ARCH(s, (uint64_t)INT64_MIN);
  __asm__ volatile("fcvtzs %0, %d1" : "=r"(s) : "w"((double)NAN));
  CHECK_EQ_ARCH(s, 0);
  __asm__ volatile("fcvtzu %0, %d1" : "=r"(u) : "w"(-5.0));
  CHECK_EQ_ARCH(u, 0);
  __asm__ volatile("fcvtzs %w0, %s1" : "=r"(w) : "w"(3e9f));
  CHECK_EQ_ARCH((uint32_t)w, 0x7fffffffu);
#endif
}

/* A random finite double with exponent in [-emax, emax]. */
static double rnd_double(int emax) {
  uint64_t m = rnd();
  int e = (int)(rnd() % (uint64_t)(2 * emax + 1)) - emax;
  return ldexp(u2d(0x3ff0000000000000ull | (m >> 12)), e) * ((m & 1) ? -1 : 1);
}

static void test_random(void) {
  uint64_t h = DIGEST_INIT, hf = DIGEST_INIT;
  for (int i = 0; i < 4000; i++) {
    int range = (i & 1) ? 540 : 60; /* odd rounds over/underflow, even do not */
    double a = rnd_double(range), b = rnd_double(range), c = rnd_double(range);
    double q = a / b, s = sqrt(fabs(a));
    h = digest_add(h, d2u(a + b) ^ d2u(a - b) << 1);
    h = digest_add(h, d2u(a * b) ^ d2u(q) << 3);
    h = digest_add(h, d2u(s) ^ d2u(fma(a, b, c)));
    /* Clamped: an out-of-range conversion is UB and differs between ISAs. */
    double big = fmin(fmax(a * 1e3 / b, -9e18), 9e18);
    h = digest_add(h, (uint64_t)(int64_t)big ^ d2u((double)(int64_t)rnd()));
    if (range == 60) {
      /* Exact identities: a+b-a is b when exact, fma gives the division's exact remainder. */
      double r = fma(-q, b, a);
      CHECK(fabs(r) <= fabs(b) * 0x1p-52 * fabs(q));
      CHECK(fabs(fma(-s, s, fabs(a))) <= 0x1p-51 * fabs(a));
    }
    /* Floats from their own range: (float)a could be inf or 0, and inf*0 is a NaN whose sign
     * differs between ISAs. Finite operands never give a NaN in these operations. */
    float fa = (float)rnd_double(70), fb = (float)rnd_double(70), fc = (float)rnd_double(70);
    hf = digest_add(hf, f2u(fa + fb) ^ (uint64_t)f2u(fa * fb) << 32);
    hf = digest_add(hf, f2u(fa / fb) ^ (uint64_t)f2u(sqrtf(fabsf(fa))) << 32);
    hf = digest_add(hf, f2u(fmaf(fa, fb, fc)) ^ (uint64_t)f2u((float)(int32_t)rnd()) << 32);
    hf = digest_add(hf, d2u((double)fa * fb));
  }
  printf("double digest %016" PRIx64 "\nfloat digest %016" PRIx64 "\n", h, hf);
}

int main(void) {
  test_basic();
  test_special();
  test_subnormal();
  test_fma();
  test_conversions();
  test_random();
  return finish("fp_arith");
}
