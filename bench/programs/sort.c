// qsort with a comparison callback (indirect calls, memory traffic) plus a checksum.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void* a, const void* b) {
  const uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  const long n = argc > 1 ? atol(argv[1]) : 1000000;
  uint32_t* v = malloc(n * sizeof *v);
  uint32_t s = 2463534242u;
  for (long i = 0; i < n; ++i) { s ^= s << 13; s ^= s >> 17; s ^= s << 5; v[i] = s; }
  qsort(v, n, sizeof *v, cmp);
  uint64_t h = 0;
  for (long i = 0; i < n; ++i) h = h * 31 + v[i];
  for (long i = 1; i < n; ++i) if (v[i - 1] > v[i]) return 1;
  printf("%016llx\n", (unsigned long long)h);
  free(v);
  return 0;
}
