/* Self-modifying code without cache maintenance: a program stores new instructions over code it
 * has already run many times (so that a JIT has translated it) and runs it again. The Arm
 * architecture wants an IC IVAU between the two, but qemu-aarch64 (the oracle) and real cores
 * in practice run the new code; xvm write-protects pages it translated from when the guest may
 * write them. Also: code read(2) by the kernel into such a page (xvm must let the host kernel
 * write there). AArch64 only: it writes AArch64 machine code. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_check.h"
#include "guest_code.h"

int main(void) {
  uint32_t* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(page != MAP_FAILED);
  if (page == MAP_FAILED) return finish("code_smc");

  put_ret(page, 1);
  __builtin___clear_cache((char*)page, (char*)(page + 2));
  CHECK(call_many(page, 1000) == 1000);

  /* A plain store over hot code, no IC IVAU. */
  put_ret(page, 2);
  CHECK(call_many(page, 1000) == 2000);

  /* Data on the same page as code, written in a loop: the code keeps working. */
  volatile uint32_t* data = page + 512;
  long sum = 0;
  for (unsigned i = 0; i < 300; ++i) {
    data[i % 64] = i;
    sum += call_many(page, 3) + data[i % 64];
  }
  CHECK(sum == 300 * 6 + 299 * 300 / 2);

  /* The code patched between calls, many times. */
  sum = 0;
  for (unsigned v = 1; v <= 40; ++v) {
    put_ret(page, v);
    sum += call_many(page, 100) / 100;
  }
  CHECK(sum == 40 * 41 / 2);

  /* New code read(2) into the page by the kernel. */
  int fds[2];
  CHECK(pipe(fds) == 0);
  uint32_t code[2] = {0x52800000u | (77u << 5), 0xd65f03c0u};
  CHECK(write(fds[1], code, sizeof code) == (ssize_t)sizeof code);
  CHECK(read(fds[0], page, sizeof code) == (ssize_t)sizeof code);
  __builtin___clear_cache((char*)page, (char*)(page + 2));
  CHECK(call_many(page, 1000) == 77000);

  CHECK(munmap(page, 4096) == 0);
  return finish("code_smc");
}
