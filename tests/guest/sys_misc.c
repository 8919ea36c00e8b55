/* Process-environment system calls, checked for sanity only (their values are not
 * deterministic): getrandom, clock_gettime on several clocks, nanosleep, gettimeofday, time,
 * uname, getpid/getppid/getuid, getrlimit, sysconf, and the auxiliary vector.
 * uname's machine field is checked per build: "aarch64" for the AArch64 build (under qemu and
 * xvm alike), "x86_64" for the native build; the printed line only says whether it matched,
 * so the output is the same on both ISAs. */
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

#if defined(__aarch64__)
#define MACHINE "aarch64"
#elif defined(__x86_64__)
#define MACHINE "x86_64"
#else
#define MACHINE "unknown"
#endif

static int64_t ns(const struct timespec* t) {
  return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void test_random(void) {
  uint8_t a[64], b[64], zero[64] = {0};
  CHECK(getrandom(a, sizeof a, 0) == (ssize_t)sizeof a);
  CHECK(getrandom(b, sizeof b, GRND_NONBLOCK) == (ssize_t)sizeof b);
  CHECK(memcmp(a, b, sizeof a) != 0 && memcmp(a, zero, sizeof a) != 0); /* p = 2^-512 */
  /* 4096 random bytes: every bit position should be set about half the time. */
  static uint8_t big[4096];
  CHECK(getrandom(big, sizeof big, 0) == (ssize_t)sizeof big);
  int ok = 1;
  for (int bit = 0; bit < 8; bit++) {
    int ones = 0;
    for (size_t i = 0; i < sizeof big; i++) ones += (big[i] >> bit) & 1;
    ok &= ones > 1700 && ones < 2400; /* mean 2048, sigma 32 */
  }
  CHECK(ok);
  printf("getrandom ok\n");
}

static void test_clocks(void) {
  struct timespec t0, t1, res, rt, cpu;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
  CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(&res) > 0 && ns(&res) <= 1000000);
  CHECK(clock_gettime(CLOCK_REALTIME, &rt) == 0 && rt.tv_sec > 1577836800); /* after 2020 */
  CHECK(rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000);
  CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0 && ns(&cpu) >= 0);
  CHECK(clock_gettime(CLOCK_BOOTTIME, &t1) == 0 && clock_gettime(CLOCK_MONOTONIC_RAW, &t1) == 0);
  CHECK(clock_gettime((clockid_t)12345, &t1) == -1); /* invalid clock: EINVAL */

  int monotone = 1;
  struct timespec prev = t0, now;
  for (int i = 0; i < 1000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    monotone &= ns(&now) >= ns(&prev);
    prev = now;
  }
  CHECK(monotone);

  struct timespec req = {0, 2000000}; /* 2 ms */
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0 && nanosleep(&req, NULL) == 0);
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
  int64_t slept = ns(&t1) - ns(&t0);
  CHECK(slept >= 2000000 && slept < 5000000000ll);

  struct timeval tv;
  CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_sec >= rt.tv_sec && tv.tv_usec < 1000000);
  /* time() may read the kernel's coarse clock, up to a tick behind CLOCK_REALTIME: near a
     second boundary it can return the second before rt's. */
  time_t now_t = time(NULL);
  CHECK(now_t >= rt.tv_sec - 1 && now_t - rt.tv_sec < 3600);
  struct tm tm;
  CHECK(gmtime_r(&now_t, &tm) != NULL && tm.tm_year >= 120);
  /* A fixed date converts the same everywhere. */
  time_t fixed = 1700000000;
  char buf[64];
  CHECK(gmtime_r(&fixed, &tm) != NULL);
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a", &tm);
  CHECK(strcmp(buf, "2023-11-14 22:13:20 Tue") == 0);
  printf("clocks ok, 1700000000 is %s\n", buf);
}

static void test_identity(void) {
  struct utsname u;
  CHECK(uname(&u) == 0);
  CHECK(strcmp(u.sysname, "Linux") == 0);
  int release_ok = u.release[0] >= '2' && u.release[0] <= '9' && strchr(u.release, '.');
  CHECK(release_ok);
  int machine_ok = strcmp(u.machine, MACHINE) == 0;
  CHECK(machine_ok);
  printf("uname: sysname %s, machine matches the build's ISA: %s\n", u.sysname,
         machine_ok ? "yes" : "no");

  CHECK(getpid() > 0 && getppid() >= 0 && getpid() != getppid());
  CHECK(getuid() == geteuid() && getgid() == getegid());
  struct rlimit rl;
  CHECK(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur >= 1 << 20);
  CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= 3);
  long page = sysconf(_SC_PAGESIZE);
  CHECK(page == 4096 && getpagesize() == 4096);
  CHECK(getauxval(AT_PAGESZ) == 4096);
  CHECK(getauxval(AT_RANDOM) != 0 && getauxval(AT_PHDR) != 0 && getauxval(AT_ENTRY) != 0);
  CHECK(getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid());
  CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1 && sysconf(_SC_CLK_TCK) == 100);
  char host[256];
  CHECK(gethostname(host, sizeof host) == 0 && strcmp(host, u.nodename) == 0);
  printf("identity ok\n");
}

int main(void) {
  test_random();
  test_clocks();
  test_identity();
  return finish("sys_misc");
}
