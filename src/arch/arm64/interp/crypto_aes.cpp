// Cryptographic AES (Arm ARM C4.1.91: AESE, AESD, AESMC, AESIMC) and the polynomial multiply
// PMULL/PMULL2 (C7.2.215). Both are arithmetic in GF(2)[x], so they share this file.
//
// The AES state is the 128-bit register with byte i at row i % 4, column i / 4 (FIPS-197 §3.4:
// the input block's bytes fill the state column by column), which is the Arm ARM's
// AESShiftRows/AESSubBytes/AESMixColumns layout.
#include <array>

#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {
namespace {

// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2).
constexpr uint8_t gf_mul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & 1) p ^= a;
    const bool hi = a & 0x80;
    a = static_cast<uint8_t>(a << 1);
    if (hi) a ^= 0x1b;
    b >>= 1;
  }
  return p;
}

constexpr uint8_t rotl8(uint8_t v, int s) {
  return static_cast<uint8_t>((v << s) | (v >> (8 - s)));
}

// FIPS-197 §5.1.1: the S-box is the multiplicative inverse in GF(2^8) (0 maps to 0) followed by
// the affine transformation b ^ (b<<<1) ^ (b<<<2) ^ (b<<<3) ^ (b<<<4) ^ 0x63.
constexpr std::array<uint8_t, 256> make_sbox() {
  std::array<uint8_t, 256> s{};
  for (int x = 0; x < 256; ++x) {
    // x^254 is x's inverse (the multiplicative group has order 255) and maps 0 to 0.
    uint8_t inv = 1;
    for (int i = 0; i < 254; ++i) inv = gf_mul(inv, static_cast<uint8_t>(x));
    s[x] = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
  }
  return s;
}

constexpr std::array<uint8_t, 256> invert(const std::array<uint8_t, 256>& s) {
  std::array<uint8_t, 256> r{};
  for (int x = 0; x < 256; ++x) r[s[x]] = static_cast<uint8_t>(x);
  return r;
}

constexpr std::array<uint8_t, 256> kSbox = make_sbox();
constexpr std::array<uint8_t, 256> kInvSbox = invert(kSbox);
static_assert(kSbox[0x00] == 0x63 && kSbox[0x53] == 0xed, "FIPS-197 Figure 7 spot checks");
static_assert(kInvSbox[0x63] == 0x00 && kInvSbox[0xed] == 0x53);

// AESShiftRows / AESInvShiftRows: row r of the state rotates left (right) by r columns.
VReg shift_rows(const VReg& in, bool inverse) {
  VReg out;
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) {
      const int moved = r + 4 * ((c + r) % 4);
      if (inverse)
        out.b[moved] = in.b[r + 4 * c];
      else
        out.b[r + 4 * c] = in.b[moved];
    }
  return out;
}

// AESMixColumns / AESInvMixColumns (FIPS-197 §5.1.3, §5.3.3): each column times a fixed
// circulant matrix whose first row is {02 03 01 01} or {0e 0b 0d 09}.
VReg mix_columns(const VReg& in, bool inverse) {
  static constexpr uint8_t kFwd[4] = {2, 3, 1, 1}, kInv[4] = {0x0e, 0x0b, 0x0d, 0x09};
  const uint8_t* m = inverse ? kInv : kFwd;
  VReg out;
  for (int c = 0; c < 4; ++c)
    for (int r = 0; r < 4; ++r) {
      uint8_t acc = 0;
      for (int k = 0; k < 4; ++k) acc ^= gf_mul(m[(k - r + 4) % 4], in.b[k + 4 * c]);
      out.b[r + 4 * c] = acc;
    }
  return out;
}

}  // namespace

// AESE: AddRoundKey (the XOR), ShiftRows, SubBytes -- the first half of an encryption round.
void AESE(Cpu& cpu, uint32_t insn) {
  const Fields<pat::AESE> f{insn};
  VReg x;
  x.q = cpu.v[f.u<'d'>()].q ^ cpu.v[f.u<'n'>()].q;
  x = shift_rows(x, false);
  for (uint8_t& b : x.b) b = kSbox[b];
  cpu.v[f.u<'d'>()] = x;
}

void AESD(Cpu& cpu, uint32_t insn) {
  const Fields<pat::AESD> f{insn};
  VReg x;
  x.q = cpu.v[f.u<'d'>()].q ^ cpu.v[f.u<'n'>()].q;
  x = shift_rows(x, true);
  for (uint8_t& b : x.b) b = kInvSbox[b];
  cpu.v[f.u<'d'>()] = x;
}

void AESMC(Cpu& cpu, uint32_t insn) {
  const Fields<pat::AESMC> f{insn};
  cpu.v[f.u<'d'>()] = mix_columns(cpu.v[f.u<'n'>()], false);
}

void AESIMC(Cpu& cpu, uint32_t insn) {
  const Fields<pat::AESIMC> f{insn};
  cpu.v[f.u<'d'>()] = mix_columns(cpu.v[f.u<'n'>()], true);
}

namespace {

// Carry-less product of two 64-bit polynomials over GF(2) (Arm ARM "PolynomialMult").
unsigned __int128 clmul64(uint64_t a, uint64_t b) {
  unsigned __int128 r = 0;
  for (int i = 0; i < 64; ++i)
    if ((b >> i) & 1) r ^= static_cast<unsigned __int128>(a) << i;
  return r;
}

}  // namespace

// PMULL{2} Vd.<Ta>, Vn.<Tb>, Vm.<Tb>: size 00 multiplies eight byte lanes into halfword lanes,
// size 11 one doubleword into the whole quadword (FEAT_PMULL); sizes 01 and 10 are reserved.
// Q selects the lower (PMULL) or upper (PMULL2) half of the sources.
void PMULL(Cpu& cpu, uint32_t insn) {
  const Fields<pat::PMULL> f{insn};
  const unsigned size = f.u<'z'>();
  const unsigned part = f.u<'Q'>();
  if (size == 1 || size == 2) undefined(cpu, insn);
  const VReg n = cpu.v[f.u<'n'>()], m = cpu.v[f.u<'m'>()];
  VReg r;
  if (size == 3) {
    r.q = clmul64(n.d[part], m.d[part]);
  } else {
    for (int i = 0; i < 8; ++i)
      r.h[i] = static_cast<uint16_t>(clmul64(n.b[8 * part + i], m.b[8 * part + i]));
  }
  cpu.v[f.u<'d'>()] = r;
}

}  // namespace xvm::arm64::interp
