// Builds the flattened device tree (DTB) the kernel receives in x0 (Linux
// Documentation/arm64/booting.rst §2): it describes exactly the devices the board has.
#pragma once
#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace xvm::machine::arm64_virt {

struct FdtConfig {
  uint64_t ram_size = 0;  // bytes from kRamBase; a multiple of 4 KiB
  unsigned num_cpus = 1;  // 1..kMaxCpus
  std::string bootargs;   // kernel command line (/chosen/bootargs)
  // Guest-physical [start, end) of the initrd, inside RAM; nothing in /chosen when absent.
  std::optional<std::pair<uint64_t, uint64_t>> initrd;
  std::vector<unsigned> virtio_slots;  // populated virtio-mmio slots (< kVirtioMmioSlots, no repeats)
  std::array<uint8_t, 64> rng_seed{};  // /chosen/rng-seed: the guest's first entropy
};

// Phandles the tree uses (fixed, so other code and tests may name them).
inline constexpr uint32_t kPhandleGic = 1;
inline constexpr uint32_t kPhandleApbClock = 2;

// The node path of the console UART (what /chosen/stdout-path names).
inline constexpr const char* kUartNodePath = "/serial@9000000";

// A DTB (FDT version 17) or a one-line reason the configuration is invalid. The blob's size
// depends only on the configuration's shape (CPU count, bootargs length, initrd present, number
// of virtio slots), not on address values, so a caller may build once to learn the size.
std::expected<std::vector<uint8_t>, std::string> build_fdt(const FdtConfig& config);

}  // namespace xvm::machine::arm64_virt
