/* Shared by the NEON intrinsic programs (neon_*.c): AArch64 only, so qemu-aarch64 is the only
 * reference besides the checks themselves. Each operation runs on random inputs and is compared
 * lane by lane with a scalar C definition of the instruction (the Arm ARM pseudocode, written
 * out); these programs are built with -fno-tree-vectorize so the scalar side stays scalar.
 * A digest of every result vector is printed, so a wrong result that the scalar definition
 * happens to share is still caught by the comparison with qemu-aarch64. */
#ifndef XVM_GUEST_NEON_COMMON_H
#define XVM_GUEST_NEON_COMMON_H

#include <arm_neon.h>
#include <string.h>

#include "guest_check.h"

/* The random operands, viewed as every element type. */
typedef union {
  uint8_t u8[16];
  int8_t s8[16];
  uint16_t u16[8];
  int16_t s16[8];
  uint32_t u32[4];
  int32_t s32[4];
  uint64_t u64[2];
  int64_t s64[2];
  float f32[4];
  double f64[2];
} Vec;

static Vec A, B, C;
static uint64_t g_digest = DIGEST_INIT;
static unsigned g_op_failures;

/* Random lanes, with a bias towards the values where saturation and overflow happen. */
static inline void randomize(Vec* v) {
  for (int i = 0; i < 16; i++) {
    uint64_t r = rnd();
    uint8_t special[] = {0x00, 0x7f, 0x80, 0xff, 0x01, 0xfe};
    v->u8[i] = (r & 0x300) == 0 ? special[(r >> 16) % 6] : (uint8_t)r;
  }
}

/* OP(name, element type, lane count, vector expression, scalar expression of lane i).
 * Lanes must be bit-identical, except that any NaN matches any NaN: when both operands are
 * NaNs, which one propagates depends on operand order, and gcc may swap the operands of the
 * scalar reference's commutative operations. The digest keeps the exact bits for qemu. */
#define OP(name, T, N, vexpr, ref)                                        \
  do {                                                                    \
    __typeof__(vexpr) v_ = (vexpr);                                       \
    T got_[N], want_[N];                                                  \
    _Static_assert(sizeof v_ == sizeof got_, "lane type/count mismatch"); \
    memcpy(got_, &v_, sizeof got_);                                       \
    for (int i = 0; i < (N); i++) want_[i] = (T)(ref);                    \
    int ok_ = 1;                                                          \
    for (int i = 0; i < (N); i++)                                         \
      ok_ &= memcmp(&got_[i], &want_[i], sizeof(T)) == 0 ||               \
             (got_[i] != got_[i] && want_[i] != want_[i]);                \
    g_checks++;                                                           \
    if (!ok_ && ++g_op_failures <= 20) printf("FAIL %s\n", name);         \
    g_failures += !ok_;                                                   \
    for (size_t k = 0; k < sizeof got_; k += 8) {                         \
      uint64_t w_ = 0;                                                    \
      size_t n_ = sizeof got_ - k < 8 ? sizeof got_ - k : 8;              \
      memcpy(&w_, (const char*)got_ + k, n_);                             \
      g_digest = digest_add(g_digest, w_);                                \
    }                                                                     \
  } while (0)

static inline int64_t sat(int64_t x, int64_t lo, int64_t hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

#endif
