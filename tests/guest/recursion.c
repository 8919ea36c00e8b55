/* Deep and branchy recursion: 100 000 nested non-tail calls (about 3-5 MiB of stack, within
 * the 8 MiB default), Ackermann and Fibonacci (hundreds of thousands of calls and returns, so
 * return-address prediction in a JIT is exercised), mutual recursion through function
 * pointers, and variable-length arrays in recursive frames. Results are closed-form values. */
#include <string.h>

#include "guest_check.h"

#define DEPTH 100000

/* Non-tail recursion that cannot be turned into a loop: each frame passes the address of a
 * local to its callee, which writes through it, and reads the local after the call. */
__attribute__((noinline)) static uint64_t deep(uint32_t n, uint64_t* parent) {
  uint64_t mine = 0;
  *parent = n;
  if (n == 0) return 0;
  uint64_t below = deep(n - 1, &mine);
  return below + mine + 1; /* mine == n - 1 */
}

static uint32_t ack(uint32_t m, uint32_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static uint64_t g_calls;
static uint32_t fib(uint32_t n) {
  g_calls++;
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

typedef int (*parity_fn)(uint32_t);
static int is_even(uint32_t n);
static int is_odd(uint32_t n);
static volatile parity_fn g_even = is_even, g_odd = is_odd;
static int is_even(uint32_t n) {
  return n == 0 ? 1 : g_odd(n - 1);
}
static int is_odd(uint32_t n) {
  return n == 0 ? 0 : g_even(n - 1);
}

/* Sum of 1..n, each frame holding a VLA of n % 13 + 1 elements. */
__attribute__((noinline)) static uint64_t vla_sum(uint32_t n) {
  if (n == 0) return 0;
  uint32_t len = n % 13 + 1;
  volatile uint32_t arr[len];
  for (uint32_t i = 0; i < len; i++) arr[i] = n;
  uint64_t rest = vla_sum(n - 1);
  uint64_t mine = 0;
  for (uint32_t i = 0; i < len; i++) mine += arr[i];
  return rest + mine / len;
}

/* Recursive quicksort-style partition count: a recursion tree of irregular shape. */
static uint32_t count_nodes(uint64_t seed, int depth) {
  if (depth == 0 || (seed & 3) == 0) return 1;
  return 1 + count_nodes(seed * 6364136223846793005ull + 1, depth - 1) +
         count_nodes(seed * 1442695040888963407ull + 3, depth - 1);
}

int main(void) {
  uint64_t top = 0;
  uint64_t sum = deep(DEPTH, &top);
  /* frame k returns sum_{i<k}(i) + k = k(k+1)/2 */
  CHECK_EQ(sum, (uint64_t)DEPTH * (DEPTH + 1) / 2);
  CHECK(top == DEPTH);
  printf("deep recursion: %d frames, result %" PRIu64 "\n", DEPTH, sum);

  CHECK(ack(2, 1000) == 2 * 1000 + 3);
  CHECK(ack(3, 6) == (1u << 9) - 3);                     /* A(3, n) = 2^(n+3) - 3 */
  CHECK(fib(27) == 196418 && g_calls == 2 * 317811 - 1); /* calls(n) = 2 F(n+1) - 1 */
  printf("ackermann(3, 6) = %u, fib(27) = 196418 in %" PRIu64 " calls\n", ack(3, 6), g_calls);

  CHECK(is_even(50000) && is_odd(49999) && !is_odd(50000));
  CHECK_EQ(vla_sum(20000), 20000ull * 20001 / 2);
  uint32_t nodes = count_nodes(12345, 22);
  printf("irregular tree: %u nodes\n", nodes);
  return finish("recursion");
}
