/* The floating-point environment (C99 <fenv.h>, on AArch64 the FPCR and FPSR registers):
 * the four IEEE rounding modes applied to division, sqrt, conversions, rint and overflow,
 * and the five exception flags raised by exactly the operations IEEE 754 says.
 * Expected bit patterns are from IEEE 754 rules (computed with Python's decimal module).
 * Built with -frounding-math so gcc neither folds nor moves arithmetic across fesetround. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "guest_check.h"

static uint64_t d2u(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static const int kModes[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
static const char* const kModeNames[4] = {"to-nearest", "upward", "downward", "toward-zero"};

/* Expected results per mode, in kModes order. */
static const uint64_t kThird[4] = {0x3fd5555555555555ull, 0x3fd5555555555556ull,
                                   0x3fd5555555555555ull, 0x3fd5555555555555ull};
static const uint64_t kMinusThird[4] = {0xbfd5555555555555ull, 0xbfd5555555555555ull,
                                        0xbfd5555555555556ull, 0xbfd5555555555555ull};
static const uint32_t kThirdF[4] = {0x3eaaaaabu, 0x3eaaaaabu, 0x3eaaaaaau, 0x3eaaaaaau};
static const uint64_t kSqrt2[4] = {0x3ff6a09e667f3bcdull, 0x3ff6a09e667f3bcdull,
                                   0x3ff6a09e667f3bccull, 0x3ff6a09e667f3bccull};
static const uint32_t kTenthF[4] = {0x3dcccccdu, 0x3dcccccdu, 0x3dccccccu, 0x3dccccccu};
static const double kRint25[4] = {2, 3, 2, 2}, kRintM25[4] = {-2, -2, -3, -2};
static const double kBigSum[4] = {9007199254740992.0, 9007199254740994.0, 9007199254740992.0,
                                  9007199254740992.0}; /* 2^53 + 1 */

static void test_rounding(void) {
  for (int m = 0; m < 4; m++) {
    CHECK(fesetround(kModes[m]) == 0);
    CHECK(fegetround() == kModes[m]);
    CHECK_EQ(d2u(HIDE(1.0) / HIDE(3.0)), kThird[m]);
    CHECK_EQ(d2u(HIDE(-1.0) / HIDE(3.0)), kMinusThird[m]);
    CHECK_EQ(f2u(HIDE(1.0f) / HIDE(3.0f)), kThirdF[m]);
    CHECK_EQ(d2u(sqrt(HIDE(2.0))), kSqrt2[m]);
    CHECK_EQ(f2u((float)HIDE(0.1)), kTenthF[m]);
    volatile double r1 = rint(HIDE(2.5)), r2 = rint(HIDE(-2.5)), r3 = nearbyint(HIDE(2.5));
    CHECK(r1 == kRint25[m] && r2 == kRintM25[m] && r3 == kRint25[m]);
    CHECK(lrint(HIDE(-2.5)) == (long)kRintM25[m]);
    CHECK((double)HIDE((1ll << 53) + 1) == kBigSum[m]);
    CHECK(HIDE(9007199254740992.0) + HIDE(1.0) == kBigSum[m]);
    CHECK((int)HIDE(2.9) == 2 && (int)HIDE(-2.9) == -2); /* C casts always truncate */
    /* x - x is +0 in every mode but downward, where it is -0 (IEEE 754 6.3). */
    CHECK(!signbit(HIDE(1.5) - HIDE(1.5)) == (kModes[m] != FE_DOWNWARD));
    double over = HIDE(DBL_MAX) * 2, under = HIDE(-DBL_MAX) * 2;
    CHECK((isinf(over) != 0) == (kModes[m] == FE_TONEAREST || kModes[m] == FE_UPWARD));
    CHECK((isinf(under) != 0) == (kModes[m] == FE_TONEAREST || kModes[m] == FE_DOWNWARD));
    CHECK(isinf(over) || over == DBL_MAX);
    double tiny = HIDE(DBL_TRUE_MIN) * 0.25; /* a quarter of the smallest subnormal */
    CHECK(tiny == ((kModes[m] == FE_UPWARD) ? DBL_TRUE_MIN : 0.0));
    /* The exact product is 1 - 2^-60. */
    CHECK(fma(HIDE(1.0 + 0x1p-30), HIDE(1.0 - 0x1p-30), 0.0) ==
          ((kModes[m] == FE_UPWARD || kModes[m] == FE_TONEAREST) ? 1.0 : 1.0 - 0x1p-53));
    printf("mode %s ok\n", kModeNames[m]);
  }
  fesetround(FE_TONEAREST);
}

#define ALL_FIVE (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT)

/* Clears the flags, runs EXPR, and checks the raised flags are exactly WANT. */
#define CHECK_FLAGS(expr, want)              \
  do {                                       \
    feclearexcept(FE_ALL_EXCEPT);            \
    volatile double r_ = (expr);             \
    (void)r_;                                \
    CHECK(fetestexcept(ALL_FIVE) == (want)); \
  } while (0)

static void test_exceptions(void) {
  CHECK_FLAGS(HIDE(1.0) / HIDE(0.0), FE_DIVBYZERO);
  CHECK_FLAGS(HIDE(0.0) / HIDE(0.0), FE_INVALID);
  CHECK_FLAGS(HIDE(INFINITY) - HIDE(INFINITY), FE_INVALID);
  CHECK_FLAGS(HIDE(INFINITY) * HIDE(0.0), FE_INVALID);
  CHECK_FLAGS(sqrt(HIDE(-1.0)), FE_INVALID);
  CHECK_FLAGS(HIDE(DBL_MAX) * 2, FE_OVERFLOW | FE_INEXACT);
  CHECK_FLAGS(HIDE(DBL_MIN) / 3, FE_UNDERFLOW | FE_INEXACT);
  CHECK_FLAGS(HIDE(DBL_MIN) / 2, 0); /* exact subnormal: no underflow flag */
  CHECK_FLAGS(HIDE(1.0) + 0x1p-60, FE_INEXACT);
  CHECK_FLAGS(HIDE(2.0) * HIDE(3.0), 0);
  CHECK_FLAGS(HIDE(1.0) / HIDE(3.0), FE_INEXACT);
  CHECK_FLAGS(HIDE(1e38f) * HIDE(10.0f), FE_OVERFLOW | FE_INEXACT);
  CHECK_FLAGS(HIDE(1e-30f) * HIDE(1e-30f), FE_UNDERFLOW | FE_INEXACT);
  CHECK_FLAGS((float)HIDE(0.1), FE_INEXACT);
  CHECK_FLAGS((float)HIDE(1e300), FE_OVERFLOW | FE_INEXACT);
  CHECK_FLAGS((float)HIDE(0.5), 0);
  CHECK_FLAGS(HIDE(INFINITY) + HIDE(1.0), 0);     /* infinity arithmetic is exact */
  CHECK_FLAGS(HIDE((double)NAN) + HIDE(1.0), 0);  /* quiet NaNs propagate silently */
  CHECK_FLAGS(HIDE((double)NAN) == HIDE(1.0), 0); /* == is a quiet comparison */
  CHECK_FLAGS(isless(HIDE((double)NAN), HIDE(1.0)), 0);
  CHECK_FLAGS(sqrt(HIDE(4.0)), 0);
  CHECK_FLAGS(fma(HIDE(0x1p-1000), HIDE(0x1p-100), 0.0), FE_UNDERFLOW | FE_INEXACT);
  CHECK_FLAGS(rint(HIDE(2.5)), FE_INEXACT); /* rint raises inexact... */
  CHECK_FLAGS(nearbyint(HIDE(2.5)), 0);     /* ...nearbyint never does */
  feclearexcept(FE_ALL_EXCEPT);
  volatile long l = lrint(HIDE(1e30)); /* unrepresentable: invalid */
  (void)l;
  CHECK(fetestexcept(FE_INVALID));

  /* Flags are sticky, and the flag and environment functions save and restore them. */
  feclearexcept(FE_ALL_EXCEPT);
  CHECK(feraiseexcept(FE_OVERFLOW | FE_INEXACT) == 0);
  volatile double x = HIDE(1.0) / HIDE(0.0);
  (void)x;
  CHECK(fetestexcept(ALL_FIVE) == (FE_OVERFLOW | FE_INEXACT | FE_DIVBYZERO));
  fexcept_t saved;
  CHECK(fegetexceptflag(&saved, FE_ALL_EXCEPT) == 0);
  feclearexcept(FE_OVERFLOW);
  CHECK(fetestexcept(ALL_FIVE) == (FE_INEXACT | FE_DIVBYZERO));
  CHECK(fesetexceptflag(&saved, FE_ALL_EXCEPT) == 0);
  CHECK(fetestexcept(ALL_FIVE) == (FE_OVERFLOW | FE_INEXACT | FE_DIVBYZERO));
  fenv_t env;
  CHECK(feholdexcept(&env) == 0 && fetestexcept(ALL_FIVE) == 0);
  fesetround(FE_UPWARD);
  x = HIDE(1.0) / HIDE(3.0);
  CHECK(d2u(x) == 0x3fd5555555555556ull && fetestexcept(ALL_FIVE) == FE_INEXACT);
  CHECK(feupdateenv(&env) == 0); /* back to nearest, old flags plus inexact */
  CHECK(fegetround() == FE_TONEAREST);
  CHECK(fetestexcept(ALL_FIVE) == (FE_OVERFLOW | FE_INEXACT | FE_DIVBYZERO));
  CHECK(fegetenv(&env) == 0);
  fesetround(FE_DOWNWARD);
  feclearexcept(FE_ALL_EXCEPT);
  CHECK(fesetenv(&env) == 0 && fegetround() == FE_TONEAREST && fetestexcept(FE_DIVBYZERO));
  CHECK(fesetenv(FE_DFL_ENV) == 0 && fetestexcept(ALL_FIVE) == 0);
  printf("exception flags ok\n");
}

int main(void) {
  test_rounding();
  test_exceptions();
  return finish("fp_env");
}
