/* Asynchronous signals: setitimer(ITIMER_REAL) delivering SIGALRM five times, one per
 * sigsuspend, then disarmed; SIGCHLD with si_pid/si_status/si_code for a child that
 * exits and one that is killed, pthread_kill reaching only the chosen thread, and a signal
 * interrupting a blocking pipe read: EINTR without SA_RESTART, the read completing with
 * SA_RESTART. Waits use sigsuspend with the signal blocked in between, never sleeps, so the
 * output does not depend on timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

static void install(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(sig, &sa, NULL) == 0);
}

static sigset_t block(int sig) {
  sigset_t s, old;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(SIG_BLOCK, &s, &old);
  return old;
}

/* ---- setitimer ---- */
static volatile int g_alarms, g_alarm_code;
static void on_alrm(int sig, siginfo_t* si, void* uc) {
  (void)sig, (void)uc;
  g_alarm_code = si->si_code;
  g_alarms++;
}

static void test_itimer(void) {
  install(SIGALRM, on_alrm, 0);
  sigset_t old = block(SIGALRM);
  struct itimerval it = {{0, 5000}, {0, 5000}}, cur, off = {{0, 0}, {0, 0}};
  CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
  CHECK(getitimer(ITIMER_REAL, &cur) == 0 && cur.it_interval.tv_usec == 5000);
  /* One handler run per sigsuspend: the frame restores the blocking mask (Linux saved_sigmask). */
  while (g_alarms < 5) sigsuspend(&old);
  CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
  sigset_t alrm;
  sigemptyset(&alrm);
  sigaddset(&alrm, SIGALRM);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&alrm, NULL, &zero) == SIGALRM) {
  } /* a sixth expiry may be pending: discard it */
  sigprocmask(SIG_SETMASK, &old, NULL);
  CHECK(getitimer(ITIMER_REAL, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
  CHECK_EQ(g_alarms, 5);
  CHECK(g_alarm_code == SI_KERNEL || g_alarm_code == SI_TIMER); /* Linux reports SI_KERNEL */
  printf("itimer: %d SIGALRM, disarmed\n", g_alarms);
}

/* ---- SIGCHLD ---- */
static volatile int g_chld, g_chld_pid, g_chld_status, g_chld_code;
static void on_chld(int sig, siginfo_t* si, void* uc) {
  (void)sig, (void)uc;
  g_chld++;
  g_chld_pid = si->si_pid;
  g_chld_status = si->si_status;
  g_chld_code = si->si_code;
}

static void test_sigchld(void) {
  install(SIGCHLD, on_chld, SA_RESTART);
  sigset_t old = block(SIGCHLD);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(42);
  while (g_chld < 1) sigsuspend(&old);
  CHECK(g_chld_pid == pid && g_chld_status == 42 && g_chld_code == CLD_EXITED);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 42);

  int p[2];
  CHECK(pipe(p) == 0);
  pid = fork();
  if (pid == 0) {
    char c;
    read(p[0], &c, 1); /* blocks until killed */
    _exit(0);
  }
  kill(pid, SIGKILL);
  while (g_chld < 2) sigsuspend(&old);
  CHECK(g_chld_pid == pid && g_chld_status == SIGKILL && g_chld_code == CLD_KILLED);
  CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  close(p[0]);
  close(p[1]);
  sigprocmask(SIG_SETMASK, &old, NULL);
  signal(SIGCHLD, SIG_DFL);
  printf("sigchld: status 42 exited, then killed by signal %d\n", SIGKILL);
}

/* ---- pthread_kill: only the target thread runs the handler ---- */
#define NT 4
static __thread int t_index = -1;
static volatile int g_hit_by[NT];
static volatile int g_suspend_returns[NT];
static void on_usr1(int sig, siginfo_t* si, void* uc) {
  (void)sig, (void)si, (void)uc;
  g_hit_by[t_index] += 1 + t_index * 10; /* the handler runs on the thread's own TLS */
}
static void* waiter(void* arg) {
  t_index = (int)(long)arg;
  sigset_t none;
  sigemptyset(&none);
  sigsuspend(&none); /* SIGUSR1 is blocked except in here */
  g_suspend_returns[t_index]++;
  return NULL;
}

static void test_pthread_kill(void) {
  install(SIGUSR1, on_usr1, 0);
  sigset_t old = block(SIGUSR1); /* inherited by the threads */
  pthread_t t[NT];
  for (long i = 0; i < NT; i++) CHECK(pthread_create(&t[i], NULL, waiter, (void*)i) == 0);
  int order[NT] = {2, 0, 3, 1};
  for (int k = 0; k < NT; k++) {
    int i = order[k];
    CHECK(pthread_kill(t[i], SIGUSR1) == 0);
    CHECK(pthread_join(t[i], NULL) == 0);
    for (int j = 0; j < NT; j++) /* thread i alone has seen it so far */
      CHECK(g_hit_by[j] == (g_suspend_returns[j] ? 1 + j * 10 : 0));
  }
  sigset_t pend;
  CHECK(sigpending(&pend) == 0 && !sigismember(&pend, SIGUSR1)); /* none left for main */
  sigprocmask(SIG_SETMASK, &old, NULL);
  CHECK(pthread_kill(pthread_self(), 0) == 0);
  printf("pthread_kill: hits %d %d %d %d\n", g_hit_by[0], g_hit_by[1], g_hit_by[2], g_hit_by[3]);
}

/* ---- a signal interrupting read() ---- */
static volatile int g_usr2;
static volatile int g_read_done;
static void on_usr2(int sig, siginfo_t* si, void* uc) {
  (void)sig, (void)si, (void)uc;
  g_usr2++;
}
struct kicker {
  pthread_t target;
  int fd, count;
};
/* Signals the reader every 2 ms until it returns (no restart), or 3 times and then writes a
 * byte (restart): the reader is almost surely blocked in read() when the signals arrive. */
static void* kicker(void* arg) {
  struct kicker* k = arg;
  for (int n = 0; k->count ? n < k->count : !g_read_done; n++) {
    usleep(2000);
    pthread_kill(k->target, SIGUSR2);
  }
  if (k->count) write(k->fd, "z", 1);
  return NULL;
}

static void test_eintr(void) {
  int p[2];
  char c = 0;
  CHECK(pipe(p) == 0);
  install(SIGUSR2, on_usr2, 0);
  struct kicker k = {pthread_self(), p[1], 0};
  pthread_t t;
  pthread_create(&t, NULL, kicker, &k);
  errno = 0;
  ssize_t n = read(p[0], &c, 1);
  int err = errno;
  g_read_done = 1;
  pthread_join(t, NULL);
  CHECK(n == -1 && err == EINTR && g_usr2 >= 1);

  install(SIGUSR2, on_usr2, SA_RESTART);
  g_usr2 = 0;
  k.count = 3;
  pthread_create(&t, NULL, kicker, &k);
  n = read(p[0], &c, 1);
  pthread_join(t, NULL);
  CHECK(n == 1 && c == 'z' && g_usr2 >= 1); /* standard signals may merge */
  close(p[0]);
  close(p[1]);
  printf("read: EINTR without SA_RESTART, restarted with it ('%c')\n", c);
}

int main(void) {
  test_itimer();
  test_sigchld();
  test_pthread_kill();
  test_eintr();
  return finish("signals_async");
}
