/* The allocator (glibc malloc: brk heap for small blocks, mmap above 128 KiB) under many sizes,
 * alignments and free orders: every block is filled with a pattern derived from its address
 * and id, and the pattern is verified before the block is freed or reallocated, so any
 * overlap, lost write or wrong copy in realloc shows up. */
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_check.h"

#define SLOTS 512

struct block {
  uint8_t* p;
  size_t size;
  uint32_t id;
};
static struct block g_blocks[SLOTS];
static unsigned g_bad;

static uint8_t pat(uint32_t id, size_t i) {
  return (uint8_t)(id * 167 + i * 13 + (i >> 8));
}

/* The bytes of a block that carry the pattern: all of a small block; the first and last 2 KiB
 * and every 251st byte of a big one (keeps the program fast under emulation). */
static size_t next_index(size_t i, size_t n) {
  if (n <= 8192 || i < 2048 || i + 2048 >= n) return i + 1;
  return (i + 251 < n - 2048) ? i + 251 : n - 2048;
}
static void fill(struct block* b) {
  for (size_t i = 0; i < b->size; i = next_index(i, b->size)) b->p[i] = pat(b->id, i);
}
/* Verifies the first n bytes (n <= size: after realloc only the common prefix is kept). */
static void verify(const struct block* b, size_t n) {
  for (size_t i = 0; i < n; i = next_index(i, b->size))
    if (b->p[i] != pat(b->id, i)) {
      g_bad++;
      return;
    }
}

static size_t random_size(void) {
  uint64_t r = rnd();
  switch (r & 7) {
    case 0:
      return 0;
    case 1:
    case 2:
    case 3:
      return (size_t)(r >> 8) % 64; /* tiny (tcache/fastbins) */
    case 4:
    case 5:
      return (size_t)(r >> 8) % 4096; /* small bins */
    case 6:
      return (size_t)(r >> 8) % 100000; /* large bins */
    default:
      return 128 * 1024 + (size_t)(r >> 8) % (400 * 1024); /* mmap'd chunks */
  }
}

static void churn(int rounds) {
  uint32_t next_id = 1;
  for (int i = 0; i < rounds; i++) {
    struct block* b = &g_blocks[rnd() % SLOTS];
    uint64_t action = rnd() % 4;
    if (b->p && action == 0) { /* realloc, keeping the common prefix */
      size_t n = random_size(), keep = n < b->size ? n : b->size;
      uint8_t* q = realloc(b->p, n ? n : 1);
      if (!q) {
        g_bad++;
        continue;
      }
      b->p = q;
      verify(b, keep);
      b->size = n;
      fill(b);
    } else {
      if (b->p) {
        verify(b, b->size);
        free(b->p);
      }
      b->size = random_size();
      b->id = next_id++;
      b->p = (action == 1) ? calloc(1, b->size) : malloc(b->size);
      if (!b->p) {
        g_bad++;
        b->size = 0;
        continue;
      }
      if (action == 1)
        for (size_t k = 0; k < b->size; k = next_index(k, b->size)) g_bad += b->p[k] != 0;
      g_bad += malloc_usable_size(b->p) < b->size;
      g_bad += ((uintptr_t)b->p & 15) != 0; /* malloc alignment is 16 on both */
      fill(b);
    }
  }
}

static void free_all(int order) {
  for (int i = 0; i < SLOTS; i++) {
    int k = order == 0 ? i : order == 1 ? SLOTS - 1 - i : (i * 197) % SLOTS;
    struct block* b = &g_blocks[k];
    if (b->p) verify(b, b->size);
    free(b->p);
    b->p = NULL;
    b->size = 0;
  }
}

int main(void) {
  for (int order = 0; order < 3; order++) {
    churn(4000);
    free_all(order);
  }
  CHECK(g_bad == 0);
  printf("churn: 12000 operations, 3 free orders\n");

  /* Aligned allocation. */
  for (size_t align = 16; align <= 65536; align *= 4) {
    void* p = NULL;
    CHECK(posix_memalign(&p, align, 1000) == 0 && ((uintptr_t)p & (align - 1)) == 0);
    memset(p, 0xab, 1000);
    free(p);
    void* q = aligned_alloc(align, align * 2);
    CHECK(q && ((uintptr_t)q & (align - 1)) == 0);
    free(q);
  }
  void* bad_align = NULL;
  CHECK(posix_memalign(&bad_align, 24, 8) != 0); /* not a power of two: EINVAL */

  /* Big allocations: touched only sparsely, so they must be lazily mapped. */
  size_t big = (size_t)256 << 20;
  uint8_t* huge = malloc(big);
  CHECK(huge != NULL);
  if (huge) {
    for (size_t off = 0; off < big; off += (size_t)1 << 20) huge[off] = (uint8_t)(off >> 20);
    int ok = 1;
    for (size_t off = 0; off < big; off += (size_t)1 << 20) ok &= huge[off] == (uint8_t)(off >> 20);
    CHECK(ok && huge[4096] == 0);            /* fresh mmap'd memory reads as zero */
    uint8_t* grown = realloc(huge, big * 2); /* mremap of an mmap'd chunk */
    CHECK(grown != NULL);
    if (grown) {
      huge = grown;
      ok = 1;
      for (size_t off = 0; off < big; off += (size_t)1 << 20)
        ok &= huge[off] == (uint8_t)(off >> 20);
      huge[big * 2 - 1] = 9;
      CHECK(ok && huge[big * 2 - 1] == 9 && huge[big + 4096] == 0);
    }
    free(huge);
  }

  /* A long chain of small blocks allocated and freed LIFO grows and shrinks the brk heap. */
  enum { CHAIN = 20000 };
  static void* chain[CHAIN];
  for (int i = 0; i < CHAIN; i++) {
    chain[i] = malloc(24 + (size_t)(i % 7) * 40);
    memset(chain[i], i & 0xff, 24);
  }
  int ok = 1;
  for (int i = CHAIN - 1; i >= 0; i--) {
    ok &= ((uint8_t*)chain[i])[23] == (uint8_t)(i & 0xff);
    free(chain[i]);
  }
  CHECK(ok);
  CHECK(malloc_trim(0) >= 0);

  /* Direct anonymous mappings, as malloc uses them. */
  uint8_t* m = mmap(NULL, 3 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  m[0] = 1;
  m[(3 << 20) - 1] = 2;
  CHECK(munmap(m + (1 << 20), 1 << 20) == 0); /* punch a hole; the rest stays mapped */
  CHECK(m[0] == 1 && m[(3 << 20) - 1] == 2);
  CHECK(munmap(m, 3 << 20) == 0);
  printf("aligned, huge, chain and mmap ok\n");
  return finish("malloc_stress");
}
