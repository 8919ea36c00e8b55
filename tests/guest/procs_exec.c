/* Program execution of host-independent kinds: execve of a '#!/bin/sh' script (the kernel,
 * or the emulator, runs the host's shell; the script uses only POSIX sh) with arguments and a
 * chosen environment, execve failures (ENOENT, EACCES for a file without execute permission,
 * ENOEXEC for a file that is neither ELF nor script), posix_spawn of /bin/sh with file actions
 * redirecting its stdout into a pipe and of a missing program, vfork followed by _exit and by
 * execve. Re-executing this program itself is procs_exec_self. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char** environ;

static int wait_status(pid_t pid) {
  int st = -1;
  return waitpid(pid, &st, 0) == pid ? st : -1;
}

static int exit_code(int st) {
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + st;
}

static char g_dir[64];

static void test_exec_script(void) {
  char path[128], out[128], bad[128];
  snprintf(path, sizeof path, "%s/script.sh", g_dir);
  snprintf(out, sizeof out, "%s/out.txt", g_dir);
  FILE* f = fopen(path, "w");
  fputs(
      "#!/bin/sh\n# POSIX sh only\nprintf '%s|%s|%s\\n' \"$1\" \"$2\" \"$GREETING\" > \"$3\"\n"
      "exit $(( $# + 40 ))\n",
      f);
  fclose(f);
  CHECK(chmod(path, 0755) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char* args[] = {path, "one", "two words", out, NULL};
    char* env[] = {"GREETING=hi", NULL};
    execve(path, args, env);
    _exit(99);
  }
  int st = wait_status(pid);
  CHECK_EQ(exit_code(st), 43);
  char line[128] = {0};
  f = fopen(out, "r");
  CHECK(f && fgets(line, sizeof line, f));
  if (f) fclose(f);
  CHECK(strcmp(line, "one|two words|hi\n") == 0);

  /* Failures come back from execve without leaving this image. */
  char* args[] = {"x", NULL};
  snprintf(bad, sizeof bad, "%s/missing", g_dir);
  errno = 0;
  CHECK(execve(bad, args, environ) == -1 && errno == ENOENT);
  CHECK(chmod(path, 0644) == 0);
  errno = 0;
  CHECK(execve(path, args, environ) == -1 && errno == EACCES); /* not executable */
  snprintf(bad, sizeof bad, "%s/garbage", g_dir);
  f = fopen(bad, "w");
  fputs(
      "\x7f"
      "ELG not an executable at all, and no #! line either\n",
      f);
  fclose(f);
  chmod(bad, 0755);
  errno = 0;
  CHECK(execve(bad, args, environ) == -1 && errno == ENOEXEC);
  unlink(bad);
  unlink(path);
  unlink(out);
  printf("script: status %d, wrote %s", exit_code(st), line);
}

/* Reads everything from fd into buf (NUL-terminated). */
static void read_all(int fd, char* buf, size_t size) {
  size_t n = 0;
  ssize_t r;
  while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0) n += (size_t)r;
  buf[n] = 0;
}

static void test_spawn(void) {
  int p[2];
  CHECK(pipe(p) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  char* args[] = {"sh", "-c", "printf 'spawned %s\\n' \"$0\"; exit 6", "arg0", NULL};
  pid_t pid;
  fflush(stdout);
  CHECK(posix_spawn(&pid, "/bin/sh", &fa, NULL, args, environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  char buf[64];
  read_all(p[0], buf, sizeof buf);
  close(p[0]);
  int st = wait_status(pid);
  CHECK_EQ(exit_code(st), 6);
  CHECK(strcmp(buf, "spawned arg0\n") == 0);

  /* POSIX lets the failure come back either from posix_spawn or as exit status 127; Linux
   * (glibc's CLONE_VFORK child) returns ENOENT, qemu-user (fork instead of vfork) the latter. */
  char* nope[] = {"nope", NULL};
  int r = posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, nope, environ);
  CHECK(r == ENOENT || (r == 0 && exit_code(wait_status(pid)) == 127));
  printf("posix_spawn: status %d, stdout %s", exit_code(st), buf);
}

static void test_vfork(void) {
  fflush(stdout);
  pid_t pid = vfork();
  if (pid == 0) _exit(9);
  CHECK(pid > 0);
  int st = wait_status(pid);
  CHECK_EQ(exit_code(st), 9);

  char* args[] = {"sh", "-c", "printf 'vforked %s\\n' \"$0\"; exit 12", "x", NULL};
  int p[2];
  CHECK(pipe(p) == 0);
  pid = vfork();
  if (pid == 0) {
    dup2(p[1], 1);
    execve("/bin/sh", args, environ);
    _exit(127);
  }
  close(p[1]);
  char buf[64];
  read_all(p[0], buf, sizeof buf);
  CHECK(strcmp(buf, "vforked x\n") == 0);
  close(p[0]);
  st = wait_status(pid);
  CHECK_EQ(exit_code(st), 12);
  printf("vfork: _exit 9, exec status %d, stdout %s", exit_code(st), buf);
}

int main(void) {
  const char* tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/procs_exec.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
  CHECK(mkdtemp(g_dir) != NULL);
  test_exec_script();
  test_spawn();
  test_vfork();
  rmdir(g_dir);
  return finish("procs_exec");
}
