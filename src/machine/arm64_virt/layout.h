// The arm64 "virt" board's guest-physical memory map and interrupt numbers. The addresses follow
// QEMU's virt board (hw/arm/virt.c base_memmap and a15irqmap), so a guest or a person who knows
// that board finds everything where they expect it; nothing else here depends on QEMU.
//
// Interrupt numbering (GICv3 architecture, IHI 0069 §2.2): INTIDs 0-15 are SGIs, 16-31 PPIs
// (private to each CPU), 32-1019 SPIs. Device-tree specifiers name a PPI or SPI by its number
// inside its class (Documentation/devicetree/bindings/interrupt-controller/arm,gic-v3.yaml),
// so the constants below are those class-relative numbers; ppi_intid/spi_intid give INTIDs.
#pragma once
#include <cstdint>

namespace xvm::machine::arm64_virt {

// GICv3 distributor (GICD_*): one 64 KiB frame (IHI 0069 §12.1).
inline constexpr uint64_t kGicDistBase = 0x0800'0000;
inline constexpr uint64_t kGicDistSize = 0x1'0000;
// GICv3 redistributors: one 128 KiB frame pair (RD_base + SGI_base) per CPU, contiguous, in
// CPU-index order (IHI 0069 §12.10; no VLPI frames, so the stride is 2 × 64 KiB).
inline constexpr uint64_t kGicRedistBase = 0x080A'0000;
inline constexpr uint64_t kGicRedistStride = 0x2'0000;
inline constexpr uint64_t kGicRedistRegionSize = 0xF6'0000;  // up to the UART's window
inline constexpr unsigned kMaxCpus = kGicRedistRegionSize / kGicRedistStride;  // 123

// PrimeCell UART (PL011) and RTC (PL031): 4 KiB windows (the PrimeCell ID registers sit at
// 0xFE0-0xFFC of that window).
inline constexpr uint64_t kUartBase = 0x0900'0000;
inline constexpr uint64_t kUartSize = 0x1000;
inline constexpr unsigned kUartSpi = 1;
inline constexpr uint64_t kRtcBase = 0x0901'0000;
inline constexpr uint64_t kRtcSize = 0x1000;
inline constexpr unsigned kRtcSpi = 2;

// virtio-mmio transports: 32 slots of 0x200 bytes (virtio 1.2 §4.2.2 register layout), slot i
// at kVirtioMmioBase + i * kVirtioMmioStride with SPI kVirtioMmioFirstSpi + i.
inline constexpr uint64_t kVirtioMmioBase = 0x0A00'0000;
inline constexpr uint64_t kVirtioMmioStride = 0x200;
inline constexpr unsigned kVirtioMmioSlots = 32;
inline constexpr unsigned kVirtioMmioFirstSpi = 16;
constexpr uint64_t virtio_mmio_base(unsigned slot) {
  return kVirtioMmioBase + uint64_t{slot} * kVirtioMmioStride;
}
constexpr unsigned virtio_mmio_spi(unsigned slot) { return kVirtioMmioFirstSpi + slot; }

// RAM: one region from 1 GiB. 255 GiB is the room QEMU's layout leaves below its high-memory
// devices at 256 GiB; xvm has none there, but keeping the bound keeps RAM inside a 40-bit PA
// space (the PARange the CPU model reports).
inline constexpr uint64_t kRamBase = 0x4000'0000;
inline constexpr uint64_t kRamMaxSize = 255ull << 30;

// Generic timer PPIs, in the order the timer binding lists them
// (Documentation/devicetree/bindings/timer/arm,arch_timer.yaml "interrupts": secure physical,
// non-secure physical, virtual, hypervisor). Numbers as on QEMU virt and the SBSA
// recommendation (INTIDs 29, 30, 27, 26).
inline constexpr unsigned kPpiSecurePhysTimer = 13;
inline constexpr unsigned kPpiNonSecurePhysTimer = 14;
inline constexpr unsigned kPpiVirtTimer = 11;
inline constexpr unsigned kPpiHypTimer = 10;

constexpr unsigned ppi_intid(unsigned ppi) { return 16 + ppi; }
constexpr unsigned spi_intid(unsigned spi) { return 32 + spi; }

// The fixed clock the PrimeCell devices name as their UARTCLK and APB PCLK (24 MHz, QEMU's value).
inline constexpr uint32_t kApbClockHz = 24'000'000;

// MPIDR_EL1 affinity of CPU `index` (Arm ARM D19.2.89, without the RES1 bit 31): 16 CPUs per
// Aff1 cluster, because a GICv3 SGI target list (ICC_SGI1R_EL1.TargetList) covers Aff0 0-15.
// The /cpus "reg" values, the GIC redistributors' GICR_TYPER affinity and PSCI CPU_ON's target
// all use this one mapping.
constexpr uint64_t mpidr_affinity(unsigned index) {
  return (uint64_t{index / 16} << 8) | (index % 16);
}

}  // namespace xvm::machine::arm64_virt
