/* Processes: a fork tree (4 children each forking 2 grandchildren, every process exiting with
 * a distinct status that its parent checks), getppid, waitpid with WNOHANG and ECHILD, 160 KiB
 * through pipes both ways between parent and child (more than a pipe buffer), SIGTERM/SIGKILL
 * seen through WIFSIGNALED/WTERMSIG, SIGSTOP/SIGCONT through WUNTRACED/WCONTINUED, and process
 * groups (setpgid, getpgid, kill of a whole group, waitpid(-pgid)). Children report through
 * exit statuses and pipes; only the parent prints. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

static pid_t fork_flushed(void) {
  fflush(stdout); /* or the child would print the parent's buffered output again */
  return fork();
}

static int wait_status(pid_t pid) {
  int st = -1;
  pid_t r;
  while ((r = waitpid(pid, &st, 0)) == -1 && errno == EINTR) {
  }
  return r == pid ? st : -1;
}

/* ---- the tree ---- */
static void child(int i) {
  pid_t me = getpid(), kids[2];
  for (int j = 0; j < 2; j++) {
    kids[j] = fork();
    if (kids[j] == 0) _exit(getppid() == me ? 10 * i + j + 1 : 99);
    if (kids[j] < 0) _exit(98);
  }
  int ok = 1;
  for (int j = 1; j >= 0; j--) { /* reap in the other order */
    int st = wait_status(kids[j]);
    ok &= WIFEXITED(st) && WEXITSTATUS(st) == 10 * i + j + 1;
  }
  _exit(ok ? 100 + i : 97);
}

static void test_tree(void) {
  pid_t me = getpid(), kids[4];
  for (int i = 0; i < 4; i++) {
    kids[i] = fork_flushed();
    if (kids[i] == 0) {
      if (getppid() != me) _exit(96);
      child(i);
    }
    CHECK(kids[i] > 0 && kids[i] != me);
  }
  char line[64];
  int n = 0;
  for (int i = 0; i < 4; i++) {
    int st = wait_status(kids[i]);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 100 + i);
    n += snprintf(line + n, sizeof line - (size_t)n, " %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  }
  errno = 0;
  CHECK(waitpid(-1, NULL, 0) == -1 &&
        errno == ECHILD); /* grandchildren were reaped by their parents */
  printf("tree: children exited with%s\n", line);
}

/* ---- WNOHANG and pipes ---- */
static void test_wnohang_pipes(void) {
  int down[2], up[2];
  CHECK(pipe(down) == 0 && pipe(up) == 0);
  pid_t pid = fork_flushed();
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    /* Sum every byte until EOF, then send the sum and count back. */
    unsigned char buf[4096];
    uint64_t sum = 0, count = 0;
    ssize_t n;
    while ((n = read(down[0], buf, sizeof buf)) > 0)
      for (ssize_t k = 0; k < n; k++) sum += buf[k] * (uint64_t)(count++ % 251 + 1);
    uint64_t out[2] = {sum, count};
    _exit(write(up[1], out, sizeof out) == sizeof out && n == 0 ? 7 : 8);
  }
  close(down[0]);
  close(up[1]);
  int st;
  CHECK(waitpid(pid, &st, WNOHANG) == 0); /* still reading: blocked on the pipe */
  static unsigned char data[160 * 1024];
  uint64_t want = 0;
  for (size_t k = 0; k < sizeof data; k++) {
    data[k] = (unsigned char)(k * 131 + (k >> 9));
    want += data[k] * (uint64_t)(k % 251 + 1);
  }
  size_t off = 0;
  while (off < sizeof data) { /* blocks whenever the 64 KiB pipe buffer is full */
    ssize_t w = write(down[1], data + off, sizeof data - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  CHECK_EQ(off, sizeof data);
  close(down[1]);
  uint64_t got[2] = {0, 0};
  CHECK(read(up[0], got, sizeof got) == sizeof got);
  CHECK_EQ(got[0], want);
  CHECK_EQ(got[1], sizeof data);
  st = wait_status(pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
  char c;
  CHECK(read(up[0], &c, 1) == 0); /* EOF: the writer is gone */
  errno = 0;
  CHECK(waitpid(pid, &st, WNOHANG) == -1 && errno == ECHILD);
  close(up[0]);
  printf("pipes: %zu bytes down, checksum %" PRIu64 " back\n", off, got[0]);
}

/* ---- termination by signal, stop and continue ---- */
static pid_t spawn_blocked(int* wfd) {
  int p[2], ready[2];
  pipe(p);
  pipe(ready);
  pid_t pid = fork_flushed();
  if (pid == 0) {
    close(p[1]);
    close(ready[0]);
    write(ready[1], "r", 1);
    char c;
    read(p[0], &c, 1);
    _exit(c == 'x' ? 0 : 1);
  }
  close(p[0]);
  close(ready[1]);
  char c;
  read(ready[0], &c, 1); /* the child is running */
  close(ready[0]);
  *wfd = p[1];
  return pid;
}

static void test_signals(void) {
  int wfd;
  pid_t pid = spawn_blocked(&wfd);
  CHECK(kill(pid, SIGTERM) == 0);
  int st = wait_status(pid);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM && !WIFEXITED(st));
  close(wfd);

  pid = spawn_blocked(&wfd);
  CHECK(kill(pid, SIGSTOP) == 0);
  CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  CHECK(kill(pid, SIGCONT) == 0);
  CHECK(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st));
  write(wfd, "x", 1); /* let it finish normally */
  st = wait_status(pid);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  close(wfd);

  pid = spawn_blocked(&wfd);
  kill(pid, SIGKILL);
  st = wait_status(pid);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  close(wfd);
  printf("signals: SIGTERM %d, stop/continue, SIGKILL %d\n", SIGTERM, SIGKILL);
}

/* ---- process groups ---- */
static void test_pgroups(void) {
  pid_t me = getpid();
  CHECK(getpgid(0) == getpgrp());
  int wfd[2];
  pid_t a = spawn_blocked(&wfd[0]);
  pid_t b = spawn_blocked(&wfd[1]);
  CHECK(setpgid(a, a) == 0 && getpgid(a) == a); /* a leads a new group */
  CHECK(setpgid(b, a) == 0 && getpgid(b) == a); /* b joins it */
  CHECK(getpgid(0) != a && getpgrp() == getpgid(me));
  CHECK(kill(-a, SIGTERM) == 0); /* the whole group, not us */
  int st1 = -1, st2 = -1;
  pid_t r1 = waitpid(-a, &st1, 0), r2 = waitpid(-a, &st2, 0);
  CHECK((r1 == a && r2 == b) || (r1 == b && r2 == a));
  CHECK(WIFSIGNALED(st1) && WTERMSIG(st1) == SIGTERM && WIFSIGNALED(st2) &&
        WTERMSIG(st2) == SIGTERM);
  errno = 0;
  CHECK(kill(-a, 0) == -1 && errno == ESRCH); /* the group is gone */
  close(wfd[0]);
  close(wfd[1]);

  /* A child making itself a group leader: setpgid(0, 0). */
  pid_t c = fork_flushed();
  if (c == 0)
    _exit(setpgid(0, 0) == 0 && getpgrp() == getpid() && getpgid(0) != getpgid(getppid()) ? 5 : 6);
  int st = wait_status(c);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
  errno = 0;
  CHECK(setpgid(0, 999999) == -1 && (errno == EPERM || errno == ESRCH));
  printf("process groups ok\n");
}

int main(void) {
  test_tree();
  test_wnohang_pipes();
  test_signals();
  test_pgroups();
  return finish("procs_tree");
}
