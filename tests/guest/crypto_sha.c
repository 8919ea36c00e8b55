/* SHA-1 and SHA-256 with the Armv8 Cryptographic Extension (SHA1C/SHA1P/SHA1M/SHA1H/SHA1SU0/
 * SHA1SU1, SHA256H/SHA256H2/SHA256SU0/SHA256SU1 via <arm_neon.h>, -march=armv8-a+crypto),
 * checked against the FIPS 180-4 example digests ("abc", the 448-bit two-block message, the
 * empty message, one million 'a'). The round constants are derived here from their
 * definition (fractional parts of square and cube roots of primes, exact integer arithmetic)
 * rather than typed in. AArch64 only: qemu-aarch64 is the other reference. */
#include <arm_neon.h>
#include <string.h>

#include "guest_check.h"

static uint32_t K256[64], H256[8], K1[4];

/* The largest x with x^pow <= target (pow 2 or 3), by bisection on exact 128-bit integers. */
static uint64_t iroot(unsigned __int128 target, int pow) {
  uint64_t lo = 0, hi = 1ull << 40;
  while (hi - lo > 1) {
    uint64_t mid = (lo + hi) / 2;
    unsigned __int128 p = (unsigned __int128)mid * mid;
    if (pow == 3) p *= mid;
    if (p <= target)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}
/* The first 32 fractional bits of the square or cube root of n. */
static uint32_t root_frac(unsigned n, int pow) {
  return (uint32_t)iroot((unsigned __int128)n << (32 * pow), pow);
}

static void init_constants(void) {
  unsigned primes[64], n = 0;
  for (unsigned c = 2; n < 64; c++) {
    int prime = 1;
    for (unsigned d = 2; d * d <= c; d++) prime &= c % d != 0;
    if (prime) primes[n++] = c;
  }
  for (int i = 0; i < 64; i++) K256[i] = root_frac(primes[i], 3);
  for (int i = 0; i < 8; i++) H256[i] = root_frac(primes[i], 2);
  /* SHA-1: K = floor(2^30 sqrt(m)) for m = 2, 3, 5, 10 (FIPS 180-4 4.2.1 lists the values). */
  static const unsigned m[4] = {2, 3, 5, 10};
  for (int i = 0; i < 4; i++) K1[i] = (uint32_t)iroot((unsigned __int128)m[i] << 60, 2);
}

static void sha256_block(uint32_t st[8], const uint8_t* p) {
  uint32x4_t s0 = vld1q_u32(st), s1 = vld1q_u32(st + 4), save0 = s0, save1 = s1;
  uint32x4_t w[4];
  for (int i = 0; i < 4; i++) w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
  for (int i = 0; i < 16; i++) {
    uint32x4_t wk = vaddq_u32(w[i % 4], vld1q_u32(K256 + 4 * i));
    if (i < 12) /* W[4i+16..4i+19] from W[4i..4i+15] */
      w[i % 4] = vsha256su1q_u32(vsha256su0q_u32(w[i % 4], w[(i + 1) % 4]), w[(i + 2) % 4],
                                 w[(i + 3) % 4]);
    uint32x4_t abcd = s0;
    s0 = vsha256hq_u32(s0, s1, wk);
    s1 = vsha256h2q_u32(s1, abcd, wk);
  }
  vst1q_u32(st, vaddq_u32(s0, save0));
  vst1q_u32(st + 4, vaddq_u32(s1, save1));
}

static void sha1_block(uint32_t st[5], const uint8_t* p) {
  uint32x4_t abcd = vld1q_u32(st), save = abcd;
  uint32_t e = st[4];
  uint32x4_t w[4];
  for (int i = 0; i < 4; i++) w[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
  for (int i = 0; i < 20; i++) { /* four rounds each */
    uint32x4_t wk = vaddq_u32(w[i % 4], vdupq_n_u32(K1[i / 5]));
    uint32_t e_next = vsha1h_u32(vgetq_lane_u32(abcd, 0));
    if (i < 5)
      abcd = vsha1cq_u32(abcd, e, wk); /* Ch */
    else if (i >= 10 && i < 15)
      abcd = vsha1mq_u32(abcd, e, wk); /* Maj */
    else
      abcd = vsha1pq_u32(abcd, e, wk); /* Parity */
    e = e_next;
    if (i < 16)
      w[i % 4] =
          vsha1su1q_u32(vsha1su0q_u32(w[i % 4], w[(i + 1) % 4], w[(i + 2) % 4]), w[(i + 3) % 4]);
  }
  vst1q_u32(st, vaddq_u32(abcd, save));
  st[4] += e;
}

/* Merkle-Damgard padding (FIPS 180-4 5.1.1), shared by both: 0x80, zeros, 64-bit bit length. */
static void hash(int sha256, const uint8_t* msg, size_t len, uint32_t* st) {
  static const uint32_t h1[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  memcpy(st, sha256 ? H256 : h1, sha256 ? 32 : 20);
  size_t full = len / 64;
  for (size_t b = 0; b < full; b++) (sha256 ? sha256_block : sha1_block)(st, msg + 64 * b);
  uint8_t tail[128] = {0};
  size_t rest = len - 64 * full, tlen = rest < 56 ? 64 : 128;
  memcpy(tail, msg + 64 * full, rest);
  tail[rest] = 0x80;
  for (int i = 0; i < 8; i++) tail[tlen - 1 - i] = (uint8_t)((uint64_t)len * 8 >> (8 * i));
  for (size_t off = 0; off < tlen; off += 64) (sha256 ? sha256_block : sha1_block)(st, tail + off);
}

static void check_hash(int sha256, const char* msg, size_t len, const char* hex, int line) {
  uint32_t st[8];
  char got[65];
  hash(sha256, (const uint8_t*)msg, len, st);
  for (int i = 0; i < (sha256 ? 8 : 5); i++) snprintf(got + 8 * i, 9, "%08x", st[i]);
  int ok = strcmp(got, hex) == 0;
  check_at(ok, hex, line, 0);
  if (!ok) printf("  got %s\n", got);
}

int main(void) {
  init_constants();
  CHECK_EQ(K256[0], 0x428a2f98u); /* spot checks of the derivation (FIPS 180-4 4.2.2) */
  CHECK_EQ(K256[63], 0xc67178f2u);
  CHECK_EQ(H256[0], 0x6a09e667u);
  CHECK_EQ(K1[0], 0x5a827999u);
  CHECK_EQ(K1[2], 0x8f1bbcdcu);
  CHECK_EQ(K1[3], 0xca62c1d6u);
  const char* two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  check_hash(0, "abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d", __LINE__);
  check_hash(0, two, strlen(two), "84983e441c3bd26ebaae4aa1f95129e5e54670f1", __LINE__);
  check_hash(0, "", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709", __LINE__);
  check_hash(1, "abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
             __LINE__);
  check_hash(1, two, strlen(two),
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", __LINE__);
  check_hash(1, "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             __LINE__);
  static char million[1000000];
  memset(million, 'a', sizeof million);
  check_hash(0, million, sizeof million, "34aa973cd4c4daa4f61eeb2bdbad27316534016f", __LINE__);
  check_hash(1, million, sizeof million,
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", __LINE__);

  /* Every message length 0..200 (all padding cases), digested for qemu to compare. */
  uint8_t msg[200];
  for (int i = 0; i < 200; i++) msg[i] = (uint8_t)rnd();
  uint64_t h = DIGEST_INIT;
  uint32_t st[8];
  for (size_t len = 0; len <= 200; len++) {
    hash(0, msg, len, st);
    for (int i = 0; i < 5; i++) h = digest_add(h, st[i]);
    hash(1, msg, len, st);
    for (int i = 0; i < 8; i++) h = digest_add(h, st[i]);
  }
  printf("sha digest %016" PRIx64 "\n", h);
  return finish("crypto_sha");
}
