// Advanced SIMD (scalar) x indexed element, FP (Arm ARM C4.1.95; C7.2 FMLA/FMLS/FMUL/FMULX
// (by element)): every lane of Vn against one element of Vm. FMLA/FMLS are fused
// (FPMulAdd(d, n, m[index]), FMLS negating n) like the vector forms.
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_fp.h"

namespace xvm::arm64::interp {
namespace {

using namespace simdfp;

// Decodes the element operand: for single lanes index = H:L and Vm is M:Rm (all 32 registers);
// for double lanes index = H, and L = 1 (sz:L = 11) is reserved. The vector form also reserves
// sz = 1 with Q = 0. Then runs the lane loop with Vm's element broadcast.
template <const Pattern& P, class Op>
void by_element(Cpu& cpu, uint32_t insn, unsigned count_q, bool vector, Op op) {
  const unsigned sz = fld<P, 'z'>(insn), l = fld<P, 'L'>(insn), h = fld<P, 'H'>(insn);
  if (sz && l) undefined(cpu, insn);
  if (vector) need_vec(cpu, insn, sz, count_q);
  const unsigned index = sz ? h : (h << 1) | l;
  const unsigned m = (fld<P, 'M'>(insn) << 4) | fld<P, 'm'>(insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  with_size(sz, [&](auto t) {
    using T = decltype(t);
    const VReg mb = broadcast<T>(cpu.v[m], index);
    map2<T>(cpu, fld<P, 'd'>(insn), n, mb, vector ? lanes(sz, count_q) : 1, op);
  });
}

template <const Pattern& P, class Op>
void elem_vec(Cpu& cpu, uint32_t insn, Op op) {
  by_element<P>(cpu, insn, fld<P, 'Q'>(insn), true, op);
}

template <const Pattern& P, class Op>
void elem_asisd(Cpu& cpu, uint32_t insn, Op op) {
  by_element<P>(cpu, insn, 0, false, op);
}

}  // namespace

void FMLA_elem_vec(Cpu& cpu, uint32_t insn) {
  elem_vec<pat::FMLA_elem_vec>(cpu, insn, kMla);
}
void FMLS_elem_vec(Cpu& cpu, uint32_t insn) {
  elem_vec<pat::FMLS_elem_vec>(cpu, insn, kMls);
}
void FMUL_elem_vec(Cpu& cpu, uint32_t insn) {
  elem_vec<pat::FMUL_elem_vec>(cpu, insn, kMul);
}
void FMULX_elem_vec(Cpu& cpu, uint32_t insn) {
  elem_vec<pat::FMULX_elem_vec>(cpu, insn, kMulX);
}

void FMLA_elem_asisd(Cpu& cpu, uint32_t insn) {
  elem_asisd<pat::FMLA_elem_asisd>(cpu, insn, kMla);
}
void FMLS_elem_asisd(Cpu& cpu, uint32_t insn) {
  elem_asisd<pat::FMLS_elem_asisd>(cpu, insn, kMls);
}
void FMUL_elem_asisd(Cpu& cpu, uint32_t insn) {
  elem_asisd<pat::FMUL_elem_asisd>(cpu, insn, kMul);
}
void FMULX_elem_asisd(Cpu& cpu, uint32_t insn) {
  elem_asisd<pat::FMULX_elem_asisd>(cpu, insn, kMulX);
}

}  // namespace xvm::arm64::interp
