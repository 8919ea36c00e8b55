// libc string routines (glibc's optimised AArch64/x86-64 versions): memcpy, memchr, strlen,
// strcmp over buffers of many sizes and alignments.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? atol(argv[1]) : 20000;
  enum { N = 8192 };
  char* src = malloc(N + 64);
  char* dst = malloc(N + 64);
  for (int i = 0; i < N + 64; ++i) src[i] = (char)('a' + (i * 7) % 26);
  src[N + 63] = 0;
  unsigned long acc = 0;
  for (long r = 0; r < rounds; ++r) {
    const int off = (int)(r % 61), len = 64 + (int)((r * 37) % (N - 128));
    memcpy(dst + (off ^ 7), src + off, (size_t)len);
    dst[(off ^ 7) + len] = 0;
    acc += strlen(dst + (off ^ 7));
    acc += (unsigned long)(memchr(src + off, 'z', (size_t)len) != NULL);
    acc += (unsigned long)(strcmp(dst + (off ^ 7), src + off) != 0);
  }
  printf("%lu\n", acc);
  return 0;
}
