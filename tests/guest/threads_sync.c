/* POSIX thread synchronisation with 8 threads: mutexes (normal, recursive, error-checking,
 * trylock, timedlock), a bounded producer/consumer queue on condition variables, barriers
 * (one serial thread per round). Every result is a count or sum fixed by the algorithm, never
 * by the schedule. pthread_once and rwlocks: threads_rwlock.c. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "guest_check.h"

#define NTHREADS 8

/* ---- mutex: 8 threads x 20000 increments of a plain counter ---- */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static long g_counter;

static void* mutex_worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&g_mu);
    g_counter++;
    pthread_mutex_unlock(&g_mu);
  }
  return NULL;
}

static void deadline_in_ms(struct timespec* ts, long ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_nsec += ms * 1000000;
  ts->tv_sec += ts->tv_nsec / 1000000000;
  ts->tv_nsec %= 1000000000;
}

static void test_mutex(void) {
  pthread_t t[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) CHECK(pthread_create(&t[i], NULL, mutex_worker, NULL) == 0);
  for (int i = 0; i < NTHREADS; i++) CHECK(pthread_join(t[i], NULL) == 0);
  CHECK_EQ(g_counter, NTHREADS * 20000);

  pthread_mutexattr_t a;
  pthread_mutex_t m;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  CHECK(pthread_mutex_init(&m, &a) == 0);
  CHECK(pthread_mutex_lock(&m) == 0 && pthread_mutex_lock(&m) == 0 &&
        pthread_mutex_trylock(&m) == 0);
  CHECK(pthread_mutex_unlock(&m) == 0 && pthread_mutex_unlock(&m) == 0 &&
        pthread_mutex_unlock(&m) == 0);
  CHECK(pthread_mutex_unlock(&m) == EPERM); /* not owned any more */
  pthread_mutex_destroy(&m);

  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  CHECK(pthread_mutex_init(&m, &a) == 0);
  CHECK(pthread_mutex_lock(&m) == 0 && pthread_mutex_lock(&m) == EDEADLK);
  CHECK(pthread_mutex_unlock(&m) == 0 && pthread_mutex_unlock(&m) == EPERM);
  pthread_mutex_destroy(&m);
  pthread_mutexattr_destroy(&a);

  /* A held normal mutex: trylock says EBUSY, timedlock times out (futex wait with timeout). */
  pthread_mutex_lock(&g_mu);
  CHECK(pthread_mutex_trylock(&g_mu) == EBUSY);
  struct timespec ts;
  deadline_in_ms(&ts, 20);
  CHECK(pthread_mutex_timedlock(&g_mu, &ts) == ETIMEDOUT);
  pthread_mutex_unlock(&g_mu);
  printf("mutex: %ld increments\n", g_counter);
}

/* ---- condition variables: bounded queue, 4 producers x 5000 items, 4 consumers ---- */
#define QCAP 8
#define NPROD 4
#define NITEMS 5000
static struct {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  long buf[QCAP];
  int head, count;
} g_q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0};

static void q_put(long v) {
  pthread_mutex_lock(&g_q.mu);
  while (g_q.count == QCAP) pthread_cond_wait(&g_q.not_full, &g_q.mu);
  g_q.buf[(g_q.head + g_q.count++) % QCAP] = v;
  pthread_cond_signal(&g_q.not_empty);
  pthread_mutex_unlock(&g_q.mu);
}

static long q_get(void) {
  pthread_mutex_lock(&g_q.mu);
  while (g_q.count == 0) pthread_cond_wait(&g_q.not_empty, &g_q.mu);
  long v = g_q.buf[g_q.head];
  g_q.head = (g_q.head + 1) % QCAP;
  g_q.count--;
  pthread_cond_signal(&g_q.not_full);
  pthread_mutex_unlock(&g_q.mu);
  return v;
}

struct consumed {
  long n, sum, xor_;
};

static void* producer(void* arg) {
  long p = (long)arg;
  for (long i = 1; i <= NITEMS; i++) q_put(p * 100000 + i);
  return NULL;
}

static void* consumer(void* arg) {
  struct consumed* c = arg;
  for (;;) {
    long v = q_get();
    if (v < 0) return NULL; /* end marker */
    c->n++;
    c->sum += v;
    c->xor_ ^= v * 2654435761L;
  }
}

static void test_condvar(void) {
  pthread_t prod[NPROD], cons[NPROD];
  struct consumed c[NPROD];
  memset(c, 0, sizeof c);
  for (long i = 0; i < NPROD; i++) CHECK(pthread_create(&cons[i], NULL, consumer, &c[i]) == 0);
  for (long i = 0; i < NPROD; i++)
    CHECK(pthread_create(&prod[i], NULL, producer, (void*)(i + 1)) == 0);
  for (int i = 0; i < NPROD; i++) pthread_join(prod[i], NULL);
  for (int i = 0; i < NPROD; i++) q_put(-1);
  for (int i = 0; i < NPROD; i++) pthread_join(cons[i], NULL);
  long n = 0, sum = 0, x = 0, want_sum = 0, want_x = 0;
  for (int i = 0; i < NPROD; i++) n += c[i].n, sum += c[i].sum, x ^= c[i].xor_;
  for (long p = 1; p <= NPROD; p++)
    for (long i = 1; i <= NITEMS; i++)
      want_sum += p * 100000 + i, want_x ^= (p * 100000 + i) * 2654435761L;
  CHECK_EQ(n, NPROD * NITEMS);
  CHECK_EQ(sum, want_sum);
  CHECK_EQ(x, want_x); /* every item consumed exactly once */

  /* cond_timedwait with nobody signalling times out and returns with the mutex held. */
  struct timespec ts;
  deadline_in_ms(&ts, 20);
  pthread_mutex_lock(&g_q.mu);
  CHECK(pthread_cond_timedwait(&g_q.not_empty, &g_q.mu, &ts) == ETIMEDOUT);
  CHECK(pthread_mutex_trylock(&g_q.mu) == EBUSY);
  pthread_mutex_unlock(&g_q.mu);
  printf("condvar queue: %ld items, sum %ld\n", n, sum);
}

/* ---- barrier: 10 rounds; after each barrier every slot holds the round's value ---- */
#define ROUNDS 10
static pthread_barrier_t g_bar;
static volatile long g_slots[NTHREADS];
static int g_serial[NTHREADS], g_bad[NTHREADS];

static void* barrier_worker(void* arg) {
  long me = (long)arg;
  for (long r = 1; r <= ROUNDS; r++) {
    g_slots[me] = r * 100 + me;
    int s = pthread_barrier_wait(&g_bar);
    if (s == PTHREAD_BARRIER_SERIAL_THREAD)
      g_serial[me]++;
    else if (s != 0)
      g_bad[me]++;
    for (long i = 0; i < NTHREADS; i++)
      if (g_slots[i] != r * 100 + i) g_bad[me]++;
    s = pthread_barrier_wait(&g_bar); /* nobody writes round r+1 before all have read round r */
    if (s == PTHREAD_BARRIER_SERIAL_THREAD)
      g_serial[me]++;
    else if (s != 0)
      g_bad[me]++;
  }
  return NULL;
}

static void test_barrier(void) {
  pthread_t t[NTHREADS];
  CHECK(pthread_barrier_init(&g_bar, NULL, NTHREADS) == 0);
  for (long i = 0; i < NTHREADS; i++)
    CHECK(pthread_create(&t[i], NULL, barrier_worker, (void*)i) == 0);
  int serial = 0, bad = 0;
  for (int i = 0; i < NTHREADS; i++)
    pthread_join(t[i], NULL), serial += g_serial[i], bad += g_bad[i];
  CHECK_EQ(bad, 0);
  CHECK_EQ(serial, 2 * ROUNDS); /* exactly one serial thread per barrier_wait round */
  CHECK(pthread_barrier_destroy(&g_bar) == 0);
  printf("barrier: %d rounds, %d serial threads\n", ROUNDS, serial);
}

int main(void) {
  test_mutex();
  test_condvar();
  test_barrier();
  return finish("threads_sync");
}
