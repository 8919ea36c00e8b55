/* threads_atomic.c built with -march=armv8.1-a, so every atomic is an LSE instruction (LDADD,
 * LDCLR, LDEOR, LDSET, SWP, CAS with their acquire/release forms) instead of an exclusive
 * load/store loop. The natively built copy is the same program as threads_atomic. */
#define PROGRAM_NAME "threads_atomic_lse"
#include "threads_atomic.c"
