/* File-system system calls in a private temporary directory ($TMPDIR or /tmp, via mkdtemp):
 * open/write/read/lseek/pread/pwrite/fstat/ftruncate, O_APPEND, dup, pipe, rename, unlink,
 * mkdir/rmdir, opendir/readdir (names sorted, since directory order is the file system's),
 * stdio on top (fopen/fprintf/fgets/fseek), and errno for the usual failures. Expected values
 * follow from POSIX; nothing printed depends on the directory's name or the file system. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_check.h"

static char g_dir[256];

static const char* in_dir(const char* name) {
  static char path[2][512];
  static int which;
  which ^= 1;
  snprintf(path[which], sizeof path[which], "%s/%s", g_dir, name);
  return path[which];
}

static int cmp_names(const void* a, const void* b) {
  return strcmp(a, b);
}

static void test_fd_io(void) {
  int fd = open(in_dir("data.bin"), O_RDWR | O_CREAT | O_EXCL, 0640);
  CHECK(fd >= 0);
  static uint8_t buf[100000], back[100000];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7 + (i >> 9));
  CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
  CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)sizeof buf);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  size_t got = 0;
  while (got < sizeof back) { /* read may return less than asked: loop */
    ssize_t n = read(fd, back + got, sizeof back - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  CHECK(got == sizeof back && memcmp(buf, back, sizeof buf) == 0);
  CHECK(read(fd, back, 10) == 0); /* at end of file */

  CHECK(lseek(fd, -100, SEEK_END) == (off_t)sizeof buf - 100);
  CHECK(read(fd, back, 1000) == 100 && memcmp(back, buf + sizeof buf - 100, 100) == 0);
  CHECK(pwrite(fd, "hello", 5, 12345) == 5);
  CHECK(pread(fd, back, 5, 12345) == 5 && memcmp(back, "hello", 5) == 0);
  CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)sizeof buf); /* pread/pwrite keep the offset */

  /* A hole: writing past the end leaves zeros. */
  CHECK(lseek(fd, 200000, SEEK_SET) == 200000 && write(fd, "end", 3) == 3);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == 200003 && S_ISREG(st.st_mode));
  CHECK((st.st_mode & 0777) == 0640); /* umask is 022 (main) */
  CHECK(pread(fd, back, 10, 150000) == 10 && back[0] == 0 && back[9] == 0);
  CHECK(ftruncate(fd, 1000) == 0 && fstat(fd, &st) == 0 && st.st_size == 1000);

  int fd2 = dup(fd);
  CHECK(fd2 > fd && lseek(fd2, 10, SEEK_SET) == 10 && lseek(fd, 0, SEEK_CUR) == 10);
  CHECK(close(fd2) == 0 && close(fd) == 0);
  CHECK(close(fd) == -1 && errno == EBADF);

  fd = open(in_dir("data.bin"), O_WRONLY | O_APPEND);
  CHECK(fd >= 0 && write(fd, "tail", 4) == 4);
  CHECK(fstat(fd, &st) == 0 && st.st_size == 1004);
  close(fd);
  CHECK(stat(in_dir("data.bin"), &st) == 0 && st.st_size == 1004);
  printf("fd io ok\n");
}

static void test_names(void) {
  CHECK(open(in_dir("data.bin"), O_RDWR | O_CREAT | O_EXCL, 0600) == -1 && errno == EEXIST);
  CHECK(open(in_dir("missing"), O_RDONLY) == -1 && errno == ENOENT);
  struct stat st;
  CHECK(stat(in_dir("missing/x"), &st) == -1 && errno == ENOENT);
  CHECK(rename(in_dir("data.bin"), in_dir("renamed.bin")) == 0);
  CHECK(access(in_dir("data.bin"), F_OK) == -1 && access(in_dir("renamed.bin"), R_OK) == 0);
  CHECK(mkdir(in_dir("sub"), 0755) == 0 && mkdir(in_dir("sub"), 0755) == -1 && errno == EEXIST);
  for (int i = 0; i < 20; i++) {
    char name[32];
    snprintf(name, sizeof name, "sub/f%02d", (i * 7) % 20);
    int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, name, strlen(name)) == (ssize_t)strlen(name));
    close(fd);
  }
  CHECK(rmdir(in_dir("sub")) == -1 && errno == ENOTEMPTY);

  DIR* d = opendir(in_dir("sub"));
  CHECK(d != NULL);
  char names[32][16];
  int n = 0, dots = 0;
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
      dots++;
      continue;
    }
    if (n < 32) snprintf(names[n++], sizeof names[0], "%.15s", e->d_name);
  }
  if (d) closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_names);
  CHECK(n == 20 && dots == 2 && strcmp(names[0], "f00") == 0 && strcmp(names[19], "f19") == 0);
  printf("readdir: %d entries, %s .. %s\n", n, names[0], names[n - 1]);

  for (int i = 0; i < n; i++) {
    char name[40];
    snprintf(name, sizeof name, "sub/%.15s", names[i]);
    CHECK(unlink(in_dir(name)) == 0);
  }
  CHECK(rmdir(in_dir("sub")) == 0 && unlink(in_dir("renamed.bin")) == 0);
  CHECK(unlink(in_dir("renamed.bin")) == -1 && errno == ENOENT);

  char cwd[512];
  CHECK(getcwd(cwd, sizeof cwd) != NULL && chdir(g_dir) == 0);
  int fd = open("relative.txt", O_CREAT | O_WRONLY, 0600);
  CHECK(fd >= 0 && access(in_dir("relative.txt"), F_OK) == 0);
  close(fd);
  CHECK(unlink("relative.txt") == 0 && chdir(cwd) == 0);
}

static void test_stdio_pipe(void) {
  FILE* f = fopen(in_dir("text.txt"), "w+");
  CHECK(f != NULL);
  for (int i = 0; i < 500; i++) fprintf(f, "line %d: %x\n", i, i * i);
  CHECK(fflush(f) == 0 && ftell(f) > 0);
  CHECK(fseek(f, 0, SEEK_SET) == 0);
  char line[64];
  int count = 0, ok = 1;
  while (fgets(line, sizeof line, f)) {
    int a;
    unsigned b;
    ok &= sscanf(line, "line %d: %x", &a, &b) == 2 && a == count && b == (unsigned)(a * a);
    count++;
  }
  CHECK(ok && count == 500 && feof(f));
  long size = ftell(f);
  CHECK(fclose(f) == 0);
  struct stat st;
  CHECK(stat(in_dir("text.txt"), &st) == 0 && st.st_size == size);
  printf("stdio: %d lines, %ld bytes\n", count, size);
  CHECK(unlink(in_dir("text.txt")) == 0);

  int p[2];
  CHECK(pipe(p) == 0);
  CHECK(write(p[1], "through a pipe", 14) == 14 && close(p[1]) == 0);
  char got[32] = {0};
  CHECK(read(p[0], got, sizeof got) == 14 && strcmp(got, "through a pipe") == 0);
  CHECK(read(p[0], got, sizeof got) == 0 && close(p[0]) == 0); /* writer closed: EOF */
}

int main(void) {
  umask(022);
  const char* tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/xvm-guest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(g_dir)) {
    printf("mkdtemp failed: errno %d\n", errno);
    return 1;
  }
  test_fd_io();
  test_names();
  test_stdio_pipe();
  CHECK(rmdir(g_dir) == 0);
  return finish("file_io");
}
