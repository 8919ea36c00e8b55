/* NEON integer intrinsics (<arm_neon.h>): wrapping and saturating arithmetic, halving and
 * rounding, shifts by immediate and by register, widening and narrowing (with and without
 * saturation and rounding), pairwise and across-vector reductions, bit counts, comparisons and
 * bitwise selects, each against its scalar definition (see neon_common.h). AArch64 only. */
#include "neon_common.h"

/* SSHL/USHL by register: the shift is the signed low byte of the second operand; negative
 * shifts right, and shifts of the element size or more give 0 (or the sign). */
static int64_t sshl(int64_t a, int8_t s, int bits) {
  if (s >= 0) return s >= bits ? 0 : (int64_t)((uint64_t)a << s);
  return -s >= bits ? (a < 0 ? -1 : 0) : a >> -s;
}
static uint64_t ushl(uint64_t a, int8_t s, int bits) {
  if (s >= 0) return s >= bits ? 0 : a << s;
  return -s >= bits ? 0 : a >> -s;
}
/* UQSHL by register, 8-bit lanes: left shifts that lose bits saturate to 0xff. */
static uint8_t uqshl8(uint8_t a, int8_t s) {
  if (s < 0) return -s >= 8 ? 0 : a >> -s;
  if (a == 0) return 0;
  return s >= 8 || (a << s) > 0xff ? 0xff : (uint8_t)(a << s);
}
static int clz16(uint16_t x) {
  return x ? __builtin_clz(x) - 16 : 16;
}
static uint8_t rbit8(uint8_t x) {
  uint8_t r = 0;
  for (int i = 0; i < 8; i++) r |= (uint8_t)(((x >> i) & 1) << (7 - i));
  return r;
}
static int cls8(int8_t x) {
  return __builtin_clrsb((int32_t)x) - 24;
}

static void arithmetic(void) {
  uint8x16_t au8 = vld1q_u8(A.u8), bu8 = vld1q_u8(B.u8);
  int8x16_t as8 = vld1q_s8(A.s8), bs8 = vld1q_s8(B.s8);
  uint16x8_t au16 = vld1q_u16(A.u16), bu16 = vld1q_u16(B.u16), cu16 = vld1q_u16(C.u16);
  int16x8_t as16 = vld1q_s16(A.s16), bs16 = vld1q_s16(B.s16);
  uint32x4_t au32 = vld1q_u32(A.u32), bu32 = vld1q_u32(B.u32);
  int32x4_t as32 = vld1q_s32(A.s32), bs32 = vld1q_s32(B.s32), cs32 = vld1q_s32(C.s32);
  int64x2_t as64 = vld1q_s64(A.s64), bs64 = vld1q_s64(B.s64);

  OP("add.16b", uint8_t, 16, vaddq_u8(au8, bu8), A.u8[i] + B.u8[i]);
  OP("sub.8h", int16_t, 8, vsubq_s16(as16, bs16), (uint16_t)A.s16[i] - (uint16_t)B.s16[i]);
  OP("mul.4s", int32_t, 4, vmulq_s32(as32, bs32), (uint32_t)A.s32[i] * (uint32_t)B.s32[i]);
  OP("mla.8h", uint16_t, 8, vmlaq_u16(cu16, au16, bu16), C.u16[i] + A.u16[i] * B.u16[i]);
  OP("mls.4s", int32_t, 4, vmlsq_s32(cs32, as32, bs32),
     (uint32_t)C.s32[i] - (uint32_t)A.s32[i] * (uint32_t)B.s32[i]);
  OP("sabd.16b", int8_t, 16, vabdq_s8(as8, bs8), llabs((int64_t)A.s8[i] - B.s8[i]));
  OP("uabd.8h", uint16_t, 8, vabdq_u16(au16, bu16), llabs((int64_t)A.u16[i] - B.u16[i]));
  OP("smax.8h", int16_t, 8, vmaxq_s16(as16, bs16), A.s16[i] > B.s16[i] ? A.s16[i] : B.s16[i]);
  OP("umin.4s", uint32_t, 4, vminq_u32(au32, bu32), A.u32[i] < B.u32[i] ? A.u32[i] : B.u32[i]);
  OP("sqadd.16b", int8_t, 16, vqaddq_s8(as8, bs8), sat(A.s8[i] + B.s8[i], -128, 127));
  OP("uqadd.16b", uint8_t, 16, vqaddq_u8(au8, bu8), sat(A.u8[i] + B.u8[i], 0, 255));
  OP("uqsub.8h", uint16_t, 8, vqsubq_u16(au16, bu16), sat((int64_t)A.u16[i] - B.u16[i], 0, 65535));
  OP("sqsub.4s", int32_t, 4, vqsubq_s32(as32, bs32),
     sat((int64_t)A.s32[i] - B.s32[i], INT32_MIN, INT32_MAX));
  OP("sqadd.2d", int64_t, 2, vqaddq_s64(as64, bs64),
     (int64_t)sat((__int128)A.s64[i] + B.s64[i] > INT64_MAX   ? INT64_MAX
                  : (__int128)A.s64[i] + B.s64[i] < INT64_MIN ? INT64_MIN
                                                              : A.s64[i] + (__int128)B.s64[i],
                  INT64_MIN, INT64_MAX));
  OP("sqdmulh.8h", int16_t, 8, vqdmulhq_s16(as16, bs16),
     sat((2 * (int64_t)A.s16[i] * B.s16[i]) >> 16, -32768, 32767));
  OP("sqrdmulh.4s", int32_t, 4, vqrdmulhq_s32(as32, bs32),
     sat((2 * (__int128)A.s32[i] * B.s32[i] + (1ll << 31)) >> 32, INT32_MIN, INT32_MAX));
  OP("uhadd.16b", uint8_t, 16, vhaddq_u8(au8, bu8), (A.u8[i] + B.u8[i]) >> 1);
  OP("srhadd.16b", int8_t, 16, vrhaddq_s8(as8, bs8), (A.s8[i] + B.s8[i] + 1) >> 1);
  OP("abs.16b", int8_t, 16, vabsq_s8(as8), (uint8_t)(A.s8[i] < 0 ? -A.s8[i] : A.s8[i]));
  OP("sqabs.16b", int8_t, 16, vqabsq_s8(as8), sat(llabs(A.s8[i]), -128, 127));
  OP("neg.4s", int32_t, 4, vnegq_s32(as32), 0u - (uint32_t)A.s32[i]);
  OP("sqneg.8h", int16_t, 8, vqnegq_s16(as16), sat(-(int64_t)A.s16[i], -32768, 32767));
}

static void shifts(void) {
  uint8x16_t au8 = vld1q_u8(A.u8);
  int8x16_t bs8 = vld1q_s8(B.s8);
  int16x8_t as16 = vld1q_s16(A.s16);
  uint32x4_t au32 = vld1q_u32(A.u32), cu32 = vld1q_u32(C.u32);
  int32x4_t as32 = vld1q_s32(A.s32), bs32 = vld1q_s32(B.s32);
  int64x2_t as64 = vld1q_s64(A.s64);
  uint64x2_t au64 = vld1q_u64(A.u64), bu64 = vld1q_u64(B.u64);

  /* Shift amounts from B: bytes of -128..127, so all the out-of-range cases occur. */
  OP("sshl.4s", int32_t, 4, vshlq_s32(as32, bs32), sshl(A.s32[i], (int8_t)B.s32[i], 32));
  OP("ushl.2d", uint64_t, 2, vshlq_u64(au64, vreinterpretq_s64_u64(bu64)),
     ushl(A.u64[i], (int8_t)B.u64[i], 64));
  OP("uqshl.16b", uint8_t, 16, vqshlq_u8(au8, bs8), uqshl8(A.u8[i], B.s8[i]));
  OP("shl.8h #5", int16_t, 8, vshlq_n_s16(as16, 5), (uint16_t)A.s16[i] << 5);
  OP("sshr.2d #63", int64_t, 2, vshrq_n_s64(as64, 63), A.s64[i] < 0 ? -1 : 0);
  OP("ushr.4s #31", uint32_t, 4, vshrq_n_u32(au32, 31), A.u32[i] >> 31);
  OP("srshr.8h #3", int16_t, 8, vrshrq_n_s16(as16, 3), ((int32_t)A.s16[i] + 4) >> 3);
  OP("usra.4s #5", uint32_t, 4, vsraq_n_u32(cu32, au32, 5), C.u32[i] + (A.u32[i] >> 5));
  OP("sli.4s #8", uint32_t, 4, vsliq_n_u32(cu32, au32, 8), (A.u32[i] << 8) | (C.u32[i] & 0xff));
  OP("sri.4s #8", uint32_t, 4, vsriq_n_u32(cu32, au32, 8),
     (A.u32[i] >> 8) | (C.u32[i] & 0xff000000u));
  OP("sqshl.8h #4", int16_t, 8, vqshlq_n_s16(as16, 4), sat((int64_t)A.s16[i] * 16, -32768, 32767));
}

static void widen_narrow(void) {
  uint8x16_t au8 = vld1q_u8(A.u8), bu8 = vld1q_u8(B.u8);
  int8x16_t as8 = vld1q_s8(A.s8), bs8 = vld1q_s8(B.s8);
  int16x8_t as16 = vld1q_s16(A.s16), bs16 = vld1q_s16(B.s16);
  uint16x8_t au16 = vld1q_u16(A.u16);
  int32x4_t as32 = vld1q_s32(A.s32), cs32 = vld1q_s32(C.s32);
  uint32x4_t bu32 = vld1q_u32(B.u32);
  uint64x2_t au64 = vld1q_u64(A.u64);

  OP("uxtl.8h", uint16_t, 8, vmovl_u8(vget_low_u8(au8)), A.u8[i]);
  OP("sxtl2.4s", int32_t, 4, vmovl_high_s16(as16), A.s16[i + 4]);
  OP("smull.4s", int32_t, 4, vmull_s16(vget_low_s16(as16), vget_low_s16(bs16)),
     (int32_t)A.s16[i] * B.s16[i]);
  OP("umull2.8h", uint16_t, 8, vmull_high_u8(au8, bu8), A.u8[i + 8] * B.u8[i + 8]);
  OP("saddl.8h", int16_t, 8, vaddl_s8(vget_low_s8(as8), vget_low_s8(bs8)), A.s8[i] + B.s8[i]);
  OP("uaddw.4s", uint32_t, 4, vaddw_u16(bu32, vget_low_u16(au16)), B.u32[i] + A.u16[i]);
  OP("ssubl2.8h", int16_t, 8, vsubl_high_s8(as8, bs8), A.s8[i + 8] - B.s8[i + 8]);
  OP("smlal.4s", int32_t, 4, vmlal_s16(cs32, vget_low_s16(as16), vget_low_s16(bs16)),
     (uint32_t)C.s32[i] + (uint32_t)((int32_t)A.s16[i] * B.s16[i]));
  OP("sqdmlal.4s", int32_t, 4, vqdmlal_s16(cs32, vget_low_s16(as16), vget_low_s16(bs16)),
     sat(C.s32[i] + sat(2 * (int64_t)A.s16[i] * B.s16[i], INT32_MIN, INT32_MAX), INT32_MIN,
         INT32_MAX));
  OP("xtn.2s", uint32_t, 2, vmovn_u64(au64), (uint32_t)A.u64[i]);
  OP("sqxtn.4h", int16_t, 4, vqmovn_s32(as32), sat(A.s32[i], -32768, 32767));
  OP("sqxtun.8b", uint8_t, 8, vqmovun_s16(as16), sat(A.s16[i], 0, 255));
  OP("uqxtn.8b", uint8_t, 8, vqmovn_u16(au16), sat(A.u16[i], 0, 255));
  OP("shrn.8b #4", uint8_t, 8, vshrn_n_u16(au16, 4), A.u16[i] >> 4);
  OP("rshrn.4h #7", int16_t, 4, vrshrn_n_s32(as32, 7), ((int64_t)A.s32[i] + 64) >> 7);
  OP("sqrshrn.4h #7", int16_t, 4, vqrshrn_n_s32(as32, 7),
     sat(((int64_t)A.s32[i] + 64) >> 7, -32768, 32767));
  OP("uaddlp.8h", uint16_t, 8, vpaddlq_u8(au8), A.u8[2 * i] + A.u8[2 * i + 1]);
  OP("addp.4s", int32_t, 4, vpaddq_s32(as32, cs32),
     i < 2 ? (uint32_t)A.s32[2 * i] + (uint32_t)A.s32[2 * i + 1]
           : (uint32_t)C.s32[2 * i - 4] + (uint32_t)C.s32[2 * i - 3]);
}

static void reductions_bits(void) {
  uint8x16_t au8 = vld1q_u8(A.u8), bu8 = vld1q_u8(B.u8), cu8 = vld1q_u8(C.u8);
  int8x16_t as8 = vld1q_s8(A.s8);
  int16x8_t as16 = vld1q_s16(A.s16), bs16 = vld1q_s16(B.s16);
  uint16x8_t au16 = vld1q_u16(A.u16), bu16 = vld1q_u16(B.u16);
  uint32x4_t au32 = vld1q_u32(A.u32), bu32 = vld1q_u32(B.u32);

  uint32_t sum8 = 0, lsum16 = 0;
  int16_t max16 = INT16_MIN;
  uint32_t min32 = UINT32_MAX;
  for (int k = 0; k < 16; k++) sum8 += A.u8[k];
  for (int k = 0; k < 8; k++) {
    lsum16 += (uint32_t)A.s16[k];
    if (A.s16[k] > max16) max16 = A.s16[k];
  }
  for (int k = 0; k < 4; k++)
    if (A.u32[k] < min32) min32 = A.u32[k];
  OP("addv.16b", uint8_t, 1, vaddvq_u8(au8), sum8);
  OP("saddlv.8h", int32_t, 1, vaddlvq_s16(as16), lsum16);
  OP("smaxv.8h", int16_t, 1, vmaxvq_s16(as16), max16);
  OP("uminv.4s", uint32_t, 1, vminvq_u32(au32), min32);
  OP("cnt.16b", uint8_t, 16, vcntq_u8(au8), __builtin_popcount(A.u8[i]));
  OP("clz.8h", uint16_t, 8, vclzq_u16(au16), clz16(A.u16[i]));
  OP("cls.16b", int8_t, 16, vclsq_s8(as8), cls8(A.s8[i]));
  OP("rbit.16b", uint8_t, 16, vrbitq_u8(au8), rbit8(A.u8[i]));
  OP("rev64.8h", uint16_t, 8, vrev64q_u16(au16), A.u16[(i & ~3) | (3 - (i & 3))]);
  OP("rev32.16b", uint8_t, 16, vrev32q_u8(au8), A.u8[(i & ~3) | (3 - (i & 3))]);
  OP("bsl.16b", uint8_t, 16, vbslq_u8(cu8, au8, bu8), (C.u8[i] & A.u8[i]) | (~C.u8[i] & B.u8[i]));
  OP("bic.16b", uint8_t, 16, vbicq_u8(au8, bu8), A.u8[i] & ~B.u8[i]);
  OP("orn.16b", uint8_t, 16, vornq_u8(au8, bu8), A.u8[i] | ~B.u8[i]);
  OP("eor.16b", uint8_t, 16, veorq_u8(au8, bu8), A.u8[i] ^ B.u8[i]);
  OP("cmeq.8h", uint16_t, 8, vceqq_s16(as16, bs16), A.s16[i] == B.s16[i] ? 0xffff : 0);
  OP("cmhi.4s", uint32_t, 4, vcgtq_u32(au32, bu32), A.u32[i] > B.u32[i] ? 0xffffffffu : 0);
  OP("cmge.8h", uint16_t, 8, vcgeq_s16(as16, bs16), A.s16[i] >= B.s16[i] ? 0xffff : 0);
  OP("cmlt #0.16b", uint8_t, 16, vcltzq_s8(as8), A.s8[i] < 0 ? 0xff : 0);
  OP("cmtst.8h", uint16_t, 8, vtstq_u16(au16, bu16), (A.u16[i] & B.u16[i]) ? 0xffff : 0);
}

int main(void) {
  for (int iter = 0; iter < 400; iter++) {
    randomize(&A);
    randomize(&B);
    randomize(&C);
    arithmetic();
    shifts();
    widen_narrow();
    reductions_bits();
  }
  printf("neon integer digest %016" PRIx64 "\n", g_digest);
  return finish("neon_int");
}
