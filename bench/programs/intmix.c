// Integer throughput: xorshift generation, a multiplicative hash, table lookups and branches.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const long n = argc > 1 ? atol(argv[1]) : 20000000;
  uint64_t x = 88172645463325252ull, h = 1469598103934665603ull;
  uint32_t table[256];
  for (int i = 0; i < 256; ++i) table[i] = (uint32_t)(i * 2654435761u);
  long odd = 0;
  for (long i = 0; i < n; ++i) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    h = (h ^ (x & 0xff)) * 1099511628211ull;
    h += table[(x >> 8) & 0xff];
    if (x & 1) ++odd; else h = (h << 5) | (h >> 59);
  }
  printf("%016llx %ld\n", (unsigned long long)h, odd);
  return 0;
}
