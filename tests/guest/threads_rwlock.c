/* pthread_once called by 8 threads released together by a barrier (the initialiser runs once
 * and has finished when any call returns), and rwlocks: 2 writers and 6 readers where readers
 * must never see the writers' half-done update, plus tryrdlock/trywrlock rules. */
#include <errno.h>
#include <pthread.h>

#include "guest_check.h"

#define NTHREADS 8

/* ---- pthread_once from 8 threads at once ---- */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_once_runs;
static pthread_barrier_t g_once_bar;
static void once_init(void) {
  g_once_runs++;
}
static void* once_worker(void* arg) {
  (void)arg;
  pthread_barrier_wait(&g_once_bar);
  pthread_once(&g_once, once_init);
  return (void*)(long)g_once_runs; /* after pthread_once returns, init has completed */
}

static void test_once(void) {
  pthread_t t[NTHREADS];
  pthread_barrier_init(&g_once_bar, NULL, NTHREADS);
  for (int i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, once_worker, NULL);
  for (int i = 0; i < NTHREADS; i++) {
    void* r;
    pthread_join(t[i], &r);
    CHECK((long)r == 1);
  }
  CHECK_EQ(g_once_runs, 1);
  pthread_barrier_destroy(&g_once_bar);
  printf("once: init ran %d time(s)\n", g_once_runs);
}

/* ---- rwlock: 2 writers move value between a and b; 6 readers check a + b == 1000000 ---- */
static pthread_rwlock_t g_rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long g_a = 1000000, g_b;
static long g_torn, g_reads;

static void* rw_writer(void* arg) {
  (void)arg;
  for (int i = 0; i < 3000; i++) {
    pthread_rwlock_wrlock(&g_rw);
    g_a -= 7;
    for (volatile int k = 0; k < 10; k++) {
    } /* widen the window in which a + b is wrong */
    g_b += 7;
    pthread_rwlock_unlock(&g_rw);
  }
  return NULL;
}

static void* rw_reader(void* arg) {
  (void)arg;
  long torn = 0;
  for (int i = 0; i < 3000; i++) {
    pthread_rwlock_rdlock(&g_rw);
    if (g_a + g_b != 1000000) torn++;
    pthread_rwlock_unlock(&g_rw);
  }
  __atomic_add_fetch(&g_torn, torn, __ATOMIC_RELAXED);
  __atomic_add_fetch(&g_reads, 3000, __ATOMIC_RELAXED);
  return NULL;
}

static void test_rwlock(void) {
  pthread_t t[NTHREADS];
  for (long i = 0; i < NTHREADS; i++)
    CHECK(pthread_create(&t[i], NULL, i < 2 ? rw_writer : rw_reader, NULL) == 0);
  for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
  CHECK_EQ(g_torn, 0);
  CHECK_EQ(g_b, 2 * 3000 * 7);
  CHECK_EQ(g_a + g_b, 1000000);
  /* Two read locks at once; a write trylock then fails; a read trylock while writing fails. */
  CHECK(pthread_rwlock_rdlock(&g_rw) == 0 && pthread_rwlock_tryrdlock(&g_rw) == 0);
  CHECK(pthread_rwlock_trywrlock(&g_rw) == EBUSY);
  pthread_rwlock_unlock(&g_rw);
  pthread_rwlock_unlock(&g_rw);
  CHECK(pthread_rwlock_trywrlock(&g_rw) == 0 && pthread_rwlock_tryrdlock(&g_rw) == EBUSY);
  pthread_rwlock_unlock(&g_rw);
  printf("rwlock: %ld reads, %ld torn, b = %ld\n", g_reads, g_torn, (long)g_b);
}

int main(void) {
  test_once();
  test_rwlock();
  return finish("threads_rwlock");
}
