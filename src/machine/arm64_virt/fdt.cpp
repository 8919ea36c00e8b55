// The device tree, written with libfdt's sequential-write API. Each node follows its binding in
// Linux Documentation/devicetree/bindings (cited per node) and the Devicetree Specification
// v0.4 ("DT spec") for the standard properties; values come from layout.h.
#include "machine/arm64_virt/fdt.h"

#include <libfdt.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>

#include "machine/arm64_virt/layout.h"

namespace xvm::machine::arm64_virt {
namespace {

// Interrupt specifier cells of the GIC binding (arm,gic-v3.yaml; the constants are those of
// include/dt-bindings/interrupt-controller/arm-gic.h and irq.h).
constexpr uint32_t kGicSpi = 0;
constexpr uint32_t kGicPpi = 1;
constexpr uint32_t kIrqTypeLevelHigh = 4;

// Collects libfdt's first error, so the tree can be written as a straight sequence of calls.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& buf) : buf_(buf) {
    check(fdt_create(buf_.data(), static_cast<int>(buf_.size())));
    check(fdt_finish_reservemap(buf_.data()));
  }
  void begin(const char* name) { check(fdt_begin_node(buf_.data(), name)); }
  void end() { check(fdt_end_node(buf_.data())); }
  void empty(const char* name) { check(fdt_property(buf_.data(), name, nullptr, 0)); }
  void u32(const char* name, uint32_t v) { check(fdt_property_u32(buf_.data(), name, v)); }
  void u64(const char* name, uint64_t v) { check(fdt_property_u64(buf_.data(), name, v)); }
  void string(const char* name, const std::string& s) {
    check(fdt_property_string(buf_.data(), name, s.c_str()));
  }
  // A string list: the strings one after another, each with its NUL (DT spec §2.2.4.1).
  void strings(const char* name, std::initializer_list<const char*> list) {
    std::string joined;
    for (const char* s : list) joined.append(s).push_back('\0');
    bytes(name, joined.data(), joined.size());
  }
  void cells(const char* name, std::initializer_list<uint32_t> list) {
    std::vector<fdt32_t> be;
    for (uint32_t v : list) be.push_back(cpu_to_fdt32(v));
    bytes(name, be.data(), be.size() * sizeof(fdt32_t));
  }
  // <address size> pairs with #address-cells = #size-cells = 2: each value is two cells,
  // most significant first, which is exactly a big-endian 64-bit value.
  void reg64(const char* name, std::initializer_list<uint64_t> list) {
    std::vector<fdt64_t> be;
    for (uint64_t v : list) be.push_back(cpu_to_fdt64(v));
    bytes(name, be.data(), be.size() * sizeof(fdt64_t));
  }
  void bytes(const char* name, const void* data, size_t len) {
    check(fdt_property(buf_.data(), name, data, static_cast<int>(len)));
  }
  int finish() {
    check(fdt_finish(buf_.data()));
    return err_;
  }

 private:
  void check(int r) {
    if (r < 0 && err_ == 0) err_ = r;
  }
  std::vector<uint8_t>& buf_;
  int err_ = 0;
};

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

// "name@unit-address": the unit address is the first reg address in hex without 0x (DT spec §2.2.1).
std::string unit_name(const char* base, uint64_t addr) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(addr));
  return std::string(base) + "@" + buf;
}

std::string validate(const FdtConfig& c) {
  if (c.ram_size == 0 || c.ram_size % 4096 != 0)
    return "RAM size " + hex(c.ram_size) + " is not a non-zero multiple of 4 KiB";
  if (c.ram_size > kRamMaxSize)
    return "RAM size " + hex(c.ram_size) + " exceeds the board's maximum " + hex(kRamMaxSize);
  if (c.num_cpus == 0 || c.num_cpus > kMaxCpus)
    return std::to_string(c.num_cpus) + " CPUs requested; the board has room for 1 to " +
           std::to_string(kMaxCpus);
  if (c.initrd) {
    const auto [start, end] = *c.initrd;
    if (start >= end || start < kRamBase || end - kRamBase > c.ram_size)
      return "initrd [" + hex(start) + ", " + hex(end) + ") is empty or not inside RAM";
  }
  for (size_t i = 0; i < c.virtio_slots.size(); ++i) {
    const unsigned s = c.virtio_slots[i];
    if (s >= kVirtioMmioSlots)
      return "virtio-mmio slot " + std::to_string(s) + " does not exist (0 to " +
             std::to_string(kVirtioMmioSlots - 1) + ")";
    if (std::count(c.virtio_slots.begin(), c.virtio_slots.begin() + i, s) != 0)
      return "virtio-mmio slot " + std::to_string(s) + " listed twice";
  }
  if (c.bootargs.find('\0') != std::string::npos) return "bootargs contain a NUL byte";
  return {};
}

void write_tree(Writer& w, const FdtConfig& c) {
  w.begin("");
  // Root node: DT spec §3.2. arm64 Linux needs no board compatible; "linux,dummy-virt" is the
  // name QEMU's virt board uses for "no particular board".
  w.u32("#address-cells", 2);
  w.u32("#size-cells", 2);
  w.strings("compatible", {"linux,dummy-virt"});
  w.string("model", "xvm,arm64-virt");
  w.u32("interrupt-parent", kPhandleGic);

  // /chosen: DT spec §3.6 and dt-schema's chosen.yaml (bootargs, stdout-path, rng-seed,
  // linux,initrd-start/-end: physical addresses, end exclusive, one or two cells; two here so
  // RAM above 4 GiB works).
  w.begin("chosen");
  w.string("bootargs", c.bootargs);
  w.string("stdout-path", kUartNodePath);
  if (c.initrd) {
    w.u64("linux,initrd-start", c.initrd->first);
    w.u64("linux,initrd-end", c.initrd->second);
  }
  w.bytes("rng-seed", c.rng_seed.data(), c.rng_seed.size());
  w.end();

  // /memory: DT spec §3.4.
  w.begin(unit_name("memory", kRamBase).c_str());
  w.string("device_type", "memory");
  w.reg64("reg", {kRamBase, c.ram_size});
  w.end();

  // /cpus: DT spec §3.7 and bindings/arm/cpus.yaml: on arm64 "reg" holds MPIDR_EL1's affinity
  // bits; with #address-cells = 1 the cell is MPIDR[23:0] (Aff2..Aff0), enough while Aff3 = 0.
  // enable-method "psci" makes Linux bring secondaries up with PSCI CPU_ON.
  w.begin("cpus");
  w.u32("#address-cells", 1);
  w.u32("#size-cells", 0);
  for (unsigned i = 0; i < c.num_cpus; ++i) {
    const uint64_t mpidr = mpidr_affinity(i);
    w.begin(unit_name("cpu", mpidr).c_str());
    w.string("device_type", "cpu");
    w.strings("compatible", {"arm,cortex-a57"});
    w.u32("reg", static_cast<uint32_t>(mpidr));
    w.string("enable-method", "psci");
    w.end();
  }
  w.end();

  // /psci: bindings/arm/psci.yaml: PSCI 1.0 firmware lists "arm,psci-1.0" then "arm,psci-0.2";
  // the conduit is HVC (the CPU runs at EL1 with no EL2, so HVC reaches xvm). The per-function
  // ID properties belong only to the 0.1 binding "arm,psci".
  w.begin("psci");
  w.strings("compatible", {"arm,psci-1.0", "arm,psci-0.2"});
  w.string("method", "hvc");
  w.end();

  // GICv3: bindings/interrupt-controller/arm,gic-v3.yaml. reg = distributor, then one
  // redistributor region covering this many CPUs' frames; no ITS/MBI children, so no
  // #address-cells/ranges; no maintenance interrupt (no EL2).
  w.begin(unit_name("interrupt-controller", kGicDistBase).c_str());
  w.strings("compatible", {"arm,gic-v3"});
  w.u32("#interrupt-cells", 3);
  w.empty("interrupt-controller");
  w.reg64("reg", {kGicDistBase, kGicDistSize, kGicRedistBase, kGicRedistStride * c.num_cpus});
  w.u32("phandle", kPhandleGic);
  w.end();

  // Generic timer: bindings/timer/arm,arch_timer.yaml. The four PPIs in the binding's order
  // (secure phys, non-secure phys, virtual, hyp), level-high. always-on: the timer keeps
  // running in every idle state the guest can enter (WFI), so no broadcast timer is needed.
  // No clock-frequency: the kernel reads CNTFRQ_EL0.
  w.begin("timer");
  w.strings("compatible", {"arm,armv8-timer"});
  w.cells("interrupts", {kGicPpi, kPpiSecurePhysTimer, kIrqTypeLevelHigh,     //
                         kGicPpi, kPpiNonSecurePhysTimer, kIrqTypeLevelHigh,  //
                         kGicPpi, kPpiVirtTimer, kIrqTypeLevelHigh,           //
                         kGicPpi, kPpiHypTimer, kIrqTypeLevelHigh});
  w.empty("always-on");
  w.end();

  // The PrimeCells' clock: bindings/clock/fixed-clock.yaml. Linux's AMBA bus enables a device's
  // apb_pclk before it reads the PrimeCell ID registers, so without a clock nothing probes.
  w.begin("apb-pclk");
  w.strings("compatible", {"fixed-clock"});
  w.u32("#clock-cells", 0);
  w.u32("clock-frequency", kApbClockHz);
  w.strings("clock-output-names", {"clk24mhz"});
  w.u32("phandle", kPhandleApbClock);
  w.end();

  // PL011: bindings/serial/arm,pl011.yaml (with arm/primecell.yaml): clocks are UARTCLK then
  // APB PCLK, named "uartclk" and "apb_pclk".
  w.begin(kUartNodePath + 1);
  w.strings("compatible", {"arm,pl011", "arm,primecell"});
  w.reg64("reg", {kUartBase, kUartSize});
  w.cells("interrupts", {kGicSpi, kUartSpi, kIrqTypeLevelHigh});
  w.cells("clocks", {kPhandleApbClock, kPhandleApbClock});
  w.strings("clock-names", {"uartclk", "apb_pclk"});
  w.end();

  // PL031: bindings/rtc/arm,pl031.yaml: one clock, "apb_pclk".
  w.begin(unit_name("rtc", kRtcBase).c_str());
  w.strings("compatible", {"arm,pl031", "arm,primecell"});
  w.reg64("reg", {kRtcBase, kRtcSize});
  w.cells("interrupts", {kGicSpi, kRtcSpi, kIrqTypeLevelHigh});
  w.cells("clocks", {kPhandleApbClock});
  w.strings("clock-names", {"apb_pclk"});
  w.end();

  // virtio-mmio: bindings/virtio/mmio.yaml. Level-high: the transport holds its line high while
  // InterruptStatus is non-zero, which the GIC cannot lose the way it could lose an edge.
  // dma-coherent: the device model reads and writes guest RAM coherently with the CPUs.
  std::vector<unsigned> slots = c.virtio_slots;
  std::sort(slots.begin(), slots.end());
  for (unsigned s : slots) {
    w.begin(unit_name("virtio_mmio", virtio_mmio_base(s)).c_str());
    w.strings("compatible", {"virtio,mmio"});
    w.reg64("reg", {virtio_mmio_base(s), kVirtioMmioStride});
    w.cells("interrupts", {kGicSpi, virtio_mmio_spi(s), kIrqTypeLevelHigh});
    w.empty("dma-coherent");
    w.end();
  }
  w.end();
}

}  // namespace

std::expected<std::vector<uint8_t>, std::string> build_fdt(const FdtConfig& config) {
  if (std::string why = validate(config); !why.empty()) return std::unexpected(why);
  // Grow the buffer until the tree fits (bootargs are the only unbounded part).
  for (size_t size = 16 * 1024 + config.bootargs.size(); size <= (64u << 20); size *= 2) {
    std::vector<uint8_t> buf(size);
    Writer w(buf);
    write_tree(w, config);
    const int err = w.finish();
    if (err == -FDT_ERR_NOSPACE) continue;
    if (err < 0) return std::unexpected(std::string("device tree: ") + fdt_strerror(err));
    buf.resize(fdt_totalsize(buf.data()));
    return buf;
  }
  return std::unexpected("device tree: larger than 64 MiB");
}

}  // namespace xvm::machine::arm64_virt
