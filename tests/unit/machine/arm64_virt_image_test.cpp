// arm64 Image header checks and boot placement, with headers built byte by byte from the
// layout in Linux Documentation/arm64/booting.rst §4.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "machine/arm64_virt/image.h"

namespace {

using namespace xvm::machine::arm64_virt;

void put_le(std::vector<uint8_t>& b, size_t off, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A header like Debian's 6.1 kernel: code0 = "MZ" nop, text_offset 0, image_size 0x02010000,
// flags 0xa (LE, 4K pages, anywhere), magic "ARM\x64", PE offset 0x40.
std::vector<uint8_t> header(uint64_t flags = 0xa, uint64_t image_size = 0x0201'0000,
                            uint64_t text_offset = 0, size_t file_size = 4096) {
  std::vector<uint8_t> b(file_size, 0);
  put_le(b, 0x00, 0xfa405a4d, 4);  // code0
  put_le(b, 0x04, 0x1459a356, 4);  // code1
  put_le(b, 0x08, text_offset, 8);
  put_le(b, 0x10, image_size, 8);
  put_le(b, 0x18, flags, 8);
  b[0x38] = 'A';
  b[0x39] = 'R';
  b[0x3a] = 'M';
  b[0x3b] = 0x64;
  put_le(b, 0x3c, 0x40, 4);
  return b;
}

TEST(Arm64Image, ParsesDebianLikeHeader) {
  auto h = parse_image(header());
  ASSERT_TRUE(h.has_value()) << h.error();
  EXPECT_EQ(h->text_offset, 0u);
  EXPECT_EQ(h->image_size, 0x0201'0000u);
  EXPECT_EQ(h->flags, 0xau);
  EXPECT_TRUE(h->place_anywhere);
}

TEST(Arm64Image, OldStyleTextOffsetAndPlacementBit) {
  // text_offset 0x80000, flags = 4K pages only (bit 3 clear: base near the start of DRAM).
  auto h = parse_image(header(0x2, 0x100'0000, 0x80000));
  ASSERT_TRUE(h.has_value()) << h.error();
  EXPECT_EQ(h->text_offset, 0x80000u);
  EXPECT_FALSE(h->place_anywhere);
  // Page size "unspecified" (bits 1-2 = 0) is accepted.
  EXPECT_TRUE(parse_image(header(0x0)).has_value());
}

TEST(Arm64Image, RefusesMalformed) {
  auto refused = [](const std::vector<uint8_t>& f, const char* word) {
    auto r = parse_image(f);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().find(word), std::string::npos) << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);  // one line
  };
  refused({}, "64-byte");
  auto h = header();
  refused(std::vector<uint8_t>(h.begin(), h.begin() + 63), "64-byte");
  auto m = header();
  m[0x3b] = 0x65;
  refused(m, "magic");
  refused(header(0xb), "big-endian");          // bit 0 set
  refused(header(0x8 | 0x4), "16 KiB");        // bits 1-2 = 2
  refused(header(0x8 | 0x6), "64 KiB");        // bits 1-2 = 3
  refused(header(0xa, 0), "3.17");             // image_size 0
  refused({0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0}, "gunzip");
  std::vector<uint8_t> zboot(64, 0);
  zboot[0] = 'M', zboot[1] = 'Z', zboot[4] = 'z', zboot[5] = 'i', zboot[6] = 'm', zboot[7] = 'g';
  refused(zboot, "zboot");
}

BootPlacementInput input(uint64_t ram_size, uint64_t initrd, uint64_t dtb = 0x2000) {
  BootPlacementInput in;
  in.ram_base = 0x4000'0000;
  in.ram_size = ram_size;
  in.header = *parse_image(header());  // image_size 0x02010000
  in.kernel_file_size = 0x01F6'E000;
  in.initrd_size = initrd;
  in.dtb_size = dtb;
  return in;
}

TEST(Arm64Image, PlacementWithInitrd) {
  auto p = place_boot_images(input(512ull << 20, 0x12'3456));
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->kernel, 0x4000'0000u);           // 2 MiB-aligned RAM base + text_offset 0
  EXPECT_EQ(p->kernel_end, 0x4201'0000u);       // + image_size
  EXPECT_EQ(p->initrd, 0x4220'0000u);           // after image_size, 2 MiB-aligned
  EXPECT_EQ(p->initrd_end, 0x4232'3456u);
  EXPECT_EQ(p->dtb, 0x4240'0000u);              // 2 MiB boundary after the initrd
  EXPECT_EQ(p->dtb % 8, 0u);
}

TEST(Arm64Image, PlacementWithoutInitrdAndWithTextOffset) {
  auto in = input(64ull << 20, 0);
  in.header.text_offset = 0x80000;
  auto p = place_boot_images(in);
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->kernel, 0x4008'0000u);
  EXPECT_EQ(p->kernel_end, 0x4209'0000u);
  EXPECT_EQ(p->initrd, 0u);
  EXPECT_EQ(p->initrd_end, 0u);
  EXPECT_EQ(p->dtb, 0x4220'0000u);
}

TEST(Arm64Image, PlacementUnalignedRamBase) {
  auto in = input(512ull << 20, 0);
  in.ram_base = 0x4010'0000;  // 1 MiB into a 2 MiB block: the Image goes to the next boundary
  auto p = place_boot_images(in);
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->kernel, 0x4020'0000u);
}

TEST(Arm64Image, FileLargerThanImageSizeCounts) {
  auto in = input(512ull << 20, 0);
  in.kernel_file_size = 0x0300'0000;  // e.g. signature data appended past image_size
  auto p = place_boot_images(in);
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->kernel_end, 0x4300'0000u);
}

TEST(Arm64Image, PlacementErrors) {
  // Kernel alone does not fit: image_size 32.06 MiB in 32 MiB of RAM.
  auto r = place_boot_images(input(32ull << 20, 0));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("RAM too small"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("kernel"), std::string::npos) << r.error();
  // Kernel fits, initrd does not.
  r = place_boot_images(input(40ull << 20, 16ull << 20));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("initrd"), std::string::npos) << r.error();
  // Kernel and initrd fit exactly up to a 2 MiB boundary; the DTB has no room.
  r = place_boot_images(input(0x0240'0000, 0x20'0000));
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("device tree"), std::string::npos) << r.error();
  // ... and with 2 MiB more it fits, the DTB in the last 2 MiB.
  auto p = place_boot_images(input(0x0260'0000, 0x20'0000));
  ASSERT_TRUE(p.has_value()) << p.error();
  EXPECT_EQ(p->dtb, 0x4240'0000u);
  // DTB over 2 MiB (booting.rst limit) or empty.
  EXPECT_FALSE(place_boot_images(input(512ull << 20, 0, (2u << 20) + 1)).has_value());
  EXPECT_FALSE(place_boot_images(input(512ull << 20, 0, 0)).has_value());
  // Sizes that overflow 64 bits are refused, not wrapped.
  auto in = input(512ull << 20, ~uint64_t{0} - 0x1000);
  EXPECT_FALSE(place_boot_images(in).has_value());
  in = input(512ull << 20, 0);
  in.header.text_offset = ~uint64_t{0} - 0x10;
  EXPECT_FALSE(place_boot_images(in).has_value());
  in = input(~uint64_t{0}, 0);
  EXPECT_FALSE(place_boot_images(in).has_value());
}

}  // namespace
