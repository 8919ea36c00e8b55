/* TCP over loopback between two threads: bind 127.0.0.1 port 0 and getsockname, listen,
 * select on the listening socket, connect/accept (getpeername matches the client's
 * getsockname), SO_REUSEADDR, TCP_NODELAY, SO_TYPE/SO_ERROR/SO_ACCEPTCONN through
 * setsockopt/getsockopt, 256 KiB echoed back with a non-blocking client driven by poll,
 * MSG_PEEK, MSG_DONTWAIT (EAGAIN), shutdown(SHUT_WR) seen as EOF by the peer while the other
 * direction still works, and ECONNREFUSED on a port nobody listens on. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest_check.h"

#define TOTAL (256 * 1024)

static int g_listener;

static int getopt_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  return getsockopt(fd, level, name, &v, &len) == 0 && len == sizeof v ? v : -1;
}

/* Server thread: accept one connection, echo until EOF, then send "bye" and close. */
static long g_srv_bytes, g_srv_bad;
static void* server(void* arg) {
  (void)arg;
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int c = accept(g_listener, (struct sockaddr*)&peer, &plen);
  if (c < 0) return (void*)1;
  if (plen != sizeof peer || peer.sin_family != AF_INET ||
      peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
    g_srv_bad++;
  char buf[8192];
  ssize_t n;
  while ((n = read(c, buf, sizeof buf)) > 0) {
    g_srv_bytes += n;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(c, buf + off, (size_t)(n - off));
      if (w <= 0) return (void*)2;
      off += w;
    }
  }
  if (n != 0) return (void*)3;
  if (write(c, "bye", 3) != 3) return (void*)4;
  close(c);
  return NULL;
}

static unsigned char pattern(size_t i) {
  return (unsigned char)(i * 7 + (i >> 10));
}

static void test_echo(void) {
  g_listener = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(g_listener >= 0);
  int one = 1;
  CHECK(setsockopt(g_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  CHECK(getopt_int(g_listener, SOL_SOCKET, SO_REUSEADDR) == 1);
  CHECK(getopt_int(g_listener, SOL_SOCKET, SO_TYPE) == SOCK_STREAM);
  struct sockaddr_in addr = {
      .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(g_listener, (struct sockaddr*)&addr, sizeof addr) == 0);
  socklen_t alen = sizeof addr;
  CHECK(getsockname(g_listener, (struct sockaddr*)&addr, &alen) == 0 && alen == sizeof addr);
  CHECK(addr.sin_port != 0 && addr.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  CHECK(getopt_int(g_listener, SOL_SOCKET, SO_ACCEPTCONN) == 0);
  CHECK(listen(g_listener, 4) == 0);
  CHECK(getopt_int(g_listener, SOL_SOCKET, SO_ACCEPTCONN) == 1);

  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(g_listener, &rd);
  struct timeval tv = {0, 0};
  CHECK(select(g_listener + 1, &rd, NULL, NULL, &tv) == 0); /* nobody connecting yet */

  int cl = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(getopt_int(cl, IPPROTO_TCP, TCP_NODELAY) == 0);
  CHECK(setsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
  CHECK(getopt_int(cl, IPPROTO_TCP, TCP_NODELAY) == 1);
  CHECK(connect(cl, (struct sockaddr*)&addr, sizeof addr) == 0);
  FD_ZERO(&rd);
  FD_SET(g_listener, &rd);
  tv.tv_sec = 5;
  CHECK(select(g_listener + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(g_listener, &rd));
  struct sockaddr_in me, peer_of_me;
  alen = sizeof me;
  CHECK(getsockname(cl, (struct sockaddr*)&me, &alen) == 0 && me.sin_port != addr.sin_port);
  alen = sizeof peer_of_me;
  CHECK(getpeername(cl, (struct sockaddr*)&peer_of_me, &alen) == 0 &&
        peer_of_me.sin_port == addr.sin_port);

  pthread_t t;
  CHECK(pthread_create(&t, NULL, server, NULL) == 0);
  char c;
  errno = 0;
  CHECK(recv(cl, &c, 1, MSG_DONTWAIT) == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));

  /* Send TOTAL bytes and read the echo concurrently: non-blocking, driven by poll. */
  CHECK(fcntl(cl, F_SETFL, fcntl(cl, F_GETFL) | O_NONBLOCK) == 0);
  static unsigned char out[TOTAL], in[TOTAL + 16];
  for (size_t i = 0; i < TOTAL; i++) out[i] = pattern(i);
  size_t sent = 0, got = 0;
  int polls = 0, peeked = 0;
  while (got < TOTAL && polls < 100000) {
    struct pollfd pfd = {cl, (short)(POLLIN | (sent < TOTAL ? POLLOUT : 0)), 0};
    polls++;
    if (poll(&pfd, 1, 5000) != 1) break;
    if ((pfd.revents & POLLOUT) && sent < TOTAL) {
      ssize_t w = send(cl, out + sent, TOTAL - sent > 10000 ? 10000 : TOTAL - sent, 0);
      if (w > 0) sent += (size_t)w;
    }
    if (pfd.revents & POLLIN) {
      if (!peeked) { /* MSG_PEEK leaves the data in place */
        unsigned char p0;
        peeked = recv(cl, &p0, 1, MSG_PEEK) == 1 && p0 == pattern(got);
      }
      ssize_t r = recv(cl, in + got, TOTAL + 16 - got, 0);
      if (r > 0) got += (size_t)r;
    }
  }
  CHECK_EQ(sent, TOTAL);
  CHECK_EQ(got, TOTAL);
  CHECK(peeked);
  CHECK(memcmp(in, out, TOTAL) == 0);
  errno = 0;
  CHECK(shutdown(cl, 42) == -1 && errno == EINVAL);

  /* Half close: the server sees EOF and still sends "bye" back to us. */
  CHECK(fcntl(cl, F_SETFL, fcntl(cl, F_GETFL) & ~O_NONBLOCK) == 0);
  CHECK(shutdown(cl, SHUT_WR) == 0);
  char bye[8] = {0};
  size_t bl = 0;
  ssize_t r;
  while (bl < sizeof bye - 1 && (r = read(cl, bye + bl, sizeof bye - 1 - bl)) > 0) bl += (size_t)r;
  CHECK(strcmp(bye, "bye") == 0);
  CHECK(read(cl, &c, 1) == 0); /* the server closed */
  errno = 0;
  CHECK(send(cl, "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE); /* our write side is shut */
  void* res;
  CHECK(pthread_join(t, &res) == 0 && res == NULL);
  CHECK_EQ(g_srv_bytes, TOTAL);
  CHECK_EQ(g_srv_bad, 0);
  CHECK(getopt_int(cl, SOL_SOCKET, SO_ERROR) == 0);
  close(cl);
  close(g_listener);
  printf("tcp echo: %d bytes, '%s' after half close\n", TOTAL, bye);
}

static void test_refused(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {
      .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof addr;
  CHECK(bind(s, (struct sockaddr*)&addr, sizeof addr) == 0);
  CHECK(getsockname(s, (struct sockaddr*)&addr, &alen) == 0);
  close(s); /* the port is free again and nobody listens on it */
  s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHECK(fcntl(s, F_GETFD) == FD_CLOEXEC);
  errno = 0;
  CHECK(connect(s, (struct sockaddr*)&addr, sizeof addr) == -1 && errno == ECONNREFUSED);
  close(s);
  printf("connect refused\n");
}

int main(void) {
  test_echo();
  test_refused();
  return finish("sockets_tcp");
}
