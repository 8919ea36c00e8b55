// Advanced SIMD three same and scalar three same, FP opcodes (Arm ARM C4.1.95; pseudocode of
// C7.2 FADD (vector) ... FACGT): lane-wise arithmetic, fused multiply-accumulate, comparisons
// and the pairwise forms, for single and double lanes.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_fp.h"

namespace xvm::arm64::interp {
namespace {

using namespace simdfp;

// Vector form: 2S, 4S or 2D lanes (Q = 0 with sz = 1 is reserved).
template <const Pattern& P, class Op>
void same_vec(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), sz = fld<P, 'z'>(insn);
  need_vec(cpu, insn, sz, q);
  const VReg n = cpu.v[fld<P, 'n'>(insn)], m = cpu.v[fld<P, 'm'>(insn)];
  with_size(sz, [&](auto t) { map2<decltype(t)>(cpu, fld<P, 'd'>(insn), n, m, lanes(sz, q), op); });
}

// Pairwise vector form: the operands are concatenated as Vm:Vn and lane e of the result
// combines its elements 2e and 2e+1 (Arm ARM "concat = operand2:operand1").
template <const Pattern& P, class Op>
void pairwise_vec(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned q = fld<P, 'Q'>(insn), sz = fld<P, 'z'>(insn);
  need_vec(cpu, insn, sz, q);
  const VReg n = cpu.v[fld<P, 'n'>(insn)], m = cpu.v[fld<P, 'm'>(insn)];
  with_size(sz, [&](auto t) {
    using T = decltype(t);
    const unsigned count = lanes(sz, q);
    VReg even{}, odd{};
    for (unsigned e = 0; e < count; ++e) {
      const unsigned i = 2 * e;
      put<T>(even, e, i < count ? get<T>(n, i) : get<T>(m, i - count));
      put<T>(odd, e, i + 1 < count ? get<T>(n, i + 1) : get<T>(m, i + 1 - count));
    }
    map2<T>(cpu, fld<P, 'd'>(insn), even, odd, count, op);
  });
}

// Advanced SIMD scalar form: one element of 32 << sz bits; the rest of Vd is zeroed.
template <const Pattern& P, class Op>
void same_asisd(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned sz = fld<P, 'z'>(insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)], m = cpu.v[fld<P, 'm'>(insn)];
  with_size(sz, [&](auto t) { map2<decltype(t)>(cpu, fld<P, 'd'>(insn), n, m, 1, op); });
}

}  // namespace

void FADD_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FADD_vec>(cpu, insn, kAdd);
}
void FSUB_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FSUB_vec>(cpu, insn, kSub);
}
void FMUL_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMUL_vec>(cpu, insn, kMul);
}
void FDIV_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FDIV_vec>(cpu, insn, kDiv);
}
void FMAX_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMAX_vec>(cpu, insn, kMax);
}
void FMIN_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMIN_vec>(cpu, insn, kMin);
}
void FMAXNM_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMAXNM_vec>(cpu, insn, kMaxNum);
}
void FMINNM_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMINNM_vec>(cpu, insn, kMinNum);
}
void FMLA_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMLA_vec>(cpu, insn, kMla);
}
void FMLS_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMLS_vec>(cpu, insn, kMls);
}
void FMULX_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FMULX_vec>(cpu, insn, kMulX);
}
void FABD_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FABD_vec>(cpu, insn, kAbd);
}
void FRECPS_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FRECPS_vec>(cpu, insn, kRecpS);
}
void FRSQRTS_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FRSQRTS_vec>(cpu, insn, kRsqrtS);
}
void FCMEQ_reg_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FCMEQ_reg_vec>(cpu, insn, kCmEq);
}
void FCMGE_reg_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FCMGE_reg_vec>(cpu, insn, kCmGe);
}
void FCMGT_reg_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FCMGT_reg_vec>(cpu, insn, kCmGt);
}
void FACGE_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FACGE_vec>(cpu, insn, kAcGe);
}
void FACGT_vec(Cpu& cpu, uint32_t insn) {
  same_vec<pat::FACGT_vec>(cpu, insn, kAcGt);
}

void FADDP_vec(Cpu& cpu, uint32_t insn) {
  pairwise_vec<pat::FADDP_vec>(cpu, insn, kAdd);
}
void FMAXP_vec(Cpu& cpu, uint32_t insn) {
  pairwise_vec<pat::FMAXP_vec>(cpu, insn, kMax);
}
void FMINP_vec(Cpu& cpu, uint32_t insn) {
  pairwise_vec<pat::FMINP_vec>(cpu, insn, kMin);
}
void FMAXNMP_vec(Cpu& cpu, uint32_t insn) {
  pairwise_vec<pat::FMAXNMP_vec>(cpu, insn, kMaxNum);
}
void FMINNMP_vec(Cpu& cpu, uint32_t insn) {
  pairwise_vec<pat::FMINNMP_vec>(cpu, insn, kMinNum);
}

void FMULX_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FMULX_asisd>(cpu, insn, kMulX);
}
void FABD_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FABD_asisd>(cpu, insn, kAbd);
}
void FRECPS_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FRECPS_asisd>(cpu, insn, kRecpS);
}
void FRSQRTS_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FRSQRTS_asisd>(cpu, insn, kRsqrtS);
}
void FCMEQ_reg_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FCMEQ_reg_asisd>(cpu, insn, kCmEq);
}
void FCMGE_reg_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FCMGE_reg_asisd>(cpu, insn, kCmGe);
}
void FCMGT_reg_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FCMGT_reg_asisd>(cpu, insn, kCmGt);
}
void FACGE_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FACGE_asisd>(cpu, insn, kAcGe);
}
void FACGT_asisd(Cpu& cpu, uint32_t insn) {
  same_asisd<pat::FACGT_asisd>(cpu, insn, kAcGt);
}

}  // namespace xvm::arm64::interp
