// Linux arm64 Image header and boot placement: Documentation/arm64/booting.rst ("booting.rst").
#include "machine/arm64_virt/image.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace xvm::machine::arm64_virt {
namespace {

constexpr uint64_t k2MiB = 2ull << 20;
constexpr uint64_t k1GiB = 1ull << 30;
constexpr uint64_t k32GiB = 32ull << 30;
constexpr uint64_t kDtbMaxSize = k2MiB;  // booting.rst §2: "must not exceed 2 megabytes"

uint64_t le(std::span<const uint8_t> b, size_t off, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{b[off + i]} << (8 * i);
  return v;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string mib(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(v) / (1 << 20));
  return buf;
}

// Rounds v up to a multiple of `align` (a power of two); false on overflow.
bool align_up(uint64_t v, uint64_t align, uint64_t* out) {
  uint64_t t;
  if (__builtin_add_overflow(v, align - 1, &t)) return false;
  *out = t & ~(align - 1);
  return true;
}

}  // namespace

std::expected<ImageHeader, std::string> parse_image(std::span<const uint8_t> file) {
  // Compressed kernels are recognised so the message says what to do (xvm links no zlib).
  if (file.size() >= 2 && file[0] == 0x1f && file[1] == 0x8b)
    return std::unexpected("gzip-compressed kernel: decompress it first (gunzip)");
  // EFI zboot (CONFIG_EFI_ZBOOT, drivers/firmware/efi/libstub/zboot-header.S): "MZ", then "zimg".
  if (file.size() >= 8 && std::memcmp(file.data(), "MZ", 2) == 0 &&
      std::memcmp(file.data() + 4, "zimg", 4) == 0)
    return std::unexpected("EFI zboot compressed kernel: xvm needs the plain Image (vmlinux.bin)");
  if (file.size() < kImageHeaderSize)
    return std::unexpected("not an arm64 Linux Image: " + std::to_string(file.size()) +
                           " bytes, shorter than the 64-byte Image header");
  // booting.rst §4 header: code0 u32 @0, code1 u32 @4, text_offset u64 @8, image_size u64 @16,
  // flags u64 @24, res2-4 @32-55, magic u32 @56, res5 (PE header offset) u32 @60.
  if (le(file, 0x38, 4) != kImageMagic)
    return std::unexpected("not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)");
  ImageHeader h;
  h.text_offset = le(file, 8, 8);
  h.image_size = le(file, 16, 8);
  h.flags = le(file, 24, 8);
  h.place_anywhere = (h.flags >> 3) & 1;
  if (h.flags & 1) return std::unexpected("big-endian arm64 kernel: xvm runs little-endian guests");
  switch ((h.flags >> 1) & 3) {
    case 0:  // "unspecified" (older kernels): they were 4 KiB-page builds unless told otherwise
    case 1:  // 4K
      break;
    case 2:
      return std::unexpected("arm64 kernel built for 16 KiB pages: xvm's MMU has 4 KiB pages only");
    default:
      return std::unexpected("arm64 kernel built for 64 KiB pages: xvm's MMU has 4 KiB pages only");
  }
  // booting.rst: "Prior to v3.17 ... image_size is zero and text_offset is 0x80000"; the memory
  // such a kernel needs past its file (BSS) is then unknown.
  if (h.image_size == 0)
    return std::unexpected("arm64 Image with image_size 0 (a kernel older than 3.17): not supported");
  return h;
}

std::expected<BootPlacement, std::string> place_boot_images(const BootPlacementInput& in) {
  if (in.dtb_size == 0 || in.dtb_size > kDtbMaxSize)
    return std::unexpected("device tree of " + std::to_string(in.dtb_size) +
                           " bytes: booting.rst allows 1 byte to 2 MiB");
  uint64_t ram_end;
  if (__builtin_add_overflow(in.ram_base, in.ram_size, &ram_end))
    return std::unexpected("RAM [" + hex(in.ram_base) + " + " + hex(in.ram_size) + ") overflows");
  const auto too_small = [&](const char* what, uint64_t need_end) {
    return std::unexpected("RAM too small: " + std::string(what) + " would end at " +
                           hex(need_end) + ", RAM is " + mib(in.ram_size) + " from " +
                           hex(in.ram_base) + " (ends at " + hex(ram_end) + ")");
  };
  const auto overflow = std::unexpected("boot image sizes overflow the address space");

  BootPlacement p;
  // The Image: "placed text_offset bytes from a 2MB aligned base address anywhere in usable
  // system RAM" (flags bit 3 set), or, bit 3 clear, a base "as close as possible to the base of
  // DRAM": the lowest 2 MiB-aligned address in RAM satisfies both.
  uint64_t base, span = std::max(in.header.image_size, in.kernel_file_size);
  if (!align_up(in.ram_base, k2MiB, &base)) return overflow;
  if (__builtin_add_overflow(base, in.header.text_offset, &p.kernel)) return overflow;
  if (__builtin_add_overflow(p.kernel, span, &p.kernel_end)) return overflow;
  if (p.kernel_end > ram_end) return too_small("the kernel (image_size included)", p.kernel_end);

  // The initrd: anywhere after what the kernel uses, "within a 1 GB aligned physical memory
  // window of up to 32 GB in size that fully covers the kernel Image as well".
  uint64_t next = p.kernel_end;
  if (in.initrd_size != 0) {
    if (!align_up(p.kernel_end, k2MiB, &p.initrd)) return overflow;
    if (__builtin_add_overflow(p.initrd, in.initrd_size, &p.initrd_end)) return overflow;
    if (p.initrd_end > ram_end) return too_small("the initrd", p.initrd_end);
    if (p.initrd_end - (p.kernel & ~(k1GiB - 1)) > k32GiB)
      return std::unexpected("initrd would end more than 32 GiB above the kernel's 1 GiB window");
    next = p.initrd_end;
  }

  // The DTB: "placed on an 8-byte boundary and must not exceed 2 megabytes in size ... it must
  // not be placed within any 2M region which must be mapped with any specific attributes"; at
  // a 2 MiB boundary it is both aligned and inside one 2 MiB block.
  uint64_t dtb_end;
  if (!align_up(next, k2MiB, &p.dtb)) return overflow;
  if (__builtin_add_overflow(p.dtb, in.dtb_size, &dtb_end)) return overflow;
  if (dtb_end > ram_end) return too_small("the device tree", dtb_end);
  return p;
}

}  // namespace xvm::machine::arm64_virt
