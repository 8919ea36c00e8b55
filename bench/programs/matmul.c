// Single-precision matrix multiply, written so compilers vectorise the inner loop (NEON / SSE).
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const int n = argc > 1 ? atoi(argv[1]) : 256;
  float* a = malloc(sizeof(float) * n * n);
  float* b = malloc(sizeof(float) * n * n);
  float* c = calloc((size_t)n * n, sizeof(float));
  for (int i = 0; i < n * n; ++i) { a[i] = (float)(i % 17) * 0.25f; b[i] = (float)(i % 13) * 0.5f; }
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      const float aik = a[i * n + k];
      for (int j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  double sum = 0;
  for (int i = 0; i < n * n; ++i) sum += c[i];
  printf("%.1f\n", sum);
  return 0;
}
