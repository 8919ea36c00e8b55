// The board's device tree, read back with libfdt and checked against what the bindings and
// booting.rst require (expected values are written out from those documents, not taken from
// the builder's constants where the document fixes them).
#include <gtest/gtest.h>
#include <libfdt.h>

#include <cstring>
#include <string>
#include <vector>

#include "machine/arm64_virt/fdt.h"

namespace {

using xvm::machine::arm64_virt::build_fdt;
using xvm::machine::arm64_virt::FdtConfig;

FdtConfig config(unsigned cpus, bool initrd) {
  FdtConfig c;
  c.ram_size = 512ull << 20;
  c.num_cpus = cpus;
  c.bootargs = "console=ttyAMA0 earlycon nokaslr";
  if (initrd) c.initrd = {{0x4400'0000, 0x4412'3457}};
  for (unsigned i = 0; i < 64; ++i) c.rng_seed[i] = static_cast<uint8_t>(0xA0 ^ i);
  c.virtio_slots = {3, 0};
  return c;
}

class Tree {
 public:
  explicit Tree(const FdtConfig& c) {
    auto r = build_fdt(c);
    if (!r) ADD_FAILURE() << r.error();
    blob = r.value_or(std::vector<uint8_t>{});
  }
  const void* fdt() const { return blob.data(); }
  int node(const char* path) const { return fdt_path_offset(fdt(), path); }
  // The property's raw bytes, or an empty vector with a test failure if it is missing.
  std::vector<uint8_t> prop(const char* path, const char* name) const {
    const int off = node(path);
    if (off < 0) {
      ADD_FAILURE() << "no node " << path;
      return {};
    }
    int len = 0;
    const auto* p = static_cast<const uint8_t*>(fdt_getprop(fdt(), off, name, &len));
    if (p == nullptr) {
      ADD_FAILURE() << "no property " << path << ":" << name;
      return {};
    }
    return {p, p + len};
  }
  bool has(const char* path, const char* name) const {
    const int off = node(path);
    return off >= 0 && fdt_getprop(fdt(), off, name, nullptr) != nullptr;
  }
  std::string str(const char* path, const char* name) const {
    auto b = prop(path, name);
    if (b.empty() || b.back() != 0) {
      ADD_FAILURE() << path << ":" << name << " is not a NUL-terminated string";
      return {};
    }
    return std::string(reinterpret_cast<const char*>(b.data()));
  }
  // A string list as one std::string with '\0' separators (including the final NUL).
  std::string strlist(const char* path, const char* name) const {
    auto b = prop(path, name);
    return std::string(b.begin(), b.end());
  }
  std::vector<uint32_t> cells(const char* path, const char* name) const {
    auto b = prop(path, name);
    EXPECT_EQ(b.size() % 4, 0u) << path << ":" << name;
    std::vector<uint32_t> v;
    for (size_t i = 0; i + 4 <= b.size(); i += 4)
      v.push_back(uint32_t{b[i]} << 24 | uint32_t{b[i + 1]} << 16 | uint32_t{b[i + 2]} << 8 | b[i + 3]);
    return v;
  }
  uint32_t u32(const char* path, const char* name) const {
    auto v = cells(path, name);
    EXPECT_EQ(v.size(), 1u) << path << ":" << name;
    return v.empty() ? 0 : v[0];
  }
  std::vector<uint8_t> blob;
};

using Cells = std::vector<uint32_t>;
std::string list(std::initializer_list<const char*> l) {
  std::string s;
  for (auto* x : l) s.append(x).push_back('\0');
  return s;
}

TEST(Arm64VirtFdt, HeaderIsValidVersion17) {
  Tree t(config(1, false));
  ASSERT_EQ(fdt_check_header(t.fdt()), 0);
  EXPECT_EQ(fdt_magic(t.fdt()), 0xd00dfeedu);  // DT spec §5.2
  EXPECT_EQ(fdt_version(t.fdt()), 17u);
  EXPECT_EQ(fdt_totalsize(t.fdt()), t.blob.size());
  // booting.rst §2: the DTB must not exceed 2 MiB.
  EXPECT_LE(t.blob.size(), 2u << 20);
}

TEST(Arm64VirtFdt, RootNode) {
  Tree t(config(1, false));
  // DT spec §3.2: #address-cells, #size-cells, model and compatible are required.
  EXPECT_EQ(t.u32("/", "#address-cells"), 2u);
  EXPECT_EQ(t.u32("/", "#size-cells"), 2u);
  EXPECT_EQ(t.strlist("/", "compatible"), list({"linux,dummy-virt"}));
  EXPECT_TRUE(t.has("/", "model"));
  // interrupt-parent names the GIC's phandle.
  const int gic = t.node("/interrupt-controller@8000000");
  ASSERT_GE(gic, 0);
  EXPECT_EQ(t.u32("/", "interrupt-parent"), fdt_get_phandle(t.fdt(), gic));
  EXPECT_NE(fdt_get_phandle(t.fdt(), gic), 0u);
}

TEST(Arm64VirtFdt, ChosenWithoutInitrd) {
  Tree t(config(1, false));
  EXPECT_EQ(t.str("/chosen", "bootargs"), "console=ttyAMA0 earlycon nokaslr");
  // stdout-path must resolve to the PL011 node.
  const std::string out = t.str("/chosen", "stdout-path");
  const int uart = fdt_path_offset(t.fdt(), out.c_str());
  ASSERT_GE(uart, 0) << out;
  EXPECT_EQ(uart, t.node("/serial@9000000"));
  EXPECT_FALSE(t.has("/chosen", "linux,initrd-start"));
  EXPECT_FALSE(t.has("/chosen", "linux,initrd-end"));
  auto seed = t.prop("/chosen", "rng-seed");
  ASSERT_EQ(seed.size(), 64u);
  for (unsigned i = 0; i < 64; ++i) EXPECT_EQ(seed[i], 0xA0 ^ i);
}

TEST(Arm64VirtFdt, ChosenWithInitrd) {
  Tree t(config(1, true));
  // chosen binding: linux,initrd-start/-end are physical addresses, end exclusive, 1 or 2 cells.
  EXPECT_EQ(t.cells("/chosen", "linux,initrd-start"), (Cells{0, 0x4400'0000}));
  EXPECT_EQ(t.cells("/chosen", "linux,initrd-end"), (Cells{0, 0x4412'3457}));
}

TEST(Arm64VirtFdt, Memory) {
  Tree t(config(1, false));
  // DT spec §3.4: device_type "memory", reg = <base size> in the root's 2+2 cells.
  EXPECT_EQ(t.str("/memory@40000000", "device_type"), "memory");
  EXPECT_EQ(t.cells("/memory@40000000", "reg"), (Cells{0, 0x4000'0000, 0, 0x2000'0000}));
}

void expect_cpus(const Tree& t, unsigned n) {
  EXPECT_EQ(t.u32("/cpus", "#address-cells"), 1u);
  EXPECT_EQ(t.u32("/cpus", "#size-cells"), 0u);
  unsigned count = 0;
  const int cpus = t.node("/cpus");
  int child;
  fdt_for_each_subnode(child, t.fdt(), cpus) ++count;
  EXPECT_EQ(count, n);
  for (unsigned i = 0; i < n; ++i) {
    const std::string path = "/cpus/cpu@" + std::to_string(i);  // Aff0 = i below 16 CPUs
    const char* p = path.c_str();
    ASSERT_GE(t.node(p), 0) << path;
    EXPECT_EQ(t.str(p, "device_type"), "cpu");
    EXPECT_EQ(t.strlist(p, "compatible"), list({"arm,cortex-a57"}));
    // cpus.yaml: arm64 reg = MPIDR_EL1[23:0] with #address-cells 1.
    EXPECT_EQ(t.u32(p, "reg"), i);
    EXPECT_EQ(t.str(p, "enable-method"), "psci");
  }
}

TEST(Arm64VirtFdt, OneCpu) { expect_cpus(Tree(config(1, false)), 1); }
TEST(Arm64VirtFdt, FourCpus) { expect_cpus(Tree(config(4, true)), 4); }

TEST(Arm64VirtFdt, SeventeenCpusUseAff1) {
  Tree t(config(17, false));
  // CPU 16 is Aff1 = 1, Aff0 = 0: MPIDR[23:0] = 0x100.
  EXPECT_EQ(t.u32("/cpus/cpu@100", "reg"), 0x100u);
  EXPECT_EQ(t.u32("/cpus/cpu@f", "reg"), 0xfu);
}

TEST(Arm64VirtFdt, Psci) {
  Tree t(config(2, false));
  EXPECT_EQ(t.strlist("/psci", "compatible"), list({"arm,psci-1.0", "arm,psci-0.2"}));
  EXPECT_EQ(t.str("/psci", "method"), "hvc");
  // psci.yaml: the function-ID properties are for "arm,psci" (0.1) only.
  EXPECT_FALSE(t.has("/psci", "cpu_on"));
}

TEST(Arm64VirtFdt, GicV3ForOneAndFourCpus) {
  for (unsigned n : {1u, 4u}) {
    Tree t(config(n, false));
    const char* p = "/interrupt-controller@8000000";
    EXPECT_EQ(t.strlist(p, "compatible"), list({"arm,gic-v3"}));
    EXPECT_EQ(t.u32(p, "#interrupt-cells"), 3u);
    EXPECT_TRUE(t.has(p, "interrupt-controller"));
    EXPECT_EQ(t.prop(p, "interrupt-controller").size(), 0u);
    // arm,gic-v3.yaml reg: GICD (64 KiB), then the GICR region: 128 KiB (RD + SGI frames) per CPU.
    EXPECT_EQ(t.cells(p, "reg"),
              (Cells{0, 0x0800'0000, 0, 0x1'0000, 0, 0x080A'0000, 0, 0x2'0000 * n}));
  }
}

TEST(Arm64VirtFdt, Timer) {
  Tree t(config(1, false));
  EXPECT_EQ(t.strlist("/timer", "compatible"), list({"arm,armv8-timer"}));
  // arch_timer binding order: secure phys (PPI 13), non-secure phys (14), virtual (11), hyp
  // (10); cells <1 = PPI, number, 4 = IRQ_TYPE_LEVEL_HIGH>.
  EXPECT_EQ(t.cells("/timer", "interrupts"), (Cells{1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4}));
  EXPECT_TRUE(t.has("/timer", "always-on"));
}

TEST(Arm64VirtFdt, ClockAndPrimeCells) {
  Tree t(config(1, false));
  const int clk = t.node("/apb-pclk");
  ASSERT_GE(clk, 0);
  EXPECT_EQ(t.strlist("/apb-pclk", "compatible"), list({"fixed-clock"}));
  EXPECT_EQ(t.u32("/apb-pclk", "#clock-cells"), 0u);
  EXPECT_EQ(t.u32("/apb-pclk", "clock-frequency"), 24'000'000u);
  const uint32_t ph = fdt_get_phandle(t.fdt(), clk);
  ASSERT_NE(ph, 0u);

  const char* u = "/serial@9000000";
  EXPECT_EQ(t.strlist(u, "compatible"), list({"arm,pl011", "arm,primecell"}));
  EXPECT_EQ(t.cells(u, "reg"), (Cells{0, 0x0900'0000, 0, 0x1000}));
  EXPECT_EQ(t.cells(u, "interrupts"), (Cells{0, 1, 4}));  // SPI 1, level-high
  EXPECT_EQ(t.cells(u, "clocks"), (Cells{ph, ph}));
  EXPECT_EQ(t.strlist(u, "clock-names"), list({"uartclk", "apb_pclk"}));

  const char* r = "/rtc@9010000";
  EXPECT_EQ(t.strlist(r, "compatible"), list({"arm,pl031", "arm,primecell"}));
  EXPECT_EQ(t.cells(r, "reg"), (Cells{0, 0x0901'0000, 0, 0x1000}));
  EXPECT_EQ(t.cells(r, "interrupts"), (Cells{0, 2, 4}));
  EXPECT_EQ(t.cells(r, "clocks"), (Cells{ph}));
  EXPECT_EQ(t.strlist(r, "clock-names"), list({"apb_pclk"}));
}

TEST(Arm64VirtFdt, VirtioOnlyPopulatedSlots) {
  Tree t(config(1, false));  // slots 3 and 0
  for (auto [path, base, spi] : {std::tuple{"/virtio_mmio@a000000", 0x0A00'0000u, 16u},
                                 std::tuple{"/virtio_mmio@a000600", 0x0A00'0600u, 19u}}) {
    EXPECT_EQ(t.strlist(path, "compatible"), list({"virtio,mmio"}));
    EXPECT_EQ(t.cells(path, "reg"), (Cells{0, base, 0, 0x200}));
    EXPECT_EQ(t.cells(path, "interrupts"), (Cells{0, spi, 4}));
  }
  EXPECT_LT(t.node("/virtio_mmio@a000200"), 0);
  unsigned n = 0;
  int child;
  fdt_for_each_subnode(child, t.fdt(), 0) {
    const char* name = fdt_get_name(t.fdt(), child, nullptr);
    if (std::strncmp(name, "virtio_mmio@", 12) == 0) ++n;
  }
  EXPECT_EQ(n, 2u);
}

TEST(Arm64VirtFdt, NothingElseAtTheRoot) {
  Tree t(config(1, false));
  std::vector<std::string> names;
  int child;
  fdt_for_each_subnode(child, t.fdt(), 0) names.push_back(fdt_get_name(t.fdt(), child, nullptr));
  const std::vector<std::string> want = {
      "chosen", "memory@40000000", "cpus",          "psci", "interrupt-controller@8000000",
      "timer",  "apb-pclk",        "serial@9000000", "rtc@9010000",
      "virtio_mmio@a000000",       "virtio_mmio@a000600"};
  std::vector<std::string> a = names, b = want;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

TEST(Arm64VirtFdt, RefusesBadConfigurations) {
  auto bad = [](auto mutate) {
    FdtConfig c = config(1, false);
    mutate(c);
    auto r = build_fdt(c);
    EXPECT_FALSE(r.has_value());
    return r ? std::string() : r.error();
  };
  EXPECT_NE(bad([](FdtConfig& c) { c.num_cpus = 0; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.num_cpus = 124; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.ram_size = 0; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.ram_size = 4097; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.ram_size = 256ull << 30; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.initrd = {{0x3FFF'F000, 0x4000'1000}}; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.initrd = {{0x4000'0000, 0x6000'0001}}; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.initrd = {{0x4100'0000, 0x4100'0000}}; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.virtio_slots = {32}; }), "");
  EXPECT_NE(bad([](FdtConfig& c) { c.virtio_slots = {1, 1}; }), "");
  // The maximum is accepted.
  FdtConfig c = config(123, true);
  EXPECT_TRUE(build_fdt(c).has_value());
}

TEST(Arm64VirtFdt, LongBootargsGrowTheBuffer) {
  FdtConfig c = config(1, false);
  c.bootargs = std::string(100'000, 'x');
  Tree t(c);
  ASSERT_EQ(fdt_check_header(t.fdt()), 0);
  EXPECT_EQ(t.str("/chosen", "bootargs").size(), 100'000u);
}

}  // namespace
