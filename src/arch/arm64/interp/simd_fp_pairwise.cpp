// Advanced SIMD across lanes and scalar pairwise, FP (Arm ARM C4.1.95; C7.2 FMAXV, FMAXNMV,
// FMINV, FMINNMV, FADDP/FMAXP/FMINP/FMAXNMP/FMINNMP (scalar)).
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_fp.h"

namespace xvm::arm64::interp {
namespace {

using namespace simdfp;

// Across lanes: only the 4S arrangement exists in ARMv8.0 (sz = 1 or Q = 0 is reserved; the
// half-precision forms are U = 0 and unallocated here). The Arm ARM "Reduce" halves the vector
// recursively, so the result is op(op(e0, e1), op(e2, e3)) -- the order matters for which NaN
// propagates.
template <const Pattern& P, class Op>
void across(Cpu& cpu, uint32_t insn, Op op) {
  if (fld<P, 'z'>(insn) || !fld<P, 'Q'>(insn)) undefined(cpu, insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  const uint32_t lo = op(n.s[0], n.s[1], cpu);
  const uint32_t hi = op(n.s[2], n.s[3], cpu);
  VReg r{};
  r.s[0] = op(lo, hi, cpu);
  cpu.v[fld<P, 'd'>(insn)] = r;
}

// Scalar pairwise: the two elements of Vn (2S for sz = 0, 2D for sz = 1) give one scalar.
template <const Pattern& P, class Op>
void pair_asisd(Cpu& cpu, uint32_t insn, Op op) {
  const unsigned sz = fld<P, 'z'>(insn);
  const VReg n = cpu.v[fld<P, 'n'>(insn)];
  with_size(sz, [&](auto t) {
    using T = decltype(t);
    VReg r{};
    put<T>(r, 0, op(get<T>(n, 0), get<T>(n, 1), cpu));
    cpu.v[fld<P, 'd'>(insn)] = r;
  });
}

}  // namespace

void FMAXV(Cpu& cpu, uint32_t insn) {
  across<pat::FMAXV>(cpu, insn, kMax);
}
void FMINV(Cpu& cpu, uint32_t insn) {
  across<pat::FMINV>(cpu, insn, kMin);
}
void FMAXNMV(Cpu& cpu, uint32_t insn) {
  across<pat::FMAXNMV>(cpu, insn, kMaxNum);
}
void FMINNMV(Cpu& cpu, uint32_t insn) {
  across<pat::FMINNMV>(cpu, insn, kMinNum);
}

void FADDP_asisd(Cpu& cpu, uint32_t insn) {
  pair_asisd<pat::FADDP_asisd>(cpu, insn, kAdd);
}
void FMAXP_asisd(Cpu& cpu, uint32_t insn) {
  pair_asisd<pat::FMAXP_asisd>(cpu, insn, kMax);
}
void FMINP_asisd(Cpu& cpu, uint32_t insn) {
  pair_asisd<pat::FMINP_asisd>(cpu, insn, kMin);
}
void FMAXNMP_asisd(Cpu& cpu, uint32_t insn) {
  pair_asisd<pat::FMAXNMP_asisd>(cpu, insn, kMaxNum);
}
void FMINNMP_asisd(Cpu& cpu, uint32_t insn) {
  pair_asisd<pat::FMINNMP_asisd>(cpu, insn, kMinNum);
}

}  // namespace xvm::arm64::interp
