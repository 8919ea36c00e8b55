// Advanced SIMD across lanes, integer (Arm ARM C4.1.96.12: ADDV, SADDLV, UADDLV, SMAXV, UMAXV,
// SMINV, UMINV) and scalar pairwise ADDP (C4.1.96.7). The result is a scalar in Vd, the rest
// of Vd zeroed. Across lanes reserves size = 11 and the 2S arrangement (size = 10, Q = 0).
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

using namespace simd;  // the private helpers of simd_common.h

// Folds op over the lanes of Vn and writes the result as an element of `out_size`.
template <const Pattern& P, class Op>
void across(Cpu& cpu, uint32_t insn, bool uns, bool widen_result, Op op) {
  const Fields<P> f{insn};
  const unsigned q = f.template u<'Q'>(), size = f.template u<'s'>();
  if (size == 3 || (size == 2 && !q)) undefined(cpu, insn);
  const VReg& a = cpu.v[f.template u<'n'>()];
  const unsigned count = lanes(size, q);
  Wide acc = 0;
  with_size(size, [&](auto s) {
    constexpr unsigned S = decltype(s)::value;
    acc = get<S>(a, 0, uns);
    for (unsigned i = 1; i < count; ++i) acc = op(acc, get<S>(a, i, uns));
  });
  VReg r{};
  set_lane(r, widen_result ? size + 1 : size, 0, static_cast<uint64_t>(acc));
  cpu.v[f.template u<'d'>()] = r;
}

constexpr auto kAdd = [](Wide a, Wide b) { return a + b; };
constexpr auto kMax = [](Wide a, Wide b) { return a > b ? a : b; };
constexpr auto kMin = [](Wide a, Wide b) { return a < b ? a : b; };

}  // namespace

void ADDV(Cpu& c, uint32_t i) {
  across<pat::ADDV>(c, i, true, false, kAdd);
}
void SADDLV(Cpu& c, uint32_t i) {
  across<pat::SADDLV>(c, i, false, true, kAdd);
}
void UADDLV(Cpu& c, uint32_t i) {
  across<pat::UADDLV>(c, i, true, true, kAdd);
}
void SMAXV(Cpu& c, uint32_t i) {
  across<pat::SMAXV>(c, i, false, false, kMax);
}
void UMAXV(Cpu& c, uint32_t i) {
  across<pat::UMAXV>(c, i, true, false, kMax);
}
void SMINV(Cpu& c, uint32_t i) {
  across<pat::SMINV>(c, i, false, false, kMin);
}
void UMINV(Cpu& c, uint32_t i) {
  across<pat::UMINV>(c, i, true, false, kMin);
}

// ADDP (scalar): Dd = Vn.D[0] + Vn.D[1]; only size = 11 is allocated.
void ADDP_scalar(Cpu& c, uint32_t i) {
  const Fields<pat::ADDP_scalar> f{i};
  if (f.u<'s'>() != 3) undefined(c, i);
  const VReg& a = c.v[f.u<'n'>()];
  VReg r{};
  r.d[0] = a.d[0] + a.d[1];
  c.v[f.u<'d'>()] = r;
}

}  // namespace xvm::arm64::interp
