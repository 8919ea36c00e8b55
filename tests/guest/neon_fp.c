/* NEON floating-point intrinsics: arithmetic, fused multiply-add, sqrt, min/max (with NaN
 * rules), comparisons, conversions with saturation, the five vector rounding modes, pairwise
 * and across-vector operations, and multiplies by a lane. References are the scalar C
 * operations (IEEE 754, computed by the scalar FPU) or, where C has no equivalent (FMAX's NaN
 * rule, FRECPE), the scalar form of the same instruction. AArch64 only (neon_common.h). */
#include <math.h>

#include "neon_common.h"

static double u2d(uint64_t u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* Lanes of moderate magnitude, with zeros, infinities, NaNs and subnormals mixed in. */
static void random_floats(Vec* v) {
  for (int i = 0; i < 4; i++) {
    uint64_t r = rnd();
    switch (r & 15) {
      case 0:
        v->f32[i] = (r & 16) ? -0.0f : 0.0f;
        break;
      case 1:
        v->f32[i] = (r & 16) ? -INFINITY : INFINITY;
        break;
      case 2:
        v->u32[i] = 0x7fc00000u | (uint32_t)(r >> 40 & 0xffff);
        break; /* quiet NaN */
      case 3:
        v->u32[i] = (uint32_t)(r >> 40) & 0x807fffffu;
        break; /* subnormal */
      case 4:
        v->f32[i] = (float)((int)(r >> 32) % 9) + 0.5f;
        break; /* ties */
      default:
        v->f32[i] = ldexpf(1.0f + (float)(r >> 41) * 0x1p-23f, (int)(r >> 8 & 63) - 32) *
                    ((r & 16) ? -1.0f : 1.0f);
    }
  }
}
static void random_doubles(Vec* v) {
  for (int i = 0; i < 2; i++) {
    uint64_t r = rnd();
    if ((r & 7) == 0)
      v->f64[i] = (r & 8) ? -0.0 : INFINITY;
    else
      v->f64[i] = ldexp(u2d(0x3ff0000000000000ull | r >> 12), (int)(r >> 4 & 127) - 64);
  }
}

static float fmax_insn(float a, float b) {
  float r;
  __asm__("fmax %s0, %s1, %s2" : "=w"(r) : "w"(a), "w"(b));
  return r;
}
static float fmin_insn(float a, float b) {
  float r;
  __asm__("fmin %s0, %s1, %s2" : "=w"(r) : "w"(a), "w"(b));
  return r;
}
static float frecpe_insn(float a) {
  float r;
  __asm__("frecpe %s0, %s1" : "=w"(r) : "w"(a));
  return r;
}
static float frsqrte_insn(float a) {
  float r;
  __asm__("frsqrte %s0, %s1" : "=w"(r) : "w"(a));
  return r;
}
static int32_t sat_s32(float f) { /* FCVTZS: truncate, saturate, NaN to 0 */
  if (isnan(f)) return 0;
  if (f >= 2147483648.0f) return INT32_MAX;
  if (f < -2147483648.0f) return INT32_MIN;
  return (int32_t)f;
}
static uint32_t sat_u32(float f) {
  if (isnan(f) || f <= 0) return 0;
  return f >= 4294967296.0f ? UINT32_MAX : (uint32_t)f;
}
static uint32_t mask(int c) {
  return c ? 0xffffffffu : 0;
}

static void float_ops(void) {
  float32x4_t a = vld1q_f32(A.f32), b = vld1q_f32(B.f32), c = vld1q_f32(C.f32);
  OP("fadd.4s", float, 4, vaddq_f32(a, b), A.f32[i] + B.f32[i]);
  OP("fsub.4s", float, 4, vsubq_f32(a, b), A.f32[i] - B.f32[i]);
  OP("fmul.4s", float, 4, vmulq_f32(a, b), A.f32[i] * B.f32[i]);
  OP("fdiv.4s", float, 4, vdivq_f32(a, b), A.f32[i] / B.f32[i]);
  OP("fsqrt.4s", float, 4, vsqrtq_f32(a), sqrtf(A.f32[i]));
  OP("fmla.4s", float, 4, vfmaq_f32(c, a, b), fmaf(A.f32[i], B.f32[i], C.f32[i]));
  OP("fmls.4s", float, 4, vfmsq_f32(c, a, b), fmaf(-A.f32[i], B.f32[i], C.f32[i]));
  OP("fabd.4s", float, 4, vabdq_f32(a, b), fabsf(A.f32[i] - B.f32[i]));
  OP("fneg.4s", float, 4, vnegq_f32(a), -A.f32[i]);
  OP("fabs.4s", float, 4, vabsq_f32(a), fabsf(A.f32[i]));
  OP("fmax.4s", float, 4, vmaxq_f32(a, b), fmax_insn(A.f32[i], B.f32[i]));
  OP("fmin.4s", float, 4, vminq_f32(a, b), fmin_insn(A.f32[i], B.f32[i]));
  OP("fmaxnm.4s", float, 4, vmaxnmq_f32(a, b), fmaxf(A.f32[i], B.f32[i]));
  OP("fminnm.4s", float, 4, vminnmq_f32(a, b), fminf(A.f32[i], B.f32[i]));
  OP("fcmeq.4s", uint32_t, 4, vceqq_f32(a, b), mask(A.f32[i] == B.f32[i]));
  OP("fcmgt.4s", uint32_t, 4, vcgtq_f32(a, b), mask(A.f32[i] > B.f32[i]));
  OP("fcmge.4s", uint32_t, 4, vcgeq_f32(a, b), mask(A.f32[i] >= B.f32[i]));
  OP("facgt.4s", uint32_t, 4, vcagtq_f32(a, b), mask(fabsf(A.f32[i]) > fabsf(B.f32[i])));
  OP("fcvtzs.4s", int32_t, 4, vcvtq_s32_f32(a), sat_s32(A.f32[i]));
  OP("fcvtzu.4s", uint32_t, 4, vcvtq_u32_f32(a), sat_u32(A.f32[i]));
  OP("fcvtns.4s", int32_t, 4, vcvtnq_s32_f32(a), sat_s32(nearbyintf(A.f32[i])));
  OP("fcvtas.4s", int32_t, 4, vcvtaq_s32_f32(a), sat_s32(roundf(A.f32[i])));
  OP("fcvtms.4s", int32_t, 4, vcvtmq_s32_f32(a), sat_s32(floorf(A.f32[i])));
  OP("scvtf.4s", float, 4, vcvtq_f32_s32(vld1q_s32(B.s32)), (float)B.s32[i]);
  OP("ucvtf.4s", float, 4, vcvtq_f32_u32(vld1q_u32(B.u32)), (float)B.u32[i]);
  OP("frintm.4s", float, 4, vrndmq_f32(a), floorf(A.f32[i]));
  OP("frintp.4s", float, 4, vrndpq_f32(a), ceilf(A.f32[i]));
  OP("frinta.4s", float, 4, vrndaq_f32(a), roundf(A.f32[i]));
  OP("frintn.4s", float, 4, vrndnq_f32(a), nearbyintf(A.f32[i]));
  OP("frintz.4s", float, 4, vrndq_f32(a), truncf(A.f32[i]));
  OP("fcvtl.2d", double, 2, vcvt_f64_f32(vget_low_f32(a)), (double)A.f32[i]);
  OP("faddp.4s", float, 4, vpaddq_f32(a, b),
     i < 2 ? A.f32[2 * i] + A.f32[2 * i + 1] : B.f32[2 * i - 4] + B.f32[2 * i - 3]);
  OP("frecpe.4s", float, 4, vrecpeq_f32(a), frecpe_insn(A.f32[i]));
  OP("frsqrte.4s", float, 4, vrsqrteq_f32(a), frsqrte_insn(A.f32[i]));
  OP("frecps.4s", float, 4, vrecpsq_f32(a, b),
     (isinf(A.f32[i]) && B.f32[i] == 0) || (A.f32[i] == 0 && isinf(B.f32[i]))
         ? 2.0f
         : fmaf(-A.f32[i], B.f32[i], 2.0f));
  OP("fmul.4s[lane]", float, 4, vmulq_laneq_f32(a, b, 3), A.f32[i] * B.f32[3]);
  OP("fmla.4s[lane]", float, 4, vfmaq_laneq_f32(c, a, b, 1), fmaf(A.f32[i], B.f32[1], C.f32[i]));
  OP("fmul.2s[lane]", float, 2, vmul_lane_f32(vget_low_f32(a), vget_high_f32(b), 0),
     A.f32[i] * B.f32[2]);
  /* Across-vector FMAXNMV works pairwise: max(max(a0, a1), max(a2, a3)). */
  OP("fmaxnmv.4s", float, 1, vmaxnmvq_f32(a),
     fmaxf(fmaxf(A.f32[0], A.f32[1]), fmaxf(A.f32[2], A.f32[3])));
}

static void double_ops(void) {
  float64x2_t a = vld1q_f64(A.f64), b = vld1q_f64(B.f64), c = vld1q_f64(C.f64);
  OP("fadd.2d", double, 2, vaddq_f64(a, b), A.f64[i] + B.f64[i]);
  OP("fmul.2d", double, 2, vmulq_f64(a, b), A.f64[i] * B.f64[i]);
  OP("fdiv.2d", double, 2, vdivq_f64(a, b), A.f64[i] / B.f64[i]);
  OP("fsqrt.2d", double, 2, vsqrtq_f64(a), sqrt(A.f64[i]));
  OP("fmla.2d", double, 2, vfmaq_f64(c, a, b), fma(A.f64[i], B.f64[i], C.f64[i]));
  OP("fmla.2d[lane]", double, 2, vfmaq_laneq_f64(c, a, b, 1), fma(A.f64[i], B.f64[1], C.f64[i]));
  OP("fcvtn.2s", float, 2, vcvt_f32_f64(a), (float)A.f64[i]);
  OP("fcvtzs.2d", int64_t, 2, vcvtq_s64_f64(a),
     A.f64[i] >= 0x1p63   ? INT64_MAX
     : A.f64[i] < -0x1p63 ? INT64_MIN
                          : (int64_t)A.f64[i]);
  OP("scvtf.2d", double, 2, vcvtq_f64_s64(vld1q_s64(B.s64)), (double)B.s64[i]);
  OP("fcmlt.2d", uint64_t, 2, vcltq_f64(a, b), A.f64[i] < B.f64[i] ? UINT64_MAX : 0);
  OP("faddp.2d", double, 1, vpaddd_f64(a), A.f64[0] + A.f64[1]);
  OP("fmaxv.2d", double, 1, vmaxvq_f64(a),
     isnan(A.f64[0]) || isnan(A.f64[1]) ? NAN : fmax(A.f64[0], A.f64[1]));
}

int main(void) {
  for (int iter = 0; iter < 1500; iter++) {
    random_floats(&A);
    random_floats(&B);
    random_floats(&C);
    float_ops();
    random_doubles(&A);
    random_doubles(&B);
    random_doubles(&C);
    double_ops();
  }
  printf("neon fp digest %016" PRIx64 "\n", g_digest);
  return finish("neon_fp");
}
