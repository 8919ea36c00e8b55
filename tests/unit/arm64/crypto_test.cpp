// The cryptographic-extension handlers (AES, SHA-1, SHA-256, PMULL) checked by driving them the
// way real code does (Linux arch/arm64/crypto/*-ce-core.S style sequences) against the
// published test vectors of FIPS-197 (AES) and FIPS 180-4 / its example file (SHA).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "arch/arm64/cpu.h"
#include "arch/arm64/decoder.h"
#include "engine/interpreter.h"

namespace xvm::arm64 {
namespace {

// Encodes a line of the decode table with its register fields filled in.
uint32_t enc(const Pattern& p, unsigned d, unsigned n, unsigned m = 0) {
  return p.value() | (m << 16) | (n << 5) | d;
}

// Runs one instruction through the interpreter engine's single-step path (decode table,
// handler, exception unwinding), fetching `insn` at whatever pc the Cpu has.
class OneInsn : public engine::CodeSource {
 public:
  bool fetch(uint64_t, uint32_t* out) const override {
    *out = insn;
    return true;
  }
  uint32_t insn = 0;
};

Stop run(Cpu& cpu, uint32_t insn) {
  static OneInsn code;
  static engine::Interpreter interp(code);
  code.insn = insn;
  return interp.step(cpu);
}

void exec(Cpu& cpu, uint32_t insn) {
  const Stop s = run(cpu, insn);
  ASSERT_EQ(s.kind, StopKind::None) << std::hex << insn;
}

VReg bytes(const char* hex) {  // "00112233..." -> byte 0 = 0x00, byte 1 = 0x11, ...
  VReg v{};
  for (int i = 0; i < 16; ++i)
    v.b[i] = static_cast<uint8_t>(std::stoul(std::string(hex + 2 * i, 2), nullptr, 16));
  return v;
}

std::string hex(const VReg& v) {
  std::string s;
  char buf[3];
  for (uint8_t b : v.b) std::snprintf(buf, sizeof buf, "%02x", b), s += buf;
  return s;
}

// AES-128 key expansion (FIPS-197 §5.2) with SubWord done by AESE on a zero key: when all four
// columns are equal, ShiftRows is the identity, so AESE leaves SubBytes(word) in every lane.
void expand_key(Cpu& cpu, const VReg& key, VReg rk[11]) {
  static const uint8_t rcon[10] = {1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36};
  rk[0] = key;
  for (int r = 1; r <= 10; ++r) {
    const uint32_t last = rk[r - 1].s[3];
    const uint32_t rot = (last >> 8) | (last << 24);  // RotWord on little-endian lanes
    for (int i = 0; i < 4; ++i) cpu.v[30].s[i] = rot;
    cpu.v[31].q = 0;
    exec(cpu, enc(pat::AESE, 30, 31));
    uint32_t w = cpu.v[30].s[0] ^ rcon[r - 1];
    for (int i = 0; i < 4; ++i) rk[r].s[i] = w = w ^ rk[r - 1].s[i];
  }
}

TEST(Crypto, Aes128EncryptDecryptFips197AppendixC1) {
  Cpu cpu;
  VReg rk[11];
  expand_key(cpu, bytes("000102030405060708090a0b0c0d0e0f"), rk);
  // FIPS-197 Appendix A.1's last round key for this key schedule (C.1 round[10].k_sch).
  EXPECT_EQ(hex(rk[10]), "13111d7fe3944a17f307a78b4d2b30c5");

  cpu.v[0] = bytes("00112233445566778899aabbccddeeff");
  for (int r = 0; r < 9; ++r) {
    cpu.v[1] = rk[r];
    exec(cpu, enc(pat::AESE, 0, 1));
    exec(cpu, enc(pat::AESMC, 0, 0));
  }
  cpu.v[1] = rk[9];
  exec(cpu, enc(pat::AESE, 0, 1));
  cpu.v[0].q ^= rk[10].q;
  EXPECT_EQ(hex(cpu.v[0]), "69c4e0d86a7b0430d8cdb78070b4c55a");

  // Equivalent inverse cipher (FIPS-197 §5.3.5): middle round keys through InvMixColumns.
  VReg dk[11];
  dk[0] = rk[10];
  dk[10] = rk[0];
  for (int i = 1; i < 10; ++i) {
    cpu.v[2] = rk[10 - i];
    exec(cpu, enc(pat::AESIMC, 2, 2));
    dk[i] = cpu.v[2];
  }
  for (int r = 0; r < 9; ++r) {
    cpu.v[1] = dk[r];
    exec(cpu, enc(pat::AESD, 0, 1));
    exec(cpu, enc(pat::AESIMC, 0, 0));
  }
  cpu.v[1] = dk[9];
  exec(cpu, enc(pat::AESD, 0, 1));
  cpu.v[0].q ^= dk[10].q;
  EXPECT_EQ(hex(cpu.v[0]), "00112233445566778899aabbccddeeff");
}

TEST(Crypto, AesMixColumnsFips197Example) {
  // FIPS-197 Appendix B, round 1: after ShiftRows d4bf5d30... -> after MixColumns 046681e5...
  Cpu cpu;
  cpu.v[3] = bytes("d4bf5d30e0b452aeb84111f11e2798e5");
  exec(cpu, enc(pat::AESMC, 4, 3));
  EXPECT_EQ(hex(cpu.v[4]), "046681e5e0cb199a48f8d37a2806264c");
  exec(cpu, enc(pat::AESIMC, 5, 4));
  EXPECT_EQ(hex(cpu.v[5]), "d4bf5d30e0b452aeb84111f11e2798e5");
}

// One 512-bit block with the message "abc" and its padding, as big-endian 32-bit words.
void abc_block(uint32_t w[16]) {
  std::memset(w, 0, 64);
  w[0] = 0x61626380;
  w[15] = 24;
}

TEST(Crypto, Sha256AbcFips180Example) {
  static const uint32_t k[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  Cpu cpu;
  uint32_t w[16];
  abc_block(w);
  for (int i = 0; i < 4; ++i) {
    cpu.v[0].s[i] = h0[i];      // abcd
    cpu.v[1].s[i] = h0[4 + i];  // efgh
    for (int j = 0; j < 4; ++j) cpu.v[4 + i].s[j] = w[4 * i + j];
  }
  for (int g = 0; g < 16; ++g) {
    const unsigned wi = 4 + g % 4;  // v4..v7 hold the sliding window of 16 schedule words
    for (int j = 0; j < 4; ++j) cpu.v[16].s[j] = cpu.v[wi].s[j] + k[4 * g + j];
    cpu.v[17] = cpu.v[0];
    exec(cpu, enc(pat::SHA256H, 0, 1, 16));
    exec(cpu, enc(pat::SHA256H2, 1, 17, 16));
    if (g < 12) {
      exec(cpu, enc(pat::SHA256SU0, wi, 4 + (g + 1) % 4));
      exec(cpu, enc(pat::SHA256SU1, wi, 4 + (g + 2) % 4, 4 + (g + 3) % 4));
    }
  }
  static const uint32_t expect[8] = {0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223,
                                     0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(cpu.v[0].s[i] + h0[i], expect[i]) << i;
    EXPECT_EQ(cpu.v[1].s[i] + h0[4 + i], expect[4 + i]) << i + 4;
  }
}

TEST(Crypto, Sha1AbcFips180Example) {
  static const uint32_t h0[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  static const uint32_t k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
  Cpu cpu;
  uint32_t w[16];
  abc_block(w);
  for (int i = 0; i < 4; ++i) {
    cpu.v[0].s[i] = h0[i];
    for (int j = 0; j < 4; ++j) cpu.v[4 + i].s[j] = w[4 * i + j];
  }
  cpu.v[1].q = h0[4];  // e in S1; the next e is computed into S2, then they alternate
  for (int g = 0; g < 20; ++g) {
    const unsigned wi = 4 + g % 4;
    const unsigned e_in = 1 + g % 2, e_out = 2 - g % 2;
    for (int j = 0; j < 4; ++j) cpu.v[16].s[j] = cpu.v[wi].s[j] + k[g / 5];
    exec(cpu, enc(pat::SHA1H, e_out, 0));
    const Pattern& round = g < 5 ? pat::SHA1C : (g < 10 || g >= 15) ? pat::SHA1P : pat::SHA1M;
    exec(cpu, enc(round, 0, e_in, 16));
    if (g < 16) {
      exec(cpu, enc(pat::SHA1SU0, wi, 4 + (g + 1) % 4, 4 + (g + 2) % 4));
      exec(cpu, enc(pat::SHA1SU1, wi, 4 + (g + 3) % 4));
    }
  }
  static const uint32_t expect[5] = {0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(cpu.v[0].s[i] + h0[i], expect[i]) << i;
  EXPECT_EQ(cpu.v[1].s[0] + h0[4], expect[4]);  // 20 groups: the last e landed in S1
}

TEST(Crypto, PmullBytesAndDoublewords) {
  Cpu cpu;
  for (int i = 0; i < 16; ++i) cpu.v[1].b[i] = 0xff, cpu.v[2].b[i] = static_cast<uint8_t>(i);
  cpu.v[2].b[9] = 0xff;
  exec(cpu, enc(pat::PMULL, 0, 1, 2));  // PMULL V0.8H, V1.8B, V2.8B
  EXPECT_EQ(cpu.v[0].h[0], 0);
  EXPECT_EQ(cpu.v[0].h[1], 0xff);
  EXPECT_EQ(cpu.v[0].h[3], 0xff ^ 0x1fe);          // 0xff * (x + 1)
  exec(cpu, enc(pat::PMULL, 0, 1, 2) | 1u << 30);  // PMULL2: the upper eight bytes
  EXPECT_EQ(cpu.v[0].h[1], 0x5555);                // 0xff * 0xff: no carries, alternate bits
  EXPECT_EQ(cpu.v[0].h[0], 0xff << 3);             // 0xff * x^3

  cpu.v[1].d[0] = 1ull << 63;
  cpu.v[1].d[1] = 0x8000000000000001ull;
  cpu.v[2].d[0] = 1ull << 63;
  cpu.v[2].d[1] = 3;
  exec(cpu, enc(pat::PMULL, 0, 1, 2) | 3u << 22);  // PMULL V0.1Q, V1.1D, V2.1D
  EXPECT_TRUE(cpu.v[0].q == static_cast<unsigned __int128>(1) << 126);
  exec(cpu, enc(pat::PMULL, 0, 1, 2) | 3u << 22 | 1u << 30);  // PMULL2 .1Q
  // (x^63 + 1)(x + 1) = x^64 + x^63 + x + 1
  EXPECT_EQ(cpu.v[0].d[0], 0x8000000000000003ull);
  EXPECT_EQ(cpu.v[0].d[1], 1u);

  // Sizes 01 and 10 are reserved (Arm ARM C7.2 PMULL): UNDEF, Vd untouched.
  const VReg before = cpu.v[0];
  for (unsigned size : {1u, 2u})
    EXPECT_EQ(run(cpu, enc(pat::PMULL, 0, 1, 2) | size << 22).kind, StopKind::Undefined);
  EXPECT_TRUE(cpu.v[0].q == before.q);
}

TEST(Crypto, ReservedSizeFieldsAreUndefined) {
  // AES/SHA classes with size != 00 are unallocated (Arm ARM C4.1.91-93).
  Cpu cpu;
  EXPECT_EQ(run(cpu, enc(pat::AESE, 0, 1) | 1u << 22).kind, StopKind::Undefined);
  EXPECT_EQ(run(cpu, enc(pat::SHA256H, 0, 1, 2) | 2u << 22).kind, StopKind::Undefined);
  EXPECT_EQ(run(cpu, enc(pat::SHA1H, 0, 1) | 3u << 22).kind, StopKind::Undefined);
}

}  // namespace
}  // namespace xvm::arm64
