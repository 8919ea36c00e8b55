/* CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) and CRC-32C (Castagnoli, 0x82F63B78).
 * The AArch64 build (-march=armv8-a+crc) uses the ACLE intrinsics __crc32{b,h,w,d} and
 * __crc32c{b,h,w,d} (instructions CRC32B..CRC32CX, Arm ARM C6.2); the native build uses a
 * table-driven implementation in their place. Both are checked against published check values
 * ("123456789", RFC 3720 B.4 iSCSI vectors) and against a bit-at-a-time reference on every
 * alignment 0..7 and lengths 0..300, and a digest of all CRCs is printed for comparison. */
#include <string.h>
#if defined(__aarch64__)
#include <arm_acle.h>
#endif

#include "guest_check.h"

#define POLY 0xEDB88320u
#define POLY_C 0x82F63B78u

/* The reference: one bit at a time, straight from the definition. */
static uint32_t crc_bitwise(uint32_t poly, const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1) ? poly : 0);
  }
  return ~c;
}

#if defined(__aarch64__)
/* Eight bytes at a time where aligned, then words, halves and bytes: all four widths. */
#define HW_CRC(NAME, B, H, W, D)                         \
  static uint32_t NAME(const uint8_t* p, size_t n) {     \
    uint32_t c = 0xFFFFFFFFu;                            \
    while (n && ((uintptr_t)p & 7)) c = B(c, *p++), n--; \
    for (; n >= 8; p += 8, n -= 8) {                     \
      uint64_t v;                                        \
      memcpy(&v, p, 8);                                  \
      c = D(c, v);                                       \
    }                                                    \
    if (n >= 4) {                                        \
      uint32_t v;                                        \
      memcpy(&v, p, 4);                                  \
      c = W(c, v), p += 4, n -= 4;                       \
    }                                                    \
    if (n >= 2) {                                        \
      uint16_t v;                                        \
      memcpy(&v, p, 2);                                  \
      c = H(c, v), p += 2, n -= 2;                       \
    }                                                    \
    if (n) c = B(c, *p);                                 \
    return ~c;                                           \
  }
HW_CRC(crc32_fast, __crc32b, __crc32h, __crc32w, __crc32d)
HW_CRC(crc32c_fast, __crc32cb, __crc32ch, __crc32cw, __crc32cd)
#else
static uint32_t g_table[2][256];
static void init_tables(void) {
  for (int t = 0; t < 2; t++)
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c >> 1) ^ ((c & 1) ? (t ? POLY_C : POLY) : 0);
      g_table[t][i] = c;
    }
}
static uint32_t crc_table(int t, const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) c = g_table[t][(c ^ p[i]) & 0xff] ^ (c >> 8);
  return ~c;
}
static uint32_t crc32_fast(const uint8_t* p, size_t n) {
  return crc_table(0, p, n);
}
static uint32_t crc32c_fast(const uint8_t* p, size_t n) {
  return crc_table(1, p, n);
}
#endif

int main(void) {
#if !defined(__aarch64__)
  init_tables();
#endif
  const uint8_t* check = (const uint8_t*)"123456789";
  CHECK_EQ(crc32_fast(check, 9), 0xCBF43926u);
  CHECK_EQ(crc32c_fast(check, 9), 0xE3069283u);
  CHECK_EQ(crc_bitwise(POLY, check, 9), 0xCBF43926u);
  CHECK_EQ(crc_bitwise(POLY_C, check, 9), 0xE3069283u);
  const char* fox = "The quick brown fox jumps over the lazy dog";
  CHECK_EQ(crc32_fast((const uint8_t*)fox, strlen(fox)), 0x414FA339u);
  uint8_t v[32];
  memset(v, 0, sizeof v);
  CHECK_EQ(crc32c_fast(v, 32), 0x8A9136AAu); /* RFC 3720 B.4: 32 bytes of zeros */
  memset(v, 0xff, sizeof v);
  CHECK_EQ(crc32c_fast(v, 32), 0x62A8AB43u); /* 32 bytes of ones */
  for (int i = 0; i < 32; i++) v[i] = (uint8_t)i;
  CHECK_EQ(crc32c_fast(v, 32), 0x46DD794Eu); /* incrementing */
  CHECK_EQ(crc32_fast(v, 0), 0);

  static uint8_t buf[8 + 300] __attribute__((aligned(8)));
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rnd();
  unsigned bad = 0;
  uint64_t h = DIGEST_INIT;
  for (size_t al = 0; al < 8; al++)
    for (size_t n = 0; n <= 300; n++) {
      uint32_t a = crc32_fast(buf + al, n), c = crc32c_fast(buf + al, n);
      bad += a != crc_bitwise(POLY, buf + al, n);
      bad += c != crc_bitwise(POLY_C, buf + al, n);
      h = digest_add(h, (uint64_t)a << 32 | c);
    }
  CHECK(bad == 0);
  printf("crc digest %016" PRIx64 "\n", h);
  printf("crc32(123456789) = %08x, crc32c(123456789) = %08x\n", crc32_fast(check, 9),
         crc32c_fast(check, 9));
  return finish("crc32");
}
