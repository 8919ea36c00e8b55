/* C11 <stdatomic.h> shared by 8 threads. Built with -march=armv8-a -mno-outline-atomics
 * (exclusive load/store loops: LDXR/STXR, LDAXR/STLXR) and, as threads_atomic_lse.c, with
 * -march=armv8.1-a (LSE: LDADD, SWP, CAS, ...). Totals are fixed by arithmetic whatever the
 * interleaving: fetch_add/sub on 8/16/32/64-bit counters (with wrap-around), a CAS-loop
 * maximum, exchange-based hand-off (each token taken once), an atomic_flag spinlock guarding
 * plain data, and release/acquire message passing. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "guest_check.h"

#ifndef PROGRAM_NAME
#define PROGRAM_NAME "threads_atomic"
#endif

#define NTHREADS 8
#define ITERS 20000

static _Atomic uint64_t g_add64, g_sub64 = 1000000000ull;
static _Atomic uint32_t g_add32;
static _Atomic uint16_t g_add16; /* wraps: 8 * 20000 * 3 = 480000 */
static _Atomic uint8_t g_add8;
static _Atomic uint64_t g_or, g_relaxed, g_max;
static _Atomic uint32_t g_xor;
static atomic_flag g_spin = ATOMIC_FLAG_INIT;
static uint64_t g_plain_a, g_plain_b; /* only touched with g_spin held */
static _Atomic long g_tokens[64];
static long g_taken[NTHREADS];
static pthread_barrier_t g_bar;

static void* worker(void* arg) {
  long me = (long)arg;
  pthread_barrier_wait(&g_bar); /* all start together to maximise contention */
  for (uint64_t i = 0; i < ITERS; i++) {
    atomic_fetch_add(&g_add64, i);
    atomic_fetch_sub(&g_sub64, 1);
    atomic_fetch_add(&g_add32, 2);
    atomic_fetch_add(&g_add16, 3);
    atomic_fetch_add(&g_add8, 1);
    atomic_fetch_add_explicit(&g_relaxed, 1, memory_order_relaxed);
    atomic_fetch_xor(&g_xor, (uint32_t)(i * 2654435761u));
    uint64_t v = (uint64_t)me * ITERS + i, cur = atomic_load(&g_max);
    while (cur < v && !atomic_compare_exchange_weak(&g_max, &cur, v)) {
    }
    if (i % 8 == 0) {
      while (atomic_flag_test_and_set_explicit(&g_spin, memory_order_acquire)) {
      }
      g_plain_a += 1;
      g_plain_b += 2; /* b == 2a at every release */
      if (g_plain_b != 2 * g_plain_a) g_plain_b = 0;
      atomic_flag_clear_explicit(&g_spin, memory_order_release);
    }
  }
  atomic_fetch_or(&g_or, 1ull << (me * 8));
  /* Each token goes to exactly one thread: exchange leaves -1 behind. */
  for (int k = 0; k < 64; k++)
    if (atomic_exchange(&g_tokens[k], -1) != -1) g_taken[me]++;
  return NULL;
}

/* Release/acquire: the reader who sees flag == n also sees data written before it. */
static _Atomic int g_flag;
static int g_data[1000];
static long g_mp_bad;
static void* mp_reader(void* arg) {
  (void)arg;
  for (int n = 1; n <= 1000; n++) {
    while (atomic_load_explicit(&g_flag, memory_order_acquire) < n) {
    }
    if (g_data[n - 1] != n * 7) g_mp_bad++;
  }
  return NULL;
}

static void test_counters(void) {
  pthread_t t[NTHREADS];
  for (int k = 0; k < 64; k++) atomic_init(&g_tokens[k], k);
  pthread_barrier_init(&g_bar, NULL, NTHREADS);
  for (long i = 0; i < NTHREADS; i++) CHECK(pthread_create(&t[i], NULL, worker, (void*)i) == 0);
  for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&g_bar);
  uint64_t tri = (uint64_t)ITERS * (ITERS - 1) / 2;
  CHECK_EQ(atomic_load(&g_add64), NTHREADS * tri);
  CHECK_EQ(atomic_load(&g_sub64), 1000000000ull - NTHREADS * ITERS);
  CHECK_EQ(atomic_load(&g_add32), 2u * NTHREADS * ITERS);
  CHECK_EQ(atomic_load(&g_add16), (uint16_t)(3u * NTHREADS * ITERS));
  CHECK_EQ(atomic_load(&g_add8), (uint8_t)(NTHREADS * ITERS));
  CHECK_EQ(atomic_load(&g_relaxed), NTHREADS * ITERS);
  CHECK_EQ(atomic_load(&g_xor), 0); /* an even number (8) of identical xor streams */
  CHECK_EQ(atomic_load(&g_max), (uint64_t)(NTHREADS - 1) * ITERS + ITERS - 1);
  CHECK_EQ(atomic_load(&g_or), 0x0101010101010101ull);
  CHECK_EQ(g_plain_a, NTHREADS * ITERS / 8);
  CHECK_EQ(g_plain_b, 2 * g_plain_a);
  long taken = 0;
  for (int i = 0; i < NTHREADS; i++) taken += g_taken[i];
  CHECK_EQ(taken, 64);
  printf("counters: add64 %" PRIu64 " add16 %u add8 %u max %" PRIu64 " spin %" PRIu64 "\n",
         atomic_load(&g_add64), (unsigned)atomic_load(&g_add16), (unsigned)atomic_load(&g_add8),
         atomic_load(&g_max), g_plain_a);

  pthread_t r;
  pthread_create(&r, NULL, mp_reader, NULL);
  for (int n = 1; n <= 1000; n++) {
    g_data[n - 1] = n * 7;
    atomic_store_explicit(&g_flag, n, memory_order_release);
  }
  pthread_join(r, NULL);
  CHECK_EQ(g_mp_bad, 0);
  printf("message passing: 1000 values\n");
}

/* Single-threaded semantics of the forms the loops above do not reach. */
static void test_forms(void) {
  _Atomic uint32_t a = 10;
  uint32_t expected = 11;
  CHECK(!atomic_compare_exchange_strong(&a, &expected, 20) && expected == 10);
  CHECK(atomic_compare_exchange_strong(&a, &expected, 20) && atomic_load(&a) == 20);
  CHECK_EQ(atomic_exchange(&a, 0xdeadbeef), 20);
  CHECK_EQ(atomic_fetch_and(&a, 0xffff0000u), 0xdeadbeef);
  CHECK_EQ(atomic_fetch_or(&a, 0x1234u), 0xdead0000u);
  CHECK_EQ(atomic_fetch_xor(&a, 0xffffffffu), 0xdead1234u);
  CHECK_EQ(atomic_load(&a), 0x2152edcbu);
  _Atomic int8_t s8 = -128;
  CHECK_EQ(atomic_fetch_sub(&s8, 1), (uint64_t)(int64_t)-128);
  CHECK_EQ(atomic_load(&s8), 127);
  _Atomic uint64_t w = UINT64_MAX;
  CHECK_EQ(atomic_fetch_add(&w, 2), UINT64_MAX);
  CHECK_EQ(atomic_load(&w), 1);
  atomic_flag f = ATOMIC_FLAG_INIT;
  CHECK(!atomic_flag_test_and_set(&f) && atomic_flag_test_and_set(&f));
  atomic_flag_clear(&f);
  CHECK(!atomic_flag_test_and_set(&f));
  CHECK(atomic_is_lock_free(&w) && atomic_is_lock_free(&s8));
  printf("single-thread forms ok\n");
}

int main(void) {
  test_counters();
  test_forms();
  return finish(PROGRAM_NAME);
}
