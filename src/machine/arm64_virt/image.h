// The Linux arm64 kernel Image: header parsing and where the kernel, initrd and DTB go in RAM
// (Linux Documentation/arm64/booting.rst, "Call the kernel image" and "Setup the device tree").
#pragma once
#include <cstdint>
#include <expected>
#include <span>
#include <string>

namespace xvm::machine::arm64_virt {

// The 64-byte header at the start of every arm64 Image since Linux 3.7 (booting.rst §4).
struct ImageHeader {
  uint64_t text_offset = 0;  // the Image goes at a 2 MiB-aligned address + text_offset
  uint64_t image_size = 0;   // bytes from the load address the kernel uses (file plus BSS etc.)
  uint64_t flags = 0;        // bit 0 endianness, bits 1-2 page size, bit 3 placement
  bool place_anywhere = false;  // flags bit 3: any 2 MiB-aligned base in RAM (else near RAM's base)
};

inline constexpr size_t kImageHeaderSize = 64;
inline constexpr uint32_t kImageMagic = 0x644d5241;  // "ARM\x64", little-endian, at offset 0x38

// Checks the file's header: long enough, the magic, little-endian, 4 KiB (or unspecified) pages,
// a non-zero image_size (kernels before 3.17 left it 0 and are not supported). Anything else —
// a gzip- or EFI-zboot-compressed file, a big-endian or 16/64 KiB-page kernel — is refused with
// one line saying what it is.
std::expected<ImageHeader, std::string> parse_image(std::span<const uint8_t> file);

struct BootPlacementInput {
  uint64_t ram_base = 0;
  uint64_t ram_size = 0;
  ImageHeader header;
  uint64_t kernel_file_size = 0;  // bytes copied from the file (may exceed image_size if signed)
  uint64_t initrd_size = 0;       // 0 = no initrd
  uint64_t dtb_size = 0;          // the DTB (at most 2 MiB), or an upper bound for it
};

// Guest-physical addresses; every range is [start, end).
struct BootPlacement {
  uint64_t kernel = 0;      // load address of the Image's first byte = entry point
  uint64_t kernel_end = 0;  // kernel + max(image_size, file size)
  uint64_t initrd = 0;      // 0 when there is no initrd
  uint64_t initrd_end = 0;
  uint64_t dtb = 0;
};

// The Image at the lowest 2 MiB-aligned address in RAM plus text_offset; the initrd after the
// kernel's image_size (2 MiB-aligned), inside the 1 GiB-aligned 32 GiB window that covers the
// kernel; the DTB after that at a 2 MiB boundary, so it is 8-byte aligned and, being at most
// 2 MiB, never crosses a 2 MiB boundary. An error names what does not fit.
std::expected<BootPlacement, std::string> place_boot_images(const BootPlacementInput& in);

}  // namespace xvm::machine::arm64_virt
