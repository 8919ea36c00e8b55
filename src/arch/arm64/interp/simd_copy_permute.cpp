// Advanced SIMD copy (Arm ARM C4.1.96.13: DUP, INS, SMOV, UMOV), scalar copy (C4.1.96.6),
// permute (C4.1.96.3: UZP, TRN, ZIP), extract (C4.1.96.4: EXT) and table lookup (C4.1.96.2:
// TBL, TBX).
#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/simd_common.h"

namespace xvm::arm64::interp {
namespace {

using namespace simd;  // the private helpers of simd_common.h

// The copy class encodes the element size in imm5 as its lowest set bit (imm5<3:0>; x0000 is
// reserved) and the element index in the bits above it.
struct Imm5 {
  unsigned size, index;
};
Imm5 decode_imm5(Cpu& cpu, uint32_t insn, unsigned imm5) {
  if ((imm5 & 0xf) == 0) undefined(cpu, insn);
  const unsigned size = static_cast<unsigned>(std::countr_zero(imm5));
  return {size, imm5 >> (size + 1)};
}

// Vd.T = element of `x` replicated (T from size and Q; 1D is reserved).
void replicate(Cpu& cpu, uint32_t insn, unsigned d, unsigned size, unsigned q, uint64_t x) {
  if (size == 3 && !q) undefined(cpu, insn);
  VReg r{};
  for (unsigned i = 0; i < lanes(size, q); ++i) set_lane(r, size, i, x);
  cpu.v[d] = r;
}

// Permutes: lane i of Vd comes from lane src(i) of the concatenation Vm:Vn (Vn in lanes
// [0, count), Vm in [count, 2 * count)).
template <const Pattern& P, class Src>
void permute(Cpu& cpu, uint32_t insn, Src src) {
  const Fields<P> f{insn};
  const unsigned q = f.template u<'Q'>(), size = f.template u<'s'>();
  if (size == 3 && !q) undefined(cpu, insn);
  const VReg& a = cpu.v[f.template u<'n'>()];
  const VReg& b = cpu.v[f.template u<'m'>()];
  const unsigned count = lanes(size, q);
  VReg r{};
  for (unsigned i = 0; i < count; ++i) {
    const unsigned j = src(i, count);
    set_lane(r, size, i, j < count ? lane(a, size, j) : lane(b, size, j - count));
  }
  cpu.v[f.template u<'d'>()] = r;
}

// TBL/TBX: each byte of Vm indexes the len+1 consecutive registers from Vn (modulo 32) taken as
// one byte table; an index past the table gives 0 (TBL) or leaves the Vd byte (TBX).
template <const Pattern& P>
void table_lookup(Cpu& cpu, uint32_t insn, bool extension) {
  const Fields<P> f{insn};
  const unsigned q = f.template u<'Q'>(), n = f.template u<'n'>(), d = f.template u<'d'>();
  const unsigned regs = f.template u<'l'>() + 1;
  VReg table[4];
  for (unsigned t = 0; t < regs; ++t) table[t] = cpu.v[(n + t) % 32];
  const VReg idx = cpu.v[f.template u<'m'>()];
  VReg r{};
  for (unsigned i = 0; i < (q ? 16u : 8u); ++i) {
    const unsigned x = idx.b[i];
    r.b[i] = x < 16 * regs ? table[x / 16].b[x % 16] : extension ? cpu.v[d].b[i] : 0;
  }
  cpu.v[d] = r;
}

}  // namespace

// --- copy -----------------------------------------------------------------------------------
void DUP_elem(Cpu& c, uint32_t i) {
  const Fields<pat::DUP_elem> f{i};
  const Imm5 e = decode_imm5(c, i, f.u<'i'>());
  replicate(c, i, f.u<'d'>(), e.size, f.u<'Q'>(), lane(c.v[f.u<'n'>()], e.size, e.index));
}

void DUP_elem_scalar(Cpu& c, uint32_t i) {
  const Fields<pat::DUP_elem_scalar> f{i};
  const Imm5 e = decode_imm5(c, i, f.u<'i'>());
  VReg r{};
  set_lane(r, e.size, 0, lane(c.v[f.u<'n'>()], e.size, e.index));
  c.v[f.u<'d'>()] = r;
}

void DUP_gen(Cpu& c, uint32_t i) {
  const Fields<pat::DUP_gen> f{i};
  const Imm5 e = decode_imm5(c, i, f.u<'i'>());
  replicate(c, i, f.u<'d'>(), e.size, f.u<'Q'>(), c.xr(f.u<'n'>()));
}

// SMOV: Wd (Q = 0: byte or halfword) or Xd (Q = 1: up to word) = sign-extended element.
void SMOV(Cpu& c, uint32_t i) {
  const Fields<pat::SMOV> f{i};
  const Imm5 e = decode_imm5(c, i, f.u<'i'>());
  const bool x64 = f.u<'Q'>();
  if (e.size > (x64 ? 2u : 1u)) undefined(c, i);
  const int64_t v = sign_extend(lane(c.v[f.u<'n'>()], e.size, e.index), 8u << e.size);
  c.set_xr(f.u<'d'>(), x64 ? static_cast<uint64_t>(v) : static_cast<uint32_t>(v));
}

// UMOV: Wd (Q = 0: byte, halfword or word) or Xd (Q = 1: doubleword only) = element.
void UMOV(Cpu& c, uint32_t i) {
  const Fields<pat::UMOV> f{i};
  const Imm5 e = decode_imm5(c, i, f.u<'i'>());
  if (f.u<'Q'>() ? e.size != 3 : e.size == 3) undefined(c, i);
  c.set_xr(f.u<'d'>(), lane(c.v[f.u<'n'>()], e.size, e.index));
}

void INS_gen(Cpu& c, uint32_t i) {
  const Fields<pat::INS_gen> f{i};
  const Imm5 e = decode_imm5(c, i, f.u<'i'>());
  set_lane(c.v[f.u<'d'>()], e.size, e.index, c.xr(f.u<'n'>()));
}

// INS (element): Vd.T[imm5 index] = Vn.T[imm4 >> size]; the other lanes of Vd are kept.
void INS_elem(Cpu& c, uint32_t i) {
  const Fields<pat::INS_elem> f{i};
  const Imm5 e = decode_imm5(c, i, f.u<'i'>());
  set_lane(c.v[f.u<'d'>()], e.size, e.index, lane(c.v[f.u<'n'>()], e.size, f.u<'j'>() >> e.size));
}

// --- permute (Arm ARM C7.2 UZP1 ... ZIP2) ---------------------------------------------------
void UZP1(Cpu& c, uint32_t i) {
  permute<pat::UZP1>(c, i, [](unsigned k, unsigned) { return 2 * k; });
}
void UZP2(Cpu& c, uint32_t i) {
  permute<pat::UZP2>(c, i, [](unsigned k, unsigned) { return 2 * k + 1; });
}
void TRN1(Cpu& c, uint32_t i) {  // even lanes of Vn and Vm, interleaved
  permute<pat::TRN1>(c, i, [](unsigned k, unsigned n) { return (k & ~1u) + (k & 1 ? n : 0); });
}
void TRN2(Cpu& c, uint32_t i) {  // odd lanes of Vn and Vm, interleaved
  permute<pat::TRN2>(c, i, [](unsigned k, unsigned n) { return (k | 1u) + (k & 1 ? n : 0); });
}
void ZIP1(Cpu& c, uint32_t i) {  // low halves of Vn and Vm, interleaved
  permute<pat::ZIP1>(c, i, [](unsigned k, unsigned n) { return k / 2 + (k & 1 ? n : 0); });
}
void ZIP2(Cpu& c, uint32_t i) {  // high halves of Vn and Vm, interleaved
  permute<pat::ZIP2>(c, i, [](unsigned k, unsigned n) { return n / 2 + k / 2 + (k & 1 ? n : 0); });
}

// --- extract and table lookup ---------------------------------------------------------------
// EXT: bytes imm4 .. imm4 + 7 (+ 15) of Vm:Vn; an 8-byte EXT with imm4 >= 8 is reserved.
void EXT(Cpu& c, uint32_t i) {
  const Fields<pat::EXT> f{i};
  const unsigned q = f.u<'Q'>(), pos = f.u<'i'>(), nbytes = q ? 16 : 8;
  if (!q && pos >= 8) undefined(c, i);
  const VReg& a = c.v[f.u<'n'>()];
  const VReg& b = c.v[f.u<'m'>()];
  VReg r{};
  for (unsigned k = 0; k < nbytes; ++k)
    r.b[k] = pos + k < nbytes ? a.b[pos + k] : b.b[pos + k - nbytes];
  c.v[f.u<'d'>()] = r;
}

void TBL(Cpu& c, uint32_t i) {
  table_lookup<pat::TBL>(c, i, false);
}
void TBX(Cpu& c, uint32_t i) {
  table_lookup<pat::TBX>(c, i, true);
}

}  // namespace xvm::arm64::interp
