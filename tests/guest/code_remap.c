/* Code that changes under a running program: the same addresses hold different functions over
 * time (munmap + mmap, mprotect, rewriting followed by __builtin___clear_cache), and each is
 * called often enough to be translated by a JIT before it changes. A function on another page
 * and one elsewhere on the same page must keep working across the changes. Code mapped from
 * files (as a dynamic loader does) needs no cache maintenance: replacing such a mapping must be
 * noticed by the munmap/mmap alone.
 * AArch64 only: it writes AArch64 machine code. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_check.h"
#include "guest_code.h"

/* The function "return v" at p, made visible to instruction fetch (IC IVAU). */
static void emit_ret(uint32_t* p, unsigned v) {
  put_ret(p, v);
  __builtin___clear_cache((char*)p, (char*)(p + 2));
}

int main(void) {
  const int prot = PROT_READ | PROT_WRITE | PROT_EXEC;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS;
  uint8_t* page = mmap(NULL, 2 * 4096, prot, flags, -1, 0);
  CHECK(page != MAP_FAILED);
  if (page == MAP_FAILED) return finish("code_remap");
  uint8_t* other = page + 4096;
  emit_ret((uint32_t*)other, 7);
  emit_ret((uint32_t*)(page + 64), 5);

  emit_ret((uint32_t*)page, 1);
  CHECK(call_many(page, 1000) == 1000);
  CHECK(call_many(other, 1000) == 7000);

  /* Unmapped and mapped again at the same address with other code. */
  CHECK(munmap(page, 4096) == 0);
  uint8_t* again = mmap(page, 4096, prot, flags | MAP_FIXED, -1, 0);
  CHECK(again == page);
  emit_ret((uint32_t*)page, 2);
  emit_ret((uint32_t*)(page + 64), 6);
  CHECK(call_many(page, 1000) == 2000);
  CHECK(call_many(page + 64, 1000) == 6000);
  CHECK(call_many(other, 1000) == 7000);

  /* Rewritten in place, then IC IVAU (clear_cache). */
  emit_ret((uint32_t*)page, 3);
  CHECK(call_many(page, 1000) == 3000);
  CHECK(call_many(page + 64, 1000) == 6000);

  /* Made writable only, rewritten, made executable again. */
  CHECK(mprotect(page, 4096, PROT_READ | PROT_WRITE) == 0);
  emit_ret((uint32_t*)page, 4);
  CHECK(mprotect(page, 4096, PROT_READ | PROT_EXEC) == 0);
  CHECK(call_many(page, 1000) == 4000);
  CHECK(call_many(other, 1000) == 7000);

  /* Many small changes in a row: each function is right at once. */
  CHECK(mprotect(page, 4096, prot) == 0);
  long sum = 0;
  for (unsigned v = 10; v < 60; ++v) {
    emit_ret((uint32_t*)page, v);
    sum += call_many(page, 100) / 100;
  }
  CHECK(sum == (10 + 59) * 50 / 2);
  CHECK(munmap(page, 2 * 4096) == 0);

  /* Two "libraries" (memfd files of code), mapped in turn at the same address, no IC IVAU. */
  int fds[2];
  for (int k = 0; k < 2; ++k) {
    uint32_t code[1024];
    memset(code, 0, sizeof code);
    code[0] = 0x52800000u | ((100u + k) << 5);
    code[1] = 0xd65f03c0u;
    fds[k] = memfd_create(k ? "lib1" : "lib0", 0);
    CHECK(fds[k] >= 0 && write(fds[k], code, sizeof code) == (ssize_t)sizeof code);
  }
  uint8_t* lib = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fds[0], 0);
  CHECK(lib != MAP_FAILED);
  long total = 0;
  for (int round = 0; round < 6 && lib != MAP_FAILED; ++round) {
    total += call_many(lib, 200) / 200;
    CHECK(munmap(lib, 4096) == 0);
    uint8_t* next = mmap(lib, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
                         fds[(round + 1) % 2], 0);
    CHECK(next == lib);
  }
  CHECK(total == 3 * 100 + 3 * 101);
  return finish("code_remap");
}
