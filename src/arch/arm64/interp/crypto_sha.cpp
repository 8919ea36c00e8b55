// Cryptographic three-register and two-register SHA (Arm ARM C4.1.92, C4.1.93): the SHA-1 and
// SHA-256 round and message-schedule helpers, written from the Arm ARM pseudocode (SHA1C,
// SHA256hash, SHAchoose/SHAparity/SHAmajority, ...). Each works on 32-bit words; the words of
// a register are its S lanes, element 0 least significant.
#include <bit>

#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {
namespace {

uint32_t sha_choose(uint32_t x, uint32_t y, uint32_t z) {
  return ((y ^ z) & x) ^ z;
}
uint32_t sha_parity(uint32_t x, uint32_t y, uint32_t z) {
  return x ^ y ^ z;
}
uint32_t sha_majority(uint32_t x, uint32_t y, uint32_t z) {
  return (x & y) | ((x | y) & z);
}

// The shared body of SHA1C/SHA1P/SHA1M: four SHA-1 rounds. X = V[d] holds (a, b, c, d) in
// lanes 0..3, y = S[n] holds e, W = V[m] the four schedule words (with K already added).
// Each round ends with the 160-bit rotate ROL(Y:X, 32), which moves a word from X to y.
template <uint32_t (*F)(uint32_t, uint32_t, uint32_t)>
void sha1_hash_update(Cpu& cpu, unsigned d, unsigned n, unsigned m) {
  VReg x = cpu.v[d];
  uint32_t y = cpu.v[n].s[0];
  const VReg w = cpu.v[m];
  for (int e = 0; e < 4; ++e) {
    const uint32_t t = F(x.s[1], x.s[2], x.s[3]);
    y = y + std::rotl(x.s[0], 5) + t + w.s[e];
    x.s[1] = std::rotl(x.s[1], 30);
    const uint32_t top = x.s[3];
    x.s[3] = x.s[2];
    x.s[2] = x.s[1];
    x.s[1] = x.s[0];
    x.s[0] = y;
    y = top;
  }
  cpu.v[d] = x;
}

uint32_t sigma0_hash(uint32_t x) {
  return std::rotr(x, 2) ^ std::rotr(x, 13) ^ std::rotr(x, 22);
}
uint32_t sigma1_hash(uint32_t x) {
  return std::rotr(x, 6) ^ std::rotr(x, 11) ^ std::rotr(x, 25);
}
uint32_t sigma0_sched(uint32_t x) {
  return std::rotr(x, 7) ^ std::rotr(x, 18) ^ (x >> 3);
}
uint32_t sigma1_sched(uint32_t x) {
  return std::rotr(x, 17) ^ std::rotr(x, 19) ^ (x >> 10);
}

// Arm ARM "SHA256hash": four SHA-256 rounds on X = (a, b, c, d), Y = (e, f, g, h) and the
// schedule words W; part1 returns the new X (SHA256H), otherwise the new Y (SHA256H2).
// Each round ends with the 256-bit rotate ROL(Y:X, 32).
VReg sha256_hash(VReg x, VReg y, const VReg& w, bool part1) {
  for (int e = 0; e < 4; ++e) {
    const uint32_t chs = sha_choose(y.s[0], y.s[1], y.s[2]);
    const uint32_t maj = sha_majority(x.s[0], x.s[1], x.s[2]);
    const uint32_t t = y.s[3] + sigma1_hash(y.s[0]) + chs + w.s[e];
    x.s[3] = t + x.s[3];
    y.s[3] = t + sigma0_hash(x.s[0]) + maj;
    const uint32_t xtop = x.s[3], ytop = y.s[3];
    for (int i = 3; i > 0; --i) x.s[i] = x.s[i - 1], y.s[i] = y.s[i - 1];
    x.s[0] = ytop;
    y.s[0] = xtop;
  }
  return part1 ? x : y;
}

}  // namespace

void SHA1C(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA1C> f{insn};
  sha1_hash_update<sha_choose>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'m'>());
}

void SHA1P(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA1P> f{insn};
  sha1_hash_update<sha_parity>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'m'>());
}

void SHA1M(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA1M> f{insn};
  sha1_hash_update<sha_majority>(cpu, f.u<'d'>(), f.u<'n'>(), f.u<'m'>());
}

// SHA1SU0: (V[n]<63:0> : V[d]<127:64>) ^ V[d] ^ V[m] -- W[t-14] ^ W[t-16] ^ W[t-8] for four t.
void SHA1SU0(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA1SU0> f{insn};
  const VReg d = cpu.v[f.u<'d'>()], n = cpu.v[f.u<'n'>()], m = cpu.v[f.u<'m'>()];
  VReg r;
  r.d[0] = d.d[1];
  r.d[1] = n.d[0];
  r.q ^= d.q ^ m.q;
  cpu.v[f.u<'d'>()] = r;
}

// SHA1H: the fixed rotate ROL(e, 30) of a SHA-1 round, zero-extended to 128 bits.
void SHA1H(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA1H> f{insn};
  const uint32_t e = cpu.v[f.u<'n'>()].s[0];
  cpu.v[f.u<'d'>()].q = std::rotl(e, 30);
}

// SHA1SU1: T = V[d] ^ (V[n] >> 32); each word rotated left by 1, and the top word also takes
// ROL(T<31:0>, 2) because it depends on the word this instruction computes first.
void SHA1SU1(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA1SU1> f{insn};
  VReg t;
  t.q = cpu.v[f.u<'d'>()].q ^ (cpu.v[f.u<'n'>()].q >> 32);
  VReg r;
  for (int i = 0; i < 4; ++i) r.s[i] = std::rotl(t.s[i], 1);
  r.s[3] ^= std::rotl(t.s[0], 2);
  cpu.v[f.u<'d'>()] = r;
}

void SHA256H(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA256H> f{insn};
  cpu.v[f.u<'d'>()] = sha256_hash(cpu.v[f.u<'d'>()], cpu.v[f.u<'n'>()], cpu.v[f.u<'m'>()], true);
}

void SHA256H2(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA256H2> f{insn};
  cpu.v[f.u<'d'>()] = sha256_hash(cpu.v[f.u<'n'>()], cpu.v[f.u<'d'>()], cpu.v[f.u<'m'>()], false);
}

// SHA256SU0: W[t-16] + sigma0(W[t-15]) for four t; T = V[n]<31:0> : V[d]<127:32>.
void SHA256SU0(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA256SU0> f{insn};
  const VReg d = cpu.v[f.u<'d'>()];
  VReg t;
  t.q = (d.q >> 32) | (static_cast<unsigned __int128>(cpu.v[f.u<'n'>()].s[0]) << 96);
  VReg r;
  for (int e = 0; e < 4; ++e) r.s[e] = sigma0_sched(t.s[e]) + d.s[e];
  cpu.v[f.u<'d'>()] = r;
}

// SHA256SU1: adds sigma1(W[t-2]) + W[t-7] for four t. The upper two words need sigma1 of the
// lower two results, so they are computed second. T0 = V[m]<31:0> : V[n]<127:32>.
void SHA256SU1(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SHA256SU1> f{insn};
  const VReg d = cpu.v[f.u<'d'>()], n = cpu.v[f.u<'n'>()], m = cpu.v[f.u<'m'>()];
  VReg t0;
  t0.q = (n.q >> 32) | (static_cast<unsigned __int128>(m.s[0]) << 96);
  VReg r;
  for (int e = 0; e < 2; ++e) r.s[e] = sigma1_sched(m.s[2 + e]) + d.s[e] + t0.s[e];
  for (int e = 2; e < 4; ++e) r.s[e] = sigma1_sched(r.s[e - 2]) + d.s[e] + t0.s[e];
  cpu.v[f.u<'d'>()] = r;
}

}  // namespace xvm::arm64::interp
