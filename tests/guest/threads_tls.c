/* Thread-local storage and thread lifetime: __thread variables (initialised, zero, 64-byte
 * aligned) private to each of 8 threads; pthread_key_t values and their destructors at thread
 * exit; deferred pthread_cancel acting at a cancellation point (read on an empty pipe,
 * pthread_testcancel) with cleanup handlers run in reverse order, and held off by
 * PTHREAD_CANCEL_DISABLE; pthread_exit values; detached threads; 1000 short-lived threads. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "guest_check.h"

#define NTHREADS 8

static __thread long t_init = 12345;
static __thread long t_zero;
static __thread _Alignas(64) unsigned char t_block[200];

static pthread_barrier_t g_bar;
static long g_tls_bad;

static void* tls_worker(void* arg) {
  long me = (long)arg;
  long bad = 0;
  if (t_init != 12345 || t_zero != 0) bad++; /* each thread starts from the initial image */
  if (((uintptr_t)t_block & 63) != 0) bad++;
  for (int i = 0; i < 200; i++)
    if (t_block[i] != 0) bad++;
  memset(t_block, (int)me + 1, sizeof t_block);
  for (int i = 0; i < 1000; i++) t_init += me, t_zero++;
  pthread_barrier_wait(&g_bar); /* every thread has written its copy: none was shared */
  if (t_init != 12345 + 1000 * me || t_zero != 1000) bad++;
  for (int i = 0; i < 200; i++)
    if (t_block[i] != me + 1) bad++;
  __atomic_add_fetch(&g_tls_bad, bad, __ATOMIC_RELAXED);
  return (void*)&t_zero; /* addresses differ between threads */
}

static void test_tls(void) {
  pthread_t t[NTHREADS];
  void* addr[NTHREADS];
  t_init = -1;
  pthread_barrier_init(&g_bar, NULL, NTHREADS);
  for (long i = 0; i < NTHREADS; i++) CHECK(pthread_create(&t[i], NULL, tls_worker, (void*)i) == 0);
  for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], &addr[i]);
  pthread_barrier_destroy(&g_bar);
  CHECK_EQ(g_tls_bad, 0);
  CHECK(t_init == -1 && t_zero == 0); /* the main thread's copy is untouched */
  int distinct = 1;
  for (int i = 0; i < NTHREADS; i++)
    for (int j = 0; j < i; j++)
      if (addr[i] == addr[j]) distinct = 0;
  CHECK(distinct);
  printf("__thread: %d threads, private copies\n", NTHREADS);
}

/* ---- pthread_key_t: destructors run at exit with each thread's own non-NULL value ---- */
static pthread_key_t g_key;
static long g_dtor_sum, g_dtor_calls;
static void key_dtor(void* v) {
  __atomic_add_fetch(&g_dtor_sum, *(long*)v, __ATOMIC_RELAXED);
  __atomic_add_fetch(&g_dtor_calls, 1, __ATOMIC_RELAXED);
}
static long g_key_vals[NTHREADS];
static void* key_worker(void* arg) {
  long me = (long)arg;
  int bad = pthread_getspecific(g_key) != NULL; /* a new thread starts with NULL */
  g_key_vals[me] = 1L << me;
  if (me % 4 != 3) pthread_setspecific(g_key, &g_key_vals[me]); /* threads 3, 7 leave NULL */
  pthread_barrier_wait(&g_bar);
  void* mine = pthread_getspecific(g_key);
  if (mine != (me % 4 != 3 ? &g_key_vals[me] : NULL)) bad = 1;
  if (bad) return (void*)1;
  if (me == 5) pthread_exit((void*)55); /* destructors run on pthread_exit too */
  return NULL;
}

static void test_keys(void) {
  pthread_t t[NTHREADS];
  CHECK(pthread_key_create(&g_key, key_dtor) == 0);
  static long main_val = 1000;
  pthread_setspecific(g_key, &main_val);
  pthread_barrier_init(&g_bar, NULL, NTHREADS);
  for (long i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, key_worker, (void*)i);
  for (int i = 0; i < NTHREADS; i++) {
    void* r;
    pthread_join(t[i], &r);
    CHECK((long)r == (i == 5 ? 55 : 0));
  }
  pthread_barrier_destroy(&g_bar);
  CHECK_EQ(g_dtor_calls, 6);
  CHECK_EQ(g_dtor_sum, 0xff & ~0x88);
  CHECK(pthread_getspecific(g_key) == &main_val);
  CHECK(pthread_key_delete(g_key) == 0);
  printf("keys: %ld destructor calls, sum 0x%lx\n", g_dtor_calls, g_dtor_sum);
}

/* ---- deferred cancellation ---- */
static char g_log[64];
static int g_logn;
static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static void log_char(void* c) {
  pthread_mutex_lock(&g_log_mu);
  g_log[g_logn++] = (char)(long)c;
  pthread_mutex_unlock(&g_log_mu);
}
static int g_pipe[2];

static void* cancel_in_read(void* arg) {
  (void)arg;
  pthread_cleanup_push(log_char, (void*)'A');
  pthread_cleanup_push(log_char, (void*)'B');
  pthread_barrier_wait(&g_bar);
  char c;
  read(g_pipe[0], &c, 1); /* nobody writes: cancelled while blocked here */
  log_char((void*)'X');
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  return NULL;
}

static void* cancel_disabled(void* arg) {
  (void)arg;
  int old;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
  pthread_cleanup_push(log_char, (void*)'C');
  pthread_barrier_wait(&g_bar); /* main cancels now ... */
  pthread_barrier_wait(&g_bar); /* ... and has returned from pthread_cancel */
  log_char((void*)'d');         /* still running: cancellation is disabled */
  pthread_testcancel();         /* not a cancellation point while disabled */
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
  pthread_testcancel(); /* the pending request acts here */
  log_char((void*)'Y');
  pthread_cleanup_pop(0);
  return NULL;
}

static void test_cancel(void) {
  pthread_t t;
  void* r;
  CHECK(pipe(g_pipe) == 0);
  pthread_barrier_init(&g_bar, NULL, 2);
  pthread_create(&t, NULL, cancel_in_read, NULL);
  pthread_barrier_wait(&g_bar);
  CHECK(pthread_cancel(t) == 0);
  CHECK(pthread_join(t, &r) == 0 && r == PTHREAD_CANCELED);
  log_char((void*)'|');

  pthread_create(&t, NULL, cancel_disabled, NULL);
  pthread_barrier_wait(&g_bar);
  CHECK(pthread_cancel(t) == 0);
  pthread_barrier_wait(&g_bar);
  CHECK(pthread_join(t, &r) == 0 && r == PTHREAD_CANCELED);
  pthread_barrier_destroy(&g_bar);
  g_log[g_logn] = 0;
  CHECK(strcmp(g_log, "BA|dC") == 0); /* cleanup handlers run last pushed first */
  close(g_pipe[0]);
  close(g_pipe[1]);
  printf("cancel: log %s\n", g_log);
}

/* ---- 1000 short-lived threads, joined or detached ---- */
static long g_ran;
static void* tiny(void* arg) {
  __atomic_add_fetch(&g_ran, (long)arg, __ATOMIC_RELAXED);
  return arg;
}

static void test_many(void) {
  long sum = 0, fails = 0;
  for (long i = 1; i <= 1000; i++) {
    pthread_t t;
    void* r;
    if (pthread_create(&t, NULL, tiny, (void*)i) != 0 || pthread_join(t, &r) != 0) {
      fails++;
      continue;
    }
    sum += (long)r;
  }
  CHECK_EQ(fails, 0);
  CHECK_EQ(sum, 500500);
  /* 8 at a time: threads coexist and reuse each other's stacks after join. */
  for (int round = 0; round < 25; round++) {
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) fails += pthread_create(&t[i], NULL, tiny, (void*)1) != 0;
    for (int i = 0; i < NTHREADS; i++) fails += pthread_join(t[i], NULL) != 0;
  }
  CHECK_EQ(fails, 0);
  /* Detached threads cannot be joined; wait for them through the counter. */
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  for (int i = 0; i < 16; i++) {
    pthread_t t;
    fails += pthread_create(&t, &a, tiny, (void*)1000000) != 0;
  }
  pthread_attr_destroy(&a);
  while (__atomic_load_n(&g_ran, __ATOMIC_ACQUIRE) < 500500 + 200 + 16000000) usleep(1000);
  CHECK_EQ(fails, 0);
  CHECK_EQ(g_ran, 500500 + 200 + 16000000);
  printf("many threads: sum %ld, total %ld\n", sum, g_ran);
}

int main(void) {
  test_tls();
  test_keys();
  test_cancel();
  test_many();
  return finish("threads_tls");
}
