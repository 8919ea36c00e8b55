/* NEON data movement: table lookups TBL/TBX with one to four registers (out-of-range indices
 * give 0 or keep the destination), ZIP/UZP/TRN, EXT, DUP and lane insert/extract, integer
 * multiplies by a lane, and the structure loads and stores LD2/LD3/LD4/ST2/ST3/ST4 and
 * LD1R/LD1 (lane) that interleave and de-interleave memory. Each against its scalar
 * definition; AArch64 only (neon_common.h). */
#include "neon_common.h"

static uint8_t g_mem[4 * 64 + 16];

static void tables(void) {
  uint8x16_t t0 = vld1q_u8(A.u8), t1 = vld1q_u8(B.u8), t2 = vld1q_u8(C.u8), t3 = vld1q_u8(A.u8);
  uint8_t idx[16], all[64];
  for (int i = 0; i < 16; i++) idx[i] = (uint8_t)(rnd() % 80); /* some out of range */
  memcpy(all, A.u8, 16);
  memcpy(all + 16, B.u8, 16);
  memcpy(all + 32, C.u8, 16);
  memcpy(all + 48, A.u8, 16);
  uint8x16_t ix = vld1q_u8(idx), d = vld1q_u8(C.u8);
  uint8x16x2_t tt2 = {{t0, t1}};
  uint8x16x3_t tt3 = {{t0, t1, t2}};
  uint8x16x4_t tt4 = {{t0, t1, t2, t3}};
  OP("tbl1", uint8_t, 16, vqtbl1q_u8(t0, ix), idx[i] < 16 ? all[idx[i]] : 0);
  OP("tbl2", uint8_t, 16, vqtbl2q_u8(tt2, ix), idx[i] < 32 ? all[idx[i]] : 0);
  OP("tbl3", uint8_t, 16, vqtbl3q_u8(tt3, ix), idx[i] < 48 ? all[idx[i]] : 0);
  OP("tbl4", uint8_t, 16, vqtbl4q_u8(tt4, ix), idx[i] < 64 ? all[idx[i]] : 0);
  OP("tbx1", uint8_t, 16, vqtbx1q_u8(d, t0, ix), idx[i] < 16 ? all[idx[i]] : C.u8[i]);
  OP("tbx2", uint8_t, 16, vqtbx2q_u8(d, tt2, ix), idx[i] < 32 ? all[idx[i]] : C.u8[i]);
  OP("tbl1.8b", uint8_t, 8, vqtbl1_u8(t0, vget_low_u8(ix)), idx[i] < 16 ? all[idx[i]] : 0);
}

static void permutes(void) {
  uint8x16_t a8 = vld1q_u8(A.u8), b8 = vld1q_u8(B.u8);
  uint16x8_t a16 = vld1q_u16(A.u16), b16 = vld1q_u16(B.u16);
  uint32x4_t a32 = vld1q_u32(A.u32), b32 = vld1q_u32(B.u32);
  uint64x2_t a64 = vld1q_u64(A.u64), b64 = vld1q_u64(B.u64);
  /* ZIP1 takes the low halves alternately, ZIP2 the high halves; UZP1 the even elements of
   * a:b, UZP2 the odd ones; TRN1/TRN2 the even/odd elements of each pair. */
  OP("zip1.16b", uint8_t, 16, vzip1q_u8(a8, b8), (i & 1 ? B.u8 : A.u8)[i / 2]);
  OP("zip2.8h", uint16_t, 8, vzip2q_u16(a16, b16), (i & 1 ? B.u16 : A.u16)[4 + i / 2]);
  OP("zip1.2d", uint64_t, 2, vzip1q_u64(a64, b64), (i ? B.u64 : A.u64)[0]);
  OP("uzp1.4s", uint32_t, 4, vuzp1q_u32(a32, b32), i < 2 ? A.u32[2 * i] : B.u32[2 * i - 4]);
  OP("uzp2.16b", uint8_t, 16, vuzp2q_u8(a8, b8), i < 8 ? A.u8[2 * i + 1] : B.u8[2 * i - 15]);
  OP("trn1.8h", uint16_t, 8, vtrn1q_u16(a16, b16), (i & 1 ? B.u16[i - 1] : A.u16[i]));
  OP("trn2.4s", uint32_t, 4, vtrn2q_u32(a32, b32), (i & 1 ? B.u32[i] : A.u32[i + 1]));
  OP("ext.16b #5", uint8_t, 16, vextq_u8(a8, b8, 5), i + 5 < 16 ? A.u8[i + 5] : B.u8[i - 11]);
  OP("ext.8b #3", uint8_t, 8, vext_u8(vget_low_u8(a8), vget_low_u8(b8), 3),
     i + 3 < 8 ? A.u8[i + 3] : B.u8[i - 5]);
  OP("dup.8h[5]", uint16_t, 8, vdupq_laneq_u16(a16, 5), A.u16[5]);
  OP("dup.4s(w)", uint32_t, 4, vdupq_n_u32(B.u32[2]), B.u32[2]);
  OP("ins.4s[2]", uint32_t, 4, vsetq_lane_u32(B.u32[0], a32, 2), i == 2 ? B.u32[0] : A.u32[i]);
  OP("ins.16b[3]<-[9]", uint8_t, 16, vcopyq_laneq_u8(a8, 3, b8, 9), i == 3 ? B.u8[9] : A.u8[i]);
  OP("umov.8h[7]", uint16_t, 1, vgetq_lane_u16(a16, 7), A.u16[7]);
  OP("smov.16b[15]", int64_t, 1, (int64_t)vgetq_lane_s8(vld1q_s8(A.s8), 15), A.s8[15]);
  OP("combine", uint32_t, 4, vcombine_u32(vget_high_u32(a32), vget_low_u32(b32)),
     i < 2 ? A.u32[i + 2] : B.u32[i - 2]);
  OP("rev16.16b", uint8_t, 16, vrev16q_u8(a8), A.u8[i ^ 1]);
}

static void by_lane(void) {
  int16x8_t a16 = vld1q_s16(A.s16), b16 = vld1q_s16(B.s16);
  int32x4_t a32 = vld1q_s32(A.s32), b32 = vld1q_s32(B.s32), c32 = vld1q_s32(C.s32);
  uint16x8_t ua16 = vld1q_u16(A.u16), ub16 = vld1q_u16(B.u16), uc16 = vld1q_u16(C.u16);
  OP("mul.8h[6]", int16_t, 8, vmulq_laneq_s16(a16, b16, 6),
     (uint16_t)A.s16[i] * (uint16_t)B.s16[6]);
  OP("mla.8h[2]", uint16_t, 8, vmlaq_laneq_u16(uc16, ua16, ub16, 2),
     C.u16[i] + A.u16[i] * B.u16[2]);
  OP("mul.4s[1]", int32_t, 4, vmulq_lane_s32(a32, vget_low_s32(b32), 1),
     (uint32_t)A.s32[i] * (uint32_t)B.s32[1]);
  OP("smull.4s[3]", int32_t, 4, vmull_laneq_s16(vget_low_s16(a16), b16, 3),
     (int32_t)A.s16[i] * B.s16[3]);
  OP("smlal2.4s[7]", int32_t, 4, vmlal_high_laneq_s16(c32, a16, b16, 7),
     (uint32_t)C.s32[i] + (uint32_t)((int32_t)A.s16[i + 4] * B.s16[7]));
  OP("sqdmulh.8h[0]", int16_t, 8, vqdmulhq_laneq_s16(a16, b16, 0),
     sat((2 * (int64_t)A.s16[i] * B.s16[0]) >> 16, -32768, 32767));
  OP("sqrdmulh.4s[2]", int32_t, 4, vqrdmulhq_laneq_s32(a32, b32, 2),
     sat((2 * (__int128)A.s32[i] * B.s32[2] + (1ll << 31)) >> 32, INT32_MIN, INT32_MAX));
}

static void structures(void) {
  for (size_t i = 0; i < sizeof g_mem; i++) g_mem[i] = (uint8_t)rnd();
  size_t off = rnd() % 16; /* unaligned */
  const uint8_t* m = g_mem + off;
  uint8x16x2_t l2 = vld2q_u8(m);
  OP("ld2.16b[0]", uint8_t, 16, l2.val[0], m[2 * i]);
  OP("ld2.16b[1]", uint8_t, 16, l2.val[1], m[2 * i + 1]);
  uint16_t m16[24], st3[24];
  memcpy(m16, m, sizeof m16);
  uint16x8x3_t l3 = vld3q_u16(m16);
  OP("ld3.8h[0]", uint16_t, 8, l3.val[0], m16[3 * i]);
  OP("ld3.8h[2]", uint16_t, 8, l3.val[2], m16[3 * i + 2]);
  uint32_t m32[16];
  memcpy(m32, m, sizeof m32);
  uint32x4x4_t l4 = vld4q_u32(m32);
  OP("ld4.4s[1]", uint32_t, 4, l4.val[1], m32[4 * i + 1]);
  OP("ld4.4s[3]", uint32_t, 4, l4.val[3], m32[4 * i + 3]);
  OP("ld1r.8h", uint16_t, 8, vld1q_dup_u16(m16 + 5), m16[5]);
  OP("ld1.4s[3]", uint32_t, 4, vld1q_lane_u32(m32 + 7, vld1q_u32(A.u32), 3),
     i == 3 ? m32[7] : A.u32[i]);
  uint8x16x4_t l4b = vld4q_u8(m);
  OP("ld4.16b[2]", uint8_t, 16, l4b.val[2], m[4 * i + 2]);

  /* Stores: write the de-interleaved registers back and get the original bytes. */
  uint8_t out[64 + 16];
  memset(out, 0xcc, sizeof out);
  vst2q_u8(out + 3, l2);
  int ok = memcmp(out + 3, m, 32) == 0 && out[2] == 0xcc && out[35] == 0xcc;
  vst4q_u8(out + 1, l4b);
  ok &= memcmp(out + 1, m, 64) == 0 && out[0] == 0xcc && out[65] == 0xcc;
  vst3q_u16(st3, l3);
  ok &= memcmp(st3, m16, sizeof st3) == 0;
  uint32_t st4[16];
  vst4q_u32(st4, l4);
  ok &= memcmp(st4, m32, sizeof st4) == 0;
  vst1q_lane_u16(m16, vdupq_n_u16(0xbeef), 0);
  ok &= m16[0] == 0xbeef;
  CHECK(ok);
  g_digest = digest_add(g_digest, m16[1]);
}

int main(void) {
  for (int iter = 0; iter < 500; iter++) {
    randomize(&A);
    randomize(&B);
    randomize(&C);
    tables();
    permutes();
    by_lane();
    structures();
  }
  printf("neon permute digest %016" PRIx64 "\n", g_digest);
  return finish("neon_permute");
}
