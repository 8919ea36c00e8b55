/* AES and polynomial multiplication with the Armv8 Cryptographic Extension (AESE/AESD/AESMC/
 * AESIMC, PMULL/PMULL2 on 8- and 64-bit lanes via <arm_neon.h>, -march=armv8-a+crypto).
 * AES-128 and AES-256 encryption and decryption are checked against the FIPS-197 appendix B
 * and C vectors, single rounds against a byte-wise software AES on random states (S-box
 * computed from its definition: inverse in GF(2^8) then the affine map), and PMULL against
 * a shift-and-xor carry-less multiply. AArch64 only: qemu-aarch64 is the other reference. */
#include <arm_neon.h>
#include <string.h>

#include "guest_check.h"

static uint8_t g_sbox[256], g_inv_sbox[256];

static uint8_t gmul(uint8_t a, uint8_t b) { /* multiplication in GF(2^8) mod x^8+x^4+x^3+x+1 */
  uint8_t r = 0;
  for (int i = 0; i < 8; i++) {
    if (b & 1) r ^= a;
    a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
    b >>= 1;
  }
  return r;
}
static uint8_t rotl8(uint8_t x, int n) {
  return (uint8_t)((x << n) | (x >> (8 - n)));
}

static void init_sbox(void) {
  for (int x = 0; x < 256; x++) {
    uint8_t inv = 0;
    for (int y = 1; y < 256 && x; y++)
      if (gmul((uint8_t)x, (uint8_t)y) == 1) inv = (uint8_t)y;
    uint8_t s = inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^ rotl8(inv, 4) ^ 0x63;
    g_sbox[x] = s;
    g_inv_sbox[s] = (uint8_t)x;
  }
}

/* One software round step on a column-major 16-byte state (FIPS-197 5.1). */
static void sw_aese(uint8_t s[16], const uint8_t k[16]) { /* AddRoundKey, ShiftRows, SubBytes */
  uint8_t t[16];
  for (int i = 0; i < 16; i++) t[i] = s[i] ^ k[i];
  for (int c = 0; c < 4; c++)
    for (int r = 0; r < 4; r++) s[4 * c + r] = g_sbox[t[4 * ((c + r) % 4) + r]];
}
static void sw_aesd(uint8_t s[16],
                    const uint8_t k[16]) { /* AddRoundKey, InvShiftRows, InvSubBytes */
  uint8_t t[16];
  for (int i = 0; i < 16; i++) t[i] = s[i] ^ k[i];
  for (int c = 0; c < 4; c++)
    for (int r = 0; r < 4; r++) s[4 * ((c + r) % 4) + r] = g_inv_sbox[t[4 * c + r]];
}
static void sw_mix(uint8_t s[16], const uint8_t m[4]) { /* (Inv)MixColumns with row m */
  for (int c = 0; c < 4; c++) {
    uint8_t a[4], *col = s + 4 * c;
    memcpy(a, col, 4);
    for (int r = 0; r < 4; r++)
      col[r] = gmul(a[r], m[0]) ^ gmul(a[(r + 1) % 4], m[1]) ^ gmul(a[(r + 2) % 4], m[2]) ^
               gmul(a[(r + 3) % 4], m[3]);
  }
}
static const uint8_t kMix[4] = {2, 3, 1, 1}, kInvMix[4] = {14, 11, 13, 9};

/* Key expansion (FIPS-197 5.2) for nk = 4 or 8 words: 4 * (nk + 7) words of round keys. */
static void expand_key(const uint8_t* key, int nk, uint8_t* rk) {
  int words = 4 * (nk + 7);
  uint8_t rcon = 1;
  memcpy(rk, key, 4 * (size_t)nk);
  for (int i = nk; i < words; i++) {
    uint8_t t[4];
    memcpy(t, rk + 4 * (i - 1), 4);
    if (i % nk == 0) {
      uint8_t t0 = t[0];
      t[0] = g_sbox[t[1]] ^ rcon;
      t[1] = g_sbox[t[2]];
      t[2] = g_sbox[t[3]];
      t[3] = g_sbox[t0];
      rcon = gmul(rcon, 2);
    } else if (nk > 6 && i % nk == 4) {
      for (int j = 0; j < 4; j++) t[j] = g_sbox[t[j]];
    }
    for (int j = 0; j < 4; j++) rk[4 * i + j] = rk[4 * (i - nk) + j] ^ t[j];
  }
}

static uint8x16_t encrypt(uint8x16_t s, const uint8_t* rk, int rounds) {
  for (int r = 0; r < rounds - 1; r++) s = vaesmcq_u8(vaeseq_u8(s, vld1q_u8(rk + 16 * r)));
  s = vaeseq_u8(s, vld1q_u8(rk + 16 * (rounds - 1)));
  return veorq_u8(s, vld1q_u8(rk + 16 * rounds));
}
/* The equivalent inverse cipher (FIPS-197 5.3.5): round keys reversed, InvMixColumns applied
 * to the middle ones. */
static uint8x16_t decrypt(uint8x16_t s, const uint8_t* rk, int rounds) {
  s = vaesdq_u8(s, vld1q_u8(rk + 16 * rounds));
  for (int r = rounds - 1; r > 0; r--)
    s = vaesdq_u8(vaesimcq_u8(s), vaesimcq_u8(vld1q_u8(rk + 16 * r)));
  return veorq_u8(s, vld1q_u8(rk));
}

static void from_hex(const char* hex, uint8_t* out) {
  for (size_t i = 0; hex[2 * i]; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

static void check_vector(const char* key, const char* pt, const char* ct, int line) {
  uint8_t k[32], p[16], c[16], rk[240], got[16];
  from_hex(key, k);
  from_hex(pt, p);
  from_hex(ct, c);
  int nk = (int)strlen(key) / 8;
  expand_key(k, nk, rk);
  vst1q_u8(got, encrypt(vld1q_u8(p), rk, nk + 6));
  check_at(memcmp(got, c, 16) == 0, ct, line, 0);
  vst1q_u8(got, decrypt(vld1q_u8(c), rk, nk + 6));
  check_at(memcmp(got, p, 16) == 0, pt, line, 0);
}

static unsigned __int128 clmul64(uint64_t a, uint64_t b) {
  unsigned __int128 r = 0;
  for (int i = 0; i < 64; i++)
    if ((b >> i) & 1) r ^= (unsigned __int128)a << i;
  return r;
}

int main(void) {
  init_sbox();
  CHECK(g_sbox[0x00] == 0x63 && g_sbox[0x53] == 0xed && g_sbox[0xff] == 0x16);
  check_vector("2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
               "3925841d02dc09fbdc118597196a0b32", __LINE__);
  check_vector("000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
               "69c4e0d86a7b0430d8cdb78070b4c55a", __LINE__);
  check_vector("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
               "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089", __LINE__);

  unsigned bad = 0;
  uint64_t h = DIGEST_INIT;
  for (int iter = 0; iter < 2000; iter++) {
    uint8_t s[16], k[16], got[16];
    for (int i = 0; i < 16; i++) s[i] = (uint8_t)rnd(), k[i] = (uint8_t)rnd();
    uint8x16_t vs = vld1q_u8(s), vk = vld1q_u8(k);
    vst1q_u8(got, vaeseq_u8(vs, vk));
    uint8_t want[16];
    memcpy(want, s, 16);
    sw_aese(want, k);
    bad += memcmp(got, want, 16) != 0;
    vst1q_u8(got, vaesmcq_u8(vs));
    memcpy(want, s, 16);
    sw_mix(want, kMix);
    bad += memcmp(got, want, 16) != 0;
    vst1q_u8(got, vaesdq_u8(vs, vk));
    memcpy(want, s, 16);
    sw_aesd(want, k);
    bad += memcmp(got, want, 16) != 0;
    vst1q_u8(got, vaesimcq_u8(vs));
    memcpy(want, s, 16);
    sw_mix(want, kInvMix);
    bad += memcmp(got, want, 16) != 0;

    uint64_t a = rnd(), b = rnd();
    unsigned __int128 p = clmul64(a, b), got128;
    poly128_t vp = vmull_p64(a, b);
    memcpy(&got128, &vp, 16);
    bad += got128 != p;
    poly64x2_t va = vreinterpretq_p64_u64(vcombine_u64(vcreate_u64(b), vcreate_u64(a)));
    poly64x2_t vb = vreinterpretq_p64_u64(vcombine_u64(vcreate_u64(a), vcreate_u64(b ^ a)));
    vp = vmull_high_p64(va, vb); /* a * (b ^ a) */
    memcpy(&got128, &vp, 16);
    bad += got128 != (p ^ clmul64(a, a)); /* distributive over xor */
    poly16x8_t p8 = vmull_p8(vcreate_p8(a), vcreate_p8(b));
    uint16_t l8[8];
    memcpy(l8, &p8, 16);
    for (int i = 0; i < 8; i++)
      bad += l8[i] != (uint16_t)clmul64((uint8_t)(a >> (8 * i)), (uint8_t)(b >> (8 * i)));
    h = digest_add(h, (uint64_t)(got128 >> 64) ^ (uint64_t)got128 ^ got[0]);
  }
  CHECK(bad == 0);
  poly128_t sq = vmull_p64(3, 3); /* (x + 1)^2 = x^2 + 1 */
  unsigned __int128 sq128;
  memcpy(&sq128, &sq, 16);
  CHECK(sq128 == 5);
  printf("aes/pmull digest %016" PRIx64 "\n", h);
  return finish("crypto_aes");
}
