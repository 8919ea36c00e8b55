/* Signal frames and handler flags: an SA_SIGINFO handler that reads and edits the interrupted
 * context (AArch64 uc_mcontext.regs[]/pc, x86-64 gregs[]) so the program resumes after the
 * faulting instruction with a new register value; SIGSEGV recovery with siglongjmp, si_addr
 * and SEGV_MAPERR (unmapped) vs SEGV_ACCERR (PROT_NONE); sigaltstack (SS_ONSTACK, a local's
 * address, a stack overflow in a small-stack thread caught on the alternate stack). The
 * per-ISA parts are guarded so both builds print the same lines. Handler flags:
 * signals_flags.c. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "guest_check.h"

static sigjmp_buf g_env;
static volatile int g_signo, g_code, g_insn_ok;
static void* volatile g_addr;
static volatile uint64_t g_seen;

static void install(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(sig, &sa, NULL) == 0);
}

/* ---- editing the interrupted context ---- */
/* SIGILL handler: the trapping instruction is UDF #0x1234 (AArch64: encoding 0x00001234,
 * Arm ARM C6.2 UDF) or UD2 (x86-64: 0f 0b). Reads the value register, writes value*3+1, and
 * steps the pc past the instruction. */
static void on_ill(int sig, siginfo_t* si, void* uc_) {
  ucontext_t* uc = uc_;
  g_signo = sig;
#if defined(__aarch64__)
  g_insn_ok =
      *(uint32_t*)uc->uc_mcontext.pc == 0x00001234u && si->si_addr == (void*)uc->uc_mcontext.pc;
  g_seen = uc->uc_mcontext.regs[0];
  uc->uc_mcontext.regs[0] = g_seen * 3 + 1;
  uc->uc_mcontext.pc += 4;
#else
  unsigned char* ip = (unsigned char*)uc->uc_mcontext.gregs[REG_RIP];
  g_insn_ok = ip[0] == 0x0f && ip[1] == 0x0b && si->si_addr == (void*)ip;
  g_seen = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
  uc->uc_mcontext.gregs[REG_RAX] = (greg_t)(g_seen * 3 + 1);
  uc->uc_mcontext.gregs[REG_RIP] += 2;
#endif
}

static __attribute__((noinline)) uint64_t trap_with(uint64_t v) {
#if defined(__aarch64__)
  register uint64_t x0 __asm__("x0") = v;
  __asm__ volatile("udf #0x1234" : "+r"(x0)::"memory");
  return x0;
#else
  __asm__ volatile("ud2" : "+a"(v)::"memory");
  return v;
#endif
}

/* SIGSEGV handler for a load from an unmapped address: checks the address register, puts a
 * value in the destination register and skips the load (AArch64 LDR X1,[X0] = 0xf9400001;
 * x86-64 movq (%rdi),%rax = 48 8b 07). */
static void on_segv_fixup(int sig, siginfo_t* si, void* uc_) {
  ucontext_t* uc = uc_;
  g_signo = sig;
  g_code = si->si_code;
  g_addr = si->si_addr;
#if defined(__aarch64__)
  g_insn_ok = *(uint32_t*)uc->uc_mcontext.pc == 0xf9400001u;
  g_seen = uc->uc_mcontext.regs[0];
  uc->uc_mcontext.regs[1] = 0x5eed;
  uc->uc_mcontext.pc += 4;
#else
  unsigned char* ip = (unsigned char*)uc->uc_mcontext.gregs[REG_RIP];
  g_insn_ok = ip[0] == 0x48 && ip[1] == 0x8b && ip[2] == 0x07;
  g_seen = (uint64_t)uc->uc_mcontext.gregs[REG_RDI];
  uc->uc_mcontext.gregs[REG_RAX] = 0x5eed;
  uc->uc_mcontext.gregs[REG_RIP] += 3;
#endif
}

static __attribute__((noinline)) uint64_t load_from(const void* p) {
  uint64_t v;
#if defined(__aarch64__)
  register const void* x0 __asm__("x0") = p;
  register uint64_t x1 __asm__("x1");
  __asm__ volatile("ldr x1, [x0]" : "=r"(x1) : "r"(x0) : "memory");
  v = x1;
#else
  __asm__ volatile("movq (%%rdi), %%rax" : "=a"(v) : "D"(p) : "memory");
#endif
  return v;
}

static void test_context_edit(void) {
  install(SIGILL, on_ill, 0);
  uint64_t r = trap_with(HIDE(0x123456789ull));
  CHECK(g_signo == SIGILL && g_insn_ok && g_seen == 0x123456789ull);
  CHECK_EQ(r, 0x123456789ull * 3 + 1);
  uint64_t sum = 0;
  for (uint64_t i = 0; i < 50; i++) sum += trap_with(i); /* 50 round trips through sigreturn */
  CHECK_EQ(sum, 3 * 1225 + 50);

  long page = sysconf(_SC_PAGESIZE);
  char* map =
      mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(map != MAP_FAILED && munmap(map + page, (size_t)page) == 0);
  install(SIGSEGV, on_segv_fixup, 0);
  g_insn_ok = 0;
  r = load_from(map + page + 8);
  CHECK(g_signo == SIGSEGV && g_insn_ok && g_seen == (uint64_t)(uintptr_t)(map + page + 8));
  CHECK(g_addr == map + page + 8 && g_code == SEGV_MAPERR);
  CHECK_EQ(r, 0x5eed);
  munmap(map, (size_t)page);
  printf("context edit: value 0x%" PRIx64 ", sum %" PRIu64 ", load fixed up to 0x%" PRIx64 "\n",
         (uint64_t)(0x123456789ull * 3 + 1), sum, r);
}

/* ---- SIGSEGV recovery with siglongjmp ---- */
static void on_segv_jump(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  g_signo = sig;
  g_code = si->si_code;
  g_addr = si->si_addr;
  siglongjmp(g_env, 1);
}

static int touch(volatile char* p, int write) {
  g_signo = 0;
  if (sigsetjmp(g_env, 1) == 0) {
    if (write)
      *p = 1;
    else
      (void)*p;
    return 0;
  }
  return 1;
}

static void test_segv(void) {
  long page = sysconf(_SC_PAGESIZE);
  install(SIGSEGV, on_segv_jump, 0);
  char* map =
      mmap(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(map != MAP_FAILED);
  CHECK(munmap(map + 2 * page, (size_t)page) == 0);
  CHECK(mprotect(map + page, (size_t)page, PROT_NONE) == 0);
  CHECK(touch(map + 5, 1) == 0 && map[5] == 1);
  CHECK(touch(map + page + 17, 0) && g_signo == SIGSEGV && g_code == SEGV_ACCERR &&
        g_addr == map + page + 17);
  CHECK(touch(map + page, 1) && g_code == SEGV_ACCERR && g_addr == map + page);
  CHECK(touch(map + 2 * page + 99, 0) && g_code == SEGV_MAPERR && g_addr == map + 2 * page + 99);
  CHECK(touch(map + 3 * page - 1, 1) && g_code == SEGV_MAPERR && g_addr == map + 3 * page - 1);
  CHECK(touch(HIDE((char*)16), 0) && g_code == SEGV_MAPERR && g_addr == (void*)16);
  sigset_t cur;
  sigprocmask(SIG_SETMASK, NULL, &cur);
  CHECK(!sigismember(&cur, SIGSEGV)); /* siglongjmp restored the mask saved by sigsetjmp */
  CHECK(mprotect(map + page, (size_t)page, PROT_READ) == 0 && touch(map + page + 1, 0) == 0);
  munmap(map, 2 * (size_t)page);
  printf("segv: ACCERR on PROT_NONE, MAPERR on unmapped\n");
}

/* ---- sigaltstack ---- */
#define ALT_SIZE 65536
static volatile int g_on_alt, g_flag_onstack;
static char* g_alt_lo;

static void on_usr1_alt(int sig, siginfo_t* si, void* uc) {
  (void)sig, (void)si, (void)uc;
  volatile char local;
  stack_t cur;
  g_on_alt = (char*)&local >= g_alt_lo && (char*)&local < g_alt_lo + ALT_SIZE;
  g_flag_onstack = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK);
}

static volatile int g_depth_limit = 1 << 30;
static int deep(int n) {
  volatile char buf[512];
  buf[n % 512] = (char)n;
  if (n == g_depth_limit) return 0;
  return deep(n + 1) + buf[n % 512];
}

static void* overflow_thread(void* arg) {
  (void)arg;
  stack_t ss = {.ss_sp = malloc(ALT_SIZE), .ss_size = ALT_SIZE, .ss_flags = 0};
  g_alt_lo = ss.ss_sp;
  if (sigaltstack(&ss, NULL) != 0) return (void*)1;
  if (sigsetjmp(g_env, 1) == 0) {
    deep(0); /* runs into the guard page below this thread's 256 KiB stack */
    return (void*)2;
  }
  return (void*)(long)(g_signo == SIGSEGV ? 3 : 4);
}

static void test_altstack(void) {
  stack_t ss = {.ss_sp = malloc(ALT_SIZE), .ss_size = ALT_SIZE, .ss_flags = 0}, old;
  g_alt_lo = ss.ss_sp;
  CHECK(sigaltstack(&ss, &old) == 0 && (old.ss_flags & SS_DISABLE));
  install(SIGUSR1, on_usr1_alt, SA_ONSTACK);
  raise(SIGUSR1);
  CHECK(g_on_alt && g_flag_onstack);
  CHECK(sigaltstack(NULL, &old) == 0 && old.ss_flags == 0 && old.ss_sp == ss.ss_sp &&
        old.ss_size == ALT_SIZE);
  install(SIGUSR1, on_usr1_alt, 0); /* without SA_ONSTACK the handler runs on the normal stack */
  raise(SIGUSR1);
  CHECK(!g_on_alt && !g_flag_onstack);
  ss.ss_flags = SS_DISABLE;
  CHECK(sigaltstack(&ss, NULL) == 0 && sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE));

  install(SIGSEGV, on_segv_jump, SA_ONSTACK);
  pthread_attr_t a;
  pthread_t t;
  void* r;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 256 * 1024);
  CHECK(pthread_create(&t, &a, overflow_thread, NULL) == 0 && pthread_join(t, &r) == 0);
  CHECK_EQ((long)r, 3);
  printf("sigaltstack: handler on the alternate stack, stack overflow caught\n");
}

int main(void) {
  test_context_edit();
  test_segv();
  test_altstack();
  return finish("signals_context");
}
