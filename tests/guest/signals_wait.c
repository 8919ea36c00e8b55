/* Blocking, pending and waiting for signals: sigprocmask (SIG_BLOCK/UNBLOCK/SETMASK, SIGKILL
 * and SIGSTOP cannot be blocked), sigpending, delivery on unblock, sigsuspend (returns EINTR
 * and restores the mask), sigwait and sigwaitinfo (the handler does not run), sigtimedwait
 * (timeout EAGAIN, zero timeout as a poll), standard signals merging while real-time signals
 * queue in order with their sigqueue values (SI_QUEUE, si_pid), the lowest real-time signal
 * first, and an SA_SIGINFO handler receiving si_value. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

static volatile int g_count[65];
static volatile int g_last_value, g_last_code;

static void on_sig(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  g_count[sig]++;
  g_last_value = si->si_value.sival_int;
  g_last_code = si->si_code;
}

static void install(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sig;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(sig, &sa, NULL) == 0);
}

static sigset_t set_of(int a, int b) {
  sigset_t s;
  sigemptyset(&s);
  if (a) sigaddset(&s, a);
  if (b) sigaddset(&s, b);
  return s;
}

static int is_blocked(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

static int is_pending(int sig) {
  sigset_t p;
  sigpending(&p);
  return sigismember(&p, sig);
}

static void test_mask(void) {
  install(SIGUSR1);
  install(SIGUSR2);
  sigset_t s = set_of(SIGUSR1, SIGKILL), old;
  sigaddset(&s, SIGSTOP);
  CHECK(sigprocmask(SIG_BLOCK, &s, &old) == 0 && !sigismember(&old, SIGUSR1));
  CHECK(is_blocked(SIGUSR1) && !is_blocked(SIGKILL) && !is_blocked(SIGSTOP)); /* silently dropped */
  raise(SIGUSR1);
  raise(SIGUSR1);
  CHECK(g_count[SIGUSR1] == 0 && is_pending(SIGUSR1) && !is_pending(SIGUSR2));
  s = set_of(SIGUSR1, 0);
  CHECK(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0);
  CHECK(g_count[SIGUSR1] == 1 && !is_pending(SIGUSR1)); /* two raises merged into one */
  CHECK(g_last_code == SI_TKILL || g_last_code == SI_USER);

  /* sigsuspend: the temporary mask lets SIGUSR2 in; the old mask is back afterwards. */
  s = set_of(SIGUSR1, SIGUSR2);
  sigprocmask(SIG_SETMASK, &s, NULL);
  raise(SIGUSR2);
  sigset_t tmp = set_of(SIGUSR1, 0);
  errno = 0;
  CHECK(sigsuspend(&tmp) == -1 && errno == EINTR && g_count[SIGUSR2] == 1);
  CHECK(is_blocked(SIGUSR1) && is_blocked(SIGUSR2));
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("mask: pending, merged, sigsuspend ok\n");
}

static void test_sigwait(void) {
  sigset_t s = set_of(SIGUSR1, SIGUSR2), old;
  sigprocmask(SIG_BLOCK, &s, &old);
  raise(SIGUSR2);
  int sig = 0;
  CHECK(sigwait(&s, &sig) == 0 && sig == SIGUSR2 && g_count[SIGUSR2] == 1); /* no handler */
  CHECK(!is_pending(SIGUSR2));

  kill(getpid(), SIGUSR1);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK(sigwaitinfo(&s, &si) == SIGUSR1 && si.si_signo == SIGUSR1 && si.si_code == SI_USER);
  CHECK(si.si_pid == getpid() && si.si_uid == getuid());

  struct timespec ts = {0, 20 * 1000 * 1000};
  errno = 0;
  CHECK(sigtimedwait(&s, &si, &ts) == -1 && errno == EAGAIN); /* nothing pending: times out */
  struct timespec zero = {0, 0};
  errno = 0;
  CHECK(sigtimedwait(&s, &si, &zero) == -1 && errno == EAGAIN);
  raise(SIGUSR1);
  CHECK(sigtimedwait(&s, &si, &zero) == SIGUSR1);
  sigprocmask(SIG_SETMASK, &old, NULL);
  CHECK(g_count[SIGUSR1] == 1 && g_count[SIGUSR2] == 1);
  printf("sigwait/sigwaitinfo/sigtimedwait ok\n");
}

static void test_rt(void) {
  int rt1 = SIGRTMIN + 1, rt2 = SIGRTMIN + 2;
  CHECK(rt2 <= SIGRTMAX);
  sigset_t s = set_of(rt1, rt2), old;
  sigprocmask(SIG_BLOCK, &s, &old);
  union sigval v;
  /* Queued out of order: rt2 x3, rt1 x3. Each instance is kept, with its value. */
  for (int i = 1; i <= 3; i++) v.sival_int = 200 + i, CHECK(sigqueue(getpid(), rt2, v) == 0);
  for (int i = 1; i <= 3; i++) v.sival_int = 100 + i, CHECK(sigqueue(getpid(), rt1, v) == 0);
  int got[6], vals[6], codes_ok = 1, pids_ok = 1;
  siginfo_t si;
  for (int i = 0; i < 6; i++) {
    got[i] = sigwaitinfo(&s, &si);
    vals[i] = si.si_value.sival_int;
    codes_ok &= si.si_code == SI_QUEUE;
    pids_ok &= si.si_pid == getpid();
  }
  CHECK(codes_ok && pids_ok);
  char line[128];
  int n = 0;
  for (int i = 0; i < 6; i++)
    n += snprintf(line + n, sizeof line - (size_t)n, " RTMIN+%d:%d", got[i] - SIGRTMIN, vals[i]);
  CHECK(strcmp(line, " RTMIN+1:101 RTMIN+1:102 RTMIN+1:103 RTMIN+2:201 RTMIN+2:202 RTMIN+2:203") ==
        0);
  printf("rt order:%s\n", line);

  /* A handler sees the value; three queued instances run the handler three times. */
  install(rt1);
  for (int i = 1; i <= 3; i++) v.sival_int = 7000 + i, sigqueue(getpid(), rt1, v);
  CHECK(g_count[rt1] == 0);
  sigprocmask(SIG_SETMASK, &old, NULL);
  CHECK(g_count[rt1] == 3 && g_last_value == 7003 && g_last_code == SI_QUEUE);
  v.sival_int = -5;
  CHECK(sigqueue(getpid(), rt1, v) == 0 && g_count[rt1] == 4 && g_last_value == -5);
  errno = 0;
  CHECK(sigqueue(getpid(), 0, v) == 0); /* signal 0: existence check only */
  CHECK(sigqueue(getpid(), 65, v) == -1 && errno == EINVAL);
  printf("rt handler: %d deliveries, last value %d\n", g_count[rt1], g_last_value);
}

int main(void) {
  test_mask();
  test_sigwait();
  test_rt();
  return finish("signals_wait");
}
