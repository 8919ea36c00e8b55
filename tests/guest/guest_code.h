/* For the guest tests that write AArch64 code at run time (code_remap, code_smc). */
#ifndef XVM_GUEST_CODE_H
#define XVM_GUEST_CODE_H

#include <stdint.h>

/* movz w0, #v ; ret  (no cache maintenance: the caller decides) */
static void put_ret(volatile uint32_t* p, unsigned v) {
  p[0] = 0x52800000u | (v << 5);
  p[1] = 0xd65f03c0u;
}

typedef int (*fn_t)(void);

/* Calls the code n times (often enough for a JIT to translate it) and sums the results. */
static long call_many(void* code, int n) {
  fn_t volatile f = (fn_t)code;
  long s = 0;
  for (int i = 0; i < n; ++i) s += f();
  return s;
}

#endif
