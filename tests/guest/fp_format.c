/* Decimal and hexadecimal conversion of floating point (glibc printf and strtod, which use
 * integer multi-precision arithmetic and the FPU for rounding): exact %.17g/%a/%f/%e/%g strings
 * (checked against Python's formatting of the same values), strtod/strtof results as bit
 * patterns, including the hard cases (halfway subnormals, the 2.2250738585072011e-308 case,
 * overflow), and round trips of random values through %.17g, %a and %.9g. */
#include <errno.h>
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
static float u2f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static void check_fmt(const char* got, const char* want, int line) {
  int ok = strcmp(got, want) == 0;
  check_at(ok, want, line, 0);
  if (!ok) printf("  got \"%s\"\n", got);
}
#define FMT(want, ...)                    \
  do {                                    \
    char b_[400];                         \
    snprintf(b_, sizeof b_, __VA_ARGS__); \
    check_fmt(b_, want, __LINE__);        \
  } while (0)

static void test_printf(void) {
  FMT("3.1415926535897931", "%.17g", HIDE(M_PI));
  FMT("0.10000000000000001", "%.17g", HIDE(0.1));
  FMT("9.9999999999999992e+22", "%.17g", HIDE(1e23));
  FMT("1.7976931348623157e+308", "%.17g", HIDE(DBL_MAX));
  FMT("4.9406564584124654e-324", "%.17g", HIDE(DBL_TRUE_MIN));
  FMT("2.2250738585072014e-308", "%.17g", HIDE(DBL_MIN));
  FMT("0x1p+0 0x1.999999999999ap-4 -0x1.4p+1", "%a %a %a", HIDE(1.0), HIDE(0.1), HIDE(-2.5));
  FMT("0x0.0000000000001p-1022", "%a", HIDE(DBL_TRUE_MIN));
  FMT("0x1.fffffffffffffp+1023 0x0p+0 -0x0p+0", "%a %a %a", HIDE(DBL_MAX), HIDE(0.0), HIDE(-0.0));
  FMT("0x1.555p-2", "%.3a", HIDE(1.0 / 3));
  FMT("0 2 2 1.00", "%.0f %.0f %.0f %.2f", HIDE(0.5), HIDE(1.5), HIDE(2.5), HIDE(1.005));
  FMT("1.234568e+04 1e-05 100000 1e+06", "%e %g %g %g", HIDE(12345.678), HIDE(1e-5), HIDE(100000.0),
      HIDE(1e6));
  FMT("0.10000000000000000555", "%.20f", HIDE(0.1));
  FMT("  3.1|-1.235e-04|2.50    |-003.142", "%5.1f|%+.3e|%-8.2f|%08.3f", HIDE(3.14159),
      HIDE(-0.000123456), HIDE(2.5), HIDE(-3.14159));
  FMT("inf -inf INF 1.23457e+08 2e+01", "%f %e %F %g %.0e", HIDE(INFINITY), HIDE(-INFINITY),
      HIDE(INFINITY), HIDE(123456789.0), HIDE(15.0));
  FMT("0.100000001 3.40282347e+38", "%.9g %.9g", (double)HIDE(0.1f), (double)HIDE(FLT_MAX));
  FMT("0.333333333333333314829616256247", "%.30g", HIDE(1.0 / 3));
  FMT("0.0000000000000000000000049406564584124657", "%.40f", HIDE(DBL_TRUE_MIN) * 1e300);
  FMT("-0 0.000000 -0.000000e+00", "%g %f %e", HIDE(-0.0), HIDE(0.0), HIDE(-0.0));
  FMT("123456789012345680", "%.0f", HIDE(123456789012345678.0));
  FMT("179769313486231570814527423731704356798070567525844996598917476803157260780028538760589"
      "558632766878171540458953514382464234321326889464182768467546703537516986049910576551282"
      "076245490090389328944075868508455133942304583236903222948165808559332123348274797826204"
      "144723168738177180919299881250404026184124858368",
      "%.0f", HIDE(DBL_MAX));
}

struct strtod_case {
  const char* text;
  uint64_t bits;
  int erange; /* errno must be ERANGE (1), must not (0), or either (-1: C leaves errno on
                 underflow to a subnormal implementation-defined) */
};

static const struct strtod_case kCases[] = {
    {"0.1", 0x3fb999999999999aull, 0},
    {"1e23", 0x44b52d02c7e14af6ull, 0},
    {"2.2250738585072011e-308", 0x000fffffffffffffull, -1}, /* the famous PHP/Java hang */
    {"2.2250738585072014e-308", 0x0010000000000000ull, 0},
    {"4.9e-324", 0x1ull, -1},
    {"2.4703282292062327e-324", 0x0ull, 1},  /* just below half the smallest subnormal */
    {"2.4703282292062328e-324", 0x1ull, -1}, /* just above: rounds up */
    {"1.7976931348623157e308", 0x7fefffffffffffffull, 0},
    {"1.7976931348623158e308", 0x7fefffffffffffffull, 0},
    {"1.8e308", 0x7ff0000000000000ull, 1},
    {"-1e-400", 0x8000000000000000ull, 1},
    {"0x1.8p1", 0x4008000000000000ull, 0},
    {"0x1.fffffffffffffp1023", 0x7fefffffffffffffull, 0},
    {"  -0", 0x8000000000000000ull, 0},
    {"inf", 0x7ff0000000000000ull, 0},
    {"-Infinity", 0xfff0000000000000ull, 0},
    {"9007199254740993", 0x4340000000000000ull, 0}, /* 2^53+1: tie to even */
    {"9007199254740995", 0x4340000000000002ull, 0},
    {"9007199254740993.0000000000000000000001", 0x4340000000000001ull, 0},
    {"3.14159265358979323846264338327950288", 0x400921fb54442d18ull, 0},
    {"1e-320", 0x00000000000007e8ull, -1},
    {"123456789e-5", 0x40934a4584f4c6e7ull, 0},
};

static void test_strtod(void) {
  for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
    errno = 0;
    char* end;
    double d = strtod(kCases[i].text, &end);
    check_eq_at(d2u(d), kCases[i].bits, kCases[i].text, __LINE__, 0);
    CHECK(*end == 0 && (kCases[i].erange < 0 || (errno == ERANGE) == kCases[i].erange));
  }
  char* end;
  CHECK(strtod("12abc", &end) == 12.0 && strcmp(end, "abc") == 0);
  CHECK(strtod("abc", &end) == 0.0 && strcmp(end, "abc") == 0);
  CHECK(isnan(strtod("nan", &end)) && *end == 0 && strtod("1e", &end) == 1.0 && *end == 'e');
  CHECK_EQ(f2u(strtof("0.1", NULL)), 0x3dcccccdu);
  CHECK_EQ(f2u(strtof("3.4028235e38", NULL)), 0x7f7fffffu);
  CHECK_EQ(f2u(strtof("1.4e-45", NULL)), 1);
  CHECK_EQ(f2u(strtof("16777217", NULL)), 0x4b800000u);
  CHECK_EQ(f2u(strtof("16777219", NULL)), 0x4b800002u);
  CHECK(atof("  2.5e3xyz") == 2500.0);
  double a, b;
  CHECK(sscanf("1.25 -0x1p-3", "%lf %lf", &a, &b) == 2 && a == 1.25 && b == -0.125);
}

static void test_round_trips(void) {
  uint64_t h = DIGEST_INIT;
  char buf[64];
  for (int i = 0; i < 3000; i++) {
    uint64_t bits = rnd();
    if ((bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull) continue; /* inf/NaN */
    double d = u2d(bits);
    snprintf(buf, sizeof buf, "%.17g", d);
    CHECK_EQ(d2u(strtod(buf, NULL)), bits);
    for (const char* p = buf; *p; p++) h = digest_add(h, (uint8_t)*p);
    snprintf(buf, sizeof buf, "%a", d);
    CHECK_EQ(d2u(strtod(buf, NULL)), bits);
    float f = u2f((uint32_t)(bits >> 32));
    if (!isfinite(f)) continue;
    snprintf(buf, sizeof buf, "%.9g", (double)f);
    CHECK_EQ(f2u(strtof(buf, NULL)), f2u(f));
    for (const char* p = buf; *p; p++) h = digest_add(h, (uint8_t)*p);
    /* Integers are printed exactly. */
    int64_t n = (int64_t)(bits >> (bits & 31)) >> 11;
    snprintf(buf, sizeof buf, "%.0f", (double)n);
    CHECK(strtoll(buf, NULL, 10) == n);
  }
  printf("round-trip digest %016" PRIx64 "\n", h);
}

int main(void) {
  test_printf();
  test_strtod();
  test_round_trips();
  return finish("fp_format");
}
