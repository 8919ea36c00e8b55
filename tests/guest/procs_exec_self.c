/* Re-executing this program through /proc/self/exe: execve with arguments and a chosen
 * environment, which keeps the pid, fds without FD_CLOEXEC, ignored signals and the signal
 * mask, closes O_CLOEXEC fds and resets handled signals to SIG_DFL (POSIX execve, Linux
 * fs/exec.c flush_signal_handlers); posix_spawn and vfork + execve of the same image with
 * stdout redirected into a pipe. The copies report through exit statuses and pipes.
 *
 * Note: qemu-aarch64 (7.2) hands a guest's execve to the host kernel, so without a binfmt_misc
 * entry for AArch64 ELF files the re-executed copy fails with ENOEXEC under qemu (exit 108).
 * A private entry suffices: `unshare --user --map-root-user --mount`, mount binfmt_misc on
 * /proc/sys/fs/binfmt_misc and register qemu-aarch64 there (Linux >= 6.7). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char** environ;

static void on_usr2(int sig) {
  (void)sig;
}

/* The re-executed image: argv = {exe, "child", PID, KEEP_FD, CLOEXEC_FD}. */
static int child_main(int argc, char** argv) {
  if (argc != 5) return 10;
  if (atol(argv[2]) != getpid()) return 11; /* execve keeps the process */
  const char* e = getenv("XVM_EXEC_TEST");
  if (!e || strcmp(e, "hello world") != 0 || getenv("PATH") != NULL) return 12;
  int keep = atoi(argv[3]), gone = atoi(argv[4]);
  if (write(keep, "kept", 4) != 4) return 13;
  if (fcntl(gone, F_GETFD) != -1 || errno != EBADF) return 14;
  struct sigaction sa;
  sigaction(SIGUSR1, NULL, &sa);
  if (sa.sa_handler != SIG_IGN) return 15;
  sigaction(SIGUSR2, NULL, &sa);
  if (sa.sa_handler != SIG_DFL) return 16;
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  if (!sigismember(&cur, SIGHUP) || sigismember(&cur, SIGUSR1)) return 17;
  return 33;
}

static int wait_status(pid_t pid) {
  int st = -1;
  return waitpid(pid, &st, 0) == pid ? st : -1;
}

static int exit_code(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + st;
}

static void read_all(int fd, char* buf, size_t size) {
  size_t n = 0;
  ssize_t r;
  while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0) n += (size_t)r;
  buf[n] = 0;
}

static void test_execve(void) {
  int keep[2], gone[2];
  CHECK(pipe(keep) == 0 && pipe2(gone, O_CLOEXEC) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char spid[32], sk[16], sg[16];
    snprintf(spid, sizeof spid, "%d", getpid());
    snprintf(sk, sizeof sk, "%d", keep[1]);
    snprintf(sg, sizeof sg, "%d", gone[1]);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, on_usr2);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGHUP);
    sigprocmask(SIG_BLOCK, &s, NULL);
    char* args[] = {"/proc/self/exe", "child", spid, sk, sg, NULL};
    char* env[] = {"XVM_EXEC_TEST=hello world", NULL};
    execve("/proc/self/exe", args, env);
    _exit(100 + errno % 100); /* 108: ENOEXEC */
  }
  close(keep[1]);
  close(gone[1]);
  int st = wait_status(pid);
  char buf[8];
  read_all(keep[0], buf, sizeof buf);
  CHECK(strcmp(buf, "kept") == 0);
  CHECK_EQ(exit_code(st), 33);
  close(keep[0]);
  close(gone[0]);
  printf("execve self: status %d, fd message '%s'\n", exit_code(st), buf);
}

static void test_spawn_self(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  char* args[] = {"/proc/self/exe", "spawned", "6", NULL};
  pid_t pid;
  fflush(stdout);
  CHECK(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, args, environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  char buf[64];
  read_all(p[0], buf, sizeof buf);
  close(p[0]);
  int st = wait_status(pid);
  CHECK_EQ(exit_code(st), 6);
  CHECK(strcmp(buf, "spawned child says 6\n") == 0);
  printf("posix_spawn self: status %d, stdout %s", exit_code(st), buf);

  char* args2[] = {"/proc/self/exe", "spawned", "12", NULL};
  CHECK(pipe(p) == 0);
  fflush(stdout);
  pid = vfork();
  if (pid == 0) {
    dup2(p[1], 1);
    execve("/proc/self/exe", args2, environ);
    _exit(127);
  }
  close(p[1]);
  read_all(p[0], buf, sizeof buf);
  close(p[0]);
  st = wait_status(pid);
  CHECK(strcmp(buf, "spawned child says 12\n") == 0);
  CHECK_EQ(exit_code(st), 12);
  printf("vfork + execve self: status %d, stdout %s", exit_code(st), buf);
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "child") == 0) return child_main(argc, argv);
  if (argc == 3 && strcmp(argv[1], "spawned") == 0) {
    printf("spawned child says %s\n", argv[2]);
    return atoi(argv[2]);
  }
  test_execve();
  test_spawn_self();
  return finish("procs_exec_self");
}
