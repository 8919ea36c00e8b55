/* GCC __atomic builtins on 1, 2, 4 and 8-byte objects. With -march=armv8.1-a (FEAT_LSE) the
 * AArch64 build uses the single-instruction atomics LDADD/LDCLR/LDEOR/LDSET/LDSMAX/LDUMIN/
 * SWP/CAS (and their acquire/release forms) instead of LDXR/STXR loops. Single-threaded: the
 * checks are the operations' definitions (fetch_op returns the old value, stores the new one;
 * compare_exchange writes back the observed value on failure), the same on both ISAs. */
#include <string.h>

#include "guest_check.h"

#define TEST_TYPE(T, NAME)                                                                     \
  static uint64_t test_##NAME(uint64_t seed) {                                                 \
    static T v;                                                                                \
    T x = (T)seed, y = (T)(seed >> 17), old;                                                   \
    uint64_t h = DIGEST_INIT;                                                                  \
    __atomic_store_n(&v, x, __ATOMIC_RELEASE);                                                 \
    CHECK(__atomic_load_n(&v, __ATOMIC_ACQUIRE) == x);                                         \
    old = __atomic_fetch_add(&v, y, __ATOMIC_SEQ_CST);                                         \
    CHECK(old == x && v == (T)(x + y));                                                        \
    old = __atomic_fetch_sub(&v, y, __ATOMIC_ACQ_REL);                                         \
    CHECK(old == (T)(x + y) && v == x);                                                        \
    old = __atomic_fetch_and(&v, y, __ATOMIC_RELAXED); /* LDCLR with inverted operand */       \
    CHECK(old == x && v == (T)(x & y));                                                        \
    old = __atomic_fetch_or(&v, x, __ATOMIC_ACQUIRE);                                          \
    CHECK(old == (T)(x & y) && v == x);                                                        \
    old = __atomic_fetch_xor(&v, y, __ATOMIC_RELEASE);                                         \
    CHECK(old == x && v == (T)(x ^ y));                                                        \
    CHECK(__atomic_add_fetch(&v, 1, __ATOMIC_SEQ_CST) == (T)((T)(x ^ y) + 1));                 \
    CHECK(__atomic_nand_fetch(&v, y, __ATOMIC_SEQ_CST) == (T) ~(T)((T)((x ^ y) + 1) & y));     \
    old = __atomic_exchange_n(&v, y, __ATOMIC_ACQ_REL);                                        \
    CHECK(old == (T) ~(T)((T)((x ^ y) + 1) & y) && v == y);                                    \
    T expected = x;                                                                            \
    int ok = __atomic_compare_exchange_n(&v, &expected, (T)(x + 1), 0, __ATOMIC_SEQ_CST,       \
                                         __ATOMIC_RELAXED);                                    \
    CHECK(ok == (x == y) && expected == y); /* fails unless x == y; expected := current */     \
    if (ok) __atomic_store_n(&v, y, __ATOMIC_RELAXED);                                         \
    expected = y;                                                                              \
    ok = __atomic_compare_exchange_n(&v, &expected, (T)(x + 1), 0, __ATOMIC_ACQUIRE,           \
                                     __ATOMIC_ACQUIRE);                                        \
    CHECK(ok&& v == (T)(x + 1) && expected == y);                                              \
    h = digest_add(h, (uint64_t)v);                                                            \
    /* A CAS loop computing a maximum (what LDSMAX/LDUMAX do in one instruction). */           \
    T cur = __atomic_load_n(&v, __ATOMIC_RELAXED);                                             \
    while (cur < y &&                                                                          \
           !__atomic_compare_exchange_n(&v, &cur, y, 1, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) { \
    }                                                                                          \
    CHECK(v == ((T)(x + 1) > y ? (T)(x + 1) : y));                                             \
    return digest_add(h, (uint64_t)v);                                                         \
  }

TEST_TYPE(uint8_t, u8)
TEST_TYPE(int16_t, s16)
TEST_TYPE(uint32_t, u32)
TEST_TYPE(int64_t, s64)
TEST_TYPE(uint64_t, u64)

/* Atomic flags and counters in a small struct: neighbouring bytes must stay untouched. */
static void test_neighbours(void) {
  static struct {
    uint8_t before[3];
    uint8_t b;
    uint16_t h;
    uint8_t after[2];
  } s;
  memset(&s, 0x5a, sizeof s);
  for (int i = 0; i < 1000; i++) {
    __atomic_fetch_add(&s.b, 3, __ATOMIC_SEQ_CST);
    __atomic_fetch_sub(&s.h, 7, __ATOMIC_SEQ_CST);
  }
  CHECK(s.b == (uint8_t)(0x5a + 3000) && s.h == (uint16_t)(0x5a5a - 7000));
  CHECK(s.before[0] == 0x5a && s.before[2] == 0x5a && s.after[0] == 0x5a && s.after[1] == 0x5a);
  CHECK(__atomic_always_lock_free(8, 0) && __atomic_always_lock_free(2, 0));
  static _Bool flag;
  CHECK(!__atomic_test_and_set(&flag, __ATOMIC_ACQUIRE) && flag);
  CHECK(__atomic_test_and_set(&flag, __ATOMIC_ACQUIRE) && flag);
  __atomic_clear(&flag, __ATOMIC_RELEASE);
  CHECK(!flag && !__atomic_test_and_set(&flag, __ATOMIC_SEQ_CST));
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

int main(void) {
  uint64_t h = DIGEST_INIT;
  for (int i = 0; i < 2000; i++) {
    uint64_t seed = rnd();
    if (i % 3 == 0) seed &= 0xff0000ff00ffull; /* equal low bytes, zeros, small values */
    h = digest_add(h, test_u8(seed));
    h = digest_add(h, test_s16(seed));
    h = digest_add(h, test_u32(seed));
    h = digest_add(h, test_s64(seed));
    h = digest_add(h, test_u64(seed));
  }
  test_neighbours();
  printf("atomics digest %016" PRIx64 "\n", h);
  return finish("atomics_lse");
}
