/* Unix-domain and datagram sockets: a socketpair between parent and child passing open files
 * with SCM_RIGHTS (the child reads the passed file, which shares its offset with the sender's
 * descriptor; two fds in one message), SO_PEERCRED, poll and select readiness (POLLIN only
 * when data is there, POLLHUP after the peer closes), SOCK_DGRAM socketpairs keeping message
 * boundaries and reporting MSG_TRUNC, UDP over loopback with sendto/recvfrom and connect, and
 * a listening socket bound to a path. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

static char g_dir[64];

static int send_fds(int sock, const int* fds, int n, char tag) {
  char ctl[CMSG_SPACE(2 * sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {&tag, 1};
  struct msghdr m = {.msg_iov = &iov,
                     .msg_iovlen = 1,
                     .msg_control = ctl,
                     .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
  memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
  return (int)sendmsg(sock, &m, 0);
}

/* Returns the number of fds received (into fds), or -1; *tag gets the data byte. */
static int recv_fds(int sock, int* fds, char* tag) {
  char ctl[CMSG_SPACE(4 * sizeof(int))];
  struct iovec iov = {tag, 1};
  struct msghdr m = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  if (recvmsg(sock, &m, 0) != 1) return -1;
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return 0;
  int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
  memcpy(fds, CMSG_DATA(c), (size_t)n * sizeof(int));
  return n;
}

/* Child: receive a file and a pipe end; read 6 bytes of the file, write them to the pipe;
 * reply on the socket with a status byte. */
static int child_fd_main(int sock) {
  int fds[4];
  char tag;
  if (recv_fds(sock, fds, &tag) != 1 || tag != 'F') return 1;
  char buf[16] = {0};
  if (read(fds[0], buf, 6) != 6) return 2; /* moves the offset shared with the parent */
  if (recv_fds(sock, fds + 1, &tag) != 2 || tag != 'P') return 3;
  if (write(fds[2], buf, 6) != 6) return 4; /* fds[2]: the pipe's write end */
  close(fds[1]);
  close(fds[2]);
  return write(sock, "k", 1) == 1 ? 0 : 5;
}

static void test_fd_passing(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  struct ucred cred;
  socklen_t clen = sizeof cred;
  CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0);
  CHECK(cred.pid == getpid() && cred.uid == getuid() && cred.gid == getgid());

  char path[128];
  snprintf(path, sizeof path, "%s/passed.txt", g_dir);
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CHECK(f >= 0 && write(f, "secret contents\n", 16) == 16 && lseek(f, 0, SEEK_SET) == 0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    _exit(child_fd_main(sv[1]));
  }
  close(sv[1]);
  CHECK(send_fds(sv[0], &f, 1, 'F') == 1);
  int p[2];
  CHECK(pipe(p) == 0);
  CHECK(send_fds(sv[0], p, 2, 'P') == 1);
  close(p[1]);
  char buf[16] = {0}, k = 0;
  CHECK(read(p[0], buf, sizeof buf) == 6 && strcmp(buf, "secret") == 0);
  CHECK(read(sv[0], &k, 1) == 1 && k == 'k');
  CHECK(lseek(f, 0, SEEK_CUR) == 6); /* the child's read moved our offset: one open file */
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

  /* Within one process: the received fd is a new number for the same file. */
  int sp[2], got[4];
  char tag;
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
  CHECK(send_fds(sp[0], &f, 1, 'S') == 1 && recv_fds(sp[1], got, &tag) == 1 && tag == 'S');
  struct stat a, b;
  CHECK(got[0] != f && fstat(got[0], &a) == 0 && fstat(f, &b) == 0 && a.st_ino == b.st_ino);
  CHECK(pread(got[0], buf, 8, 7) == 8 && memcmp(buf, "contents", 8) == 0);
  close(got[0]);
  close(sp[0]);
  close(sp[1]);
  close(p[0]);
  close(f);
  unlink(path);
  close(sv[0]);
  printf("fd passing: child read the passed file, offset shared, pread '%.8s'\n", buf);
}

static void test_poll_select(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  struct pollfd pfd[2] = {{sv[0], POLLIN | POLLOUT, 0}, {sv[1], POLLIN, 0}};
  CHECK(poll(pfd, 2, 0) == 1 && pfd[0].revents == POLLOUT && pfd[1].revents == 0);
  CHECK(write(sv[0], "abc", 3) == 3);
  CHECK(poll(pfd, 2, 1000) == 2 && pfd[1].revents == POLLIN);
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(sv[1], &rd);
  FD_SET(sv[0], &rd);
  FD_SET(sv[1], &wr);
  struct timeval tv = {1, 0};
  CHECK(select(sv[1] + 1, &rd, &wr, NULL, &tv) == 2 && FD_ISSET(sv[1], &rd) &&
        !FD_ISSET(sv[0], &rd) && FD_ISSET(sv[1], &wr));
  char buf[8];
  CHECK(read(sv[1], buf, sizeof buf) == 3);
  errno = 0;
  CHECK(read(sv[1], buf, sizeof buf) == -1 && errno == EAGAIN);
  close(sv[0]);
  pfd[1].revents = 0;
  CHECK(poll(&pfd[1], 1, 1000) == 1 && (pfd[1].revents & (POLLIN | POLLHUP)) &&
        read(sv[1], buf, 1) == 0);
  close(sv[1]);
  printf("poll/select readiness ok\n");
}

static void test_datagrams(void) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  CHECK(send(sv[0], "one", 3, 0) == 3 && send(sv[0], "", 0, 0) == 0 &&
        send(sv[0], "three33", 7, 0) == 7);
  char buf[16];
  CHECK(recv(sv[1], buf, sizeof buf, 0) == 3 && recv(sv[1], buf, sizeof buf, 0) == 0);
  struct iovec iov = {buf, 4};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  CHECK(recvmsg(sv[1], &m, 0) == 4 && (m.msg_flags & MSG_TRUNC) && memcmp(buf, "thre", 4) == 0);
  close(sv[0]);
  close(sv[1]);

  int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a1 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
                     a2 = a1, from;
  socklen_t len = sizeof a1;
  CHECK(bind(u1, (struct sockaddr*)&a1, sizeof a1) == 0 &&
        getsockname(u1, (struct sockaddr*)&a1, &len) == 0);
  CHECK(bind(u2, (struct sockaddr*)&a2, sizeof a2) == 0 &&
        getsockname(u2, (struct sockaddr*)&a2, &len) == 0);
  CHECK(sendto(u1, "ping", 4, 0, (struct sockaddr*)&a2, sizeof a2) == 4);
  len = sizeof from;
  memset(buf, 0, sizeof buf);
  CHECK(recvfrom(u2, buf, sizeof buf, 0, (struct sockaddr*)&from, &len) == 4 &&
        strcmp(buf, "ping") == 0);
  CHECK(len == sizeof from && from.sin_port == a1.sin_port &&
        from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  CHECK(connect(u2, (struct sockaddr*)&a1, sizeof a1) == 0 && send(u2, "pong!", 5, 0) == 5);
  CHECK(recv(u1, buf, sizeof buf, 0) == 5 && memcmp(buf, "pong!", 5) == 0);
  errno = 0;
  CHECK(recv(u1, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
  close(u1);
  close(u2);
  printf("datagrams: boundaries kept, MSG_TRUNC, udp ping/pong\n");
}

static void test_path_socket(void) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s/sock", g_dir);
  int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(bind(l, (struct sockaddr*)&sa, sizeof sa) == 0 && listen(l, 1) == 0);
  struct stat st;
  CHECK(stat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode));
  errno = 0;
  CHECK(bind(c, (struct sockaddr*)&sa, sizeof sa) == -1 && errno == EADDRINUSE);
  CHECK(connect(c, (struct sockaddr*)&sa, sizeof sa) == 0);
  int a = accept(l, NULL, NULL);
  char buf[8] = {0};
  CHECK(a >= 0 && write(c, "hi", 2) == 2 && read(a, buf, sizeof buf) == 2 &&
        strcmp(buf, "hi") == 0);
  struct sockaddr_un got;
  socklen_t len = sizeof got;
  CHECK(getsockname(l, (struct sockaddr*)&got, &len) == 0 &&
        strcmp(got.sun_path, sa.sun_path) == 0);
  close(a);
  close(c);
  close(l);
  unlink(sa.sun_path);
  printf("path socket: connect/accept ok\n");
}

int main(void) {
  const char* tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/sockets_unix.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
  CHECK(mkdtemp(g_dir) != NULL);
  test_fd_passing();
  test_poll_select();
  test_datagrams();
  test_path_socket();
  rmdir(g_dir);
  return finish("sockets_unix");
}
