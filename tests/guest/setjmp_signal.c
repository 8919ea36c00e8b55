/* Non-local jumps and signals: setjmp/longjmp (return values, from deep recursion, volatile
 * locals), sigsetjmp/siglongjmp restoring the signal mask, a handler that returns (sigreturn),
 * and synchronous faults turned into signals and escaped with siglongjmp: SIGSEGV on a
 * PROT_NONE page (si_addr, SEGV_ACCERR) and SIGILL on an undefined instruction. The expected
 * behaviour is POSIX and the Linux signal ABI, the same on both ISAs. */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_check.h"

static jmp_buf g_env;
static sigjmp_buf g_senv;
static volatile sig_atomic_t g_handled;
static volatile int g_signo, g_code;
static void* volatile g_addr;

static int recurse_then_jump(int depth, int value) {
  volatile char pad[64];
  pad[depth % 64] = (char)depth;
  if (depth == 0) {
    if (value) longjmp(g_env, value);
    return 0;
  }
  return recurse_then_jump(depth - 1, value) + pad[depth % 64];
}

static void test_setjmp(void) {
  volatile int calls = 0;
  volatile double kept = 1.5;
  int r = setjmp(g_env);
  calls++;
  if (r == 0) {
    kept = 2.5;
    longjmp(g_env, 42);
  }
  CHECK(r == 42 && calls == 2 && kept == 2.5);

  calls = 0;
  r = setjmp(g_env);
  calls++;
  if (r == 0) longjmp(g_env, 0); /* longjmp(env, 0) makes setjmp return 1 */
  CHECK(r == 1 && calls == 2);

  r = setjmp(g_env);
  if (r == 0) recurse_then_jump(1000, 7);
  CHECK(r == 7);

  /* Jump many times through the same buffer. */
  volatile int count = 0;
  r = setjmp(g_env);
  if (++count < 1000) longjmp(g_env, count);
  CHECK(r == 999 && count == 1000);
  printf("setjmp/longjmp ok\n");
}

static void on_usr1(int sig) {
  g_handled++;
  g_signo = sig;
}

static void on_usr2_jump(int sig) {
  (void)sig;
  siglongjmp(g_senv, 5);
}

static void on_fault(int sig, siginfo_t* info, void* uctx) {
  (void)uctx;
  g_signo = sig;
  g_code = info->si_code;
  g_addr = info->si_addr;
  siglongjmp(g_senv, 1);
}

static int blocked(int sig) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  return sigismember(&cur, sig);
}

static void test_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
  CHECK(raise(SIGUSR1) == 0 && g_handled == 1 && g_signo == SIGUSR1); /* handler returned */
  CHECK(kill(getpid(), SIGUSR1) == 0 && g_handled == 2);

  /* A blocked signal stays pending until unblocked. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  raise(SIGUSR1);
  CHECK(g_handled == 2);
  sigset_t pending;
  CHECK(sigpending(&pending) == 0 && sigismember(&pending, SIGUSR1));
  CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0 && g_handled == 3);

  /* siglongjmp out of a handler: the mask saved by sigsetjmp(.., 1) comes back. */
  sa.sa_handler = on_usr2_jump;
  CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
  int r = sigsetjmp(g_senv, 1);
  if (r == 0) {
    raise(SIGUSR2);
    CHECK(0); /* not reached */
  }
  CHECK(r == 5 && !blocked(SIGUSR2)); /* handler ran with SIGUSR2 blocked */
  printf("signal handlers ok\n");
}

static void test_faults(void) {
  long page = sysconf(_SC_PAGESIZE);
  char* map = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(map != MAP_FAILED);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGSEGV, &sa, NULL) == 0 && sigaction(SIGILL, &sa, NULL) == 0);

  char* target = map + 123;
  if (sigsetjmp(g_senv, 1) == 0) {
    *(volatile char*)target = 1; /* write to a read-only page */
    CHECK(0);
  }
  CHECK(g_signo == SIGSEGV && g_code == SEGV_ACCERR && g_addr == target);
  CHECK(!blocked(SIGSEGV));
  CHECK(map[123] == 0); /* the store did not happen */

  CHECK(mprotect(map, (size_t)page, PROT_NONE) == 0);
  g_signo = 0;
  if (sigsetjmp(g_senv, 1) == 0) {
    (void)*(volatile char*)(map + 7); /* read from an inaccessible page */
    CHECK(0);
  }
  CHECK(g_signo == SIGSEGV && g_code == SEGV_ACCERR && g_addr == map + 7);
  munmap(map, (size_t)page);

  g_signo = 0;
  if (sigsetjmp(g_senv, 1) == 0) {
#if defined(__aarch64__)
    __asm__ volatile("udf #0"); /* permanently undefined (Arm ARM C6.2 UDF) */
#elif defined(__x86_64__)
    __asm__ volatile("ud2");
#endif
    CHECK(0);
  }
  /* si_code is not compared: Linux reports ILL_ILLOPC for an undefined instruction on arm64
   * (arch/arm64/kernel/traps.c, do_undefinstr) and ILL_ILLOPN for ud2 on x86-64, while
   * qemu-user reports ILL_ILLOPN on both. */
  CHECK(g_signo == SIGILL && (g_code == ILL_ILLOPC || g_code == ILL_ILLOPN));
  printf("fault signals ok\n");
}

int main(void) {
  test_setjmp();
  test_signals();
  test_faults();
  return finish("setjmp_signal");
}
