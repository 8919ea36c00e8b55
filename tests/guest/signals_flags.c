/* Handler flags: raise(SIGABRT) caught and abort() escaped with siglongjmp; SA_RESETHAND
 * (the disposition is SIG_DFL after one delivery); SA_NODEFER (a signal raised in its own
 * handler nests at once) against the default (it stays pending until the handler returns);
 * sa_mask blocking another signal only while the handler runs. */
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "guest_check.h"

static sigjmp_buf g_env;
static volatile int g_signo;

static void install(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(sig, &sa, NULL) == 0);
}

/* ---- SIGABRT, SA_RESETHAND, SA_NODEFER, sa_mask ---- */
static char g_log[64];
static volatile int g_logn, g_entries, g_usr2_blocked;
static void on_abrt(int sig, siginfo_t* si, void* uc) {
  (void)si, (void)uc;
  g_signo = sig;
  if (g_entries++ > 0) siglongjmp(g_env, 1); /* the second time: escape abort() */
}
static void on_nest(int sig, siginfo_t* si, void* uc) {
  (void)si, (void)uc;
  int me = ++g_entries;
  g_log[g_logn++] = (char)('0' + me);
  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  g_usr2_blocked = sigismember(&cur, SIGUSR2);
  if (me < 3) raise(sig);
  g_log[g_logn++] = (char)('a' - 1 + me);
}

static void test_flags(void) {
  install(SIGABRT, on_abrt, 0);
  CHECK(raise(SIGABRT) == 0 && g_signo == SIGABRT && g_entries == 1);
  if (sigsetjmp(g_env, 1) == 0) {
    abort();
  }
  CHECK(g_entries == 2);

  struct sigaction q;
  install(SIGUSR1, on_abrt, SA_RESETHAND);
  g_entries = 5; /* so on_abrt longjmps */
  if (sigsetjmp(g_env, 1) == 0) raise(SIGUSR1);
  CHECK(sigaction(SIGUSR1, NULL, &q) == 0 && q.sa_handler == SIG_DFL);

  g_entries = g_logn = 0;
  install(SIGUSR1, on_nest, SA_NODEFER);
  raise(SIGUSR1);
  g_log[g_logn++] = '|';
  g_entries = 0;
  install(SIGUSR1, on_nest, 0);
  raise(SIGUSR1);
  g_log[g_logn] = 0;
  CHECK(strcmp(g_log, "123cba|1a2b3c") == 0); /* nested vs run one after the other */
  printf("flags: abort caught, resethand, nodefer log %s\n", g_log);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_nest;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, NULL);
  g_entries = 2; /* one entry, no re-raise */
  raise(SIGUSR1);
  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  CHECK(g_usr2_blocked && !sigismember(&cur, SIGUSR2)); /* sa_mask only while handling */
}

int main(void) {
  test_flags();
  return finish("signals_flags");
}
