// `xvm boot`: boot a kernel on an emulated machine (full-system emulation, issue 5). Today
// the one machine is arm64 "virt" (machine/arm64_virt/), on the system-mode JIT or interpreter.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.h"
#include "machine/arm64_virt/machine.h"

namespace xvm::cli {
namespace {

struct BootOptions {
  std::string arch = "arm64";
  std::string kernel, initrd, append;
  std::string memory = "512M";
  unsigned cpus = 1;
  std::vector<std::string> disks;
  std::vector<std::string> nets;
  bool no_rng = false;
  std::string console = "stdio";
  std::string engine = "tiered";
  uint32_t jit_threshold = 50;
  uint64_t jit_cache_kib = 32768;
  double timeout = 0;
  bool stats = false;
};

// "512M", "2G", "1048576K", or bytes.
bool parse_size(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  uint64_t mul = 1;
  const std::string suffix(end);
  if (suffix == "K" || suffix == "k") mul = 1ull << 10;
  else if (suffix == "M" || suffix == "m") mul = 1ull << 20;
  else if (suffix == "G" || suffix == "g") mul = 1ull << 30;
  else if (!suffix.empty()) return false;
  if (v > ~uint64_t{0} / mul) return false;
  *out = v * mul;
  return true;
}

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "xvm boot: %s\n", msg.c_str());
  std::exit(2);
}

void boot(const BootOptions& o) {
  if (o.arch != "arm64") fail("--arch " + o.arch + ": only arm64 machines exist so far");
  if (o.engine != "interp" && o.engine != "jit" && o.engine != "tiered")
    fail("--engine " + o.engine + ": expected interp, jit or tiered");
  machine::arm64_virt::MachineConfig c;
  c.kernel = o.kernel;
  c.initrd = o.initrd;
  c.append = o.append;
  c.cpus = o.cpus;
  c.console = o.console;
  c.timeout_s = o.timeout;
  c.engine = o.engine;
  c.jit_threshold = o.jit_threshold;
  c.jit_cache_bytes = o.jit_cache_kib << 10;
  c.count_insns = o.stats;
  c.nets = o.nets;
  c.rng = !o.no_rng;
  if (!parse_size(o.memory, &c.memory)) fail("--memory " + o.memory + ": not a size (e.g. 512M, 2G)");
  for (const std::string& d : o.disks) {
    machine::arm64_virt::DiskConfig disk;
    const auto comma = d.find(',');
    disk.path = d.substr(0, comma);
    if (comma != std::string::npos) {
      const std::string opt = d.substr(comma + 1);
      if (opt == "readonly=on") disk.read_only = true;
      else if (opt != "readonly=off") fail("--disk " + d + ": unknown option " + opt);
    }
    c.disks.push_back(disk);
  }
  auto m = machine::arm64_virt::Machine::create(c);
  if (!m) fail(m.error());
  const machine::arm64_virt::MachineExit e = (*m)->run();
  if (e.status != 0) std::fprintf(stderr, "xvm boot: %s\n", e.reason.c_str());
  if (o.stats) {
    uint64_t total = 0;
    for (size_t i = 0; i < e.instructions.size(); ++i) {
      total += e.instructions[i];
      std::fprintf(stderr, "xvm: stats: cpu%zu %llu guest instructions, %llu TLB misses\n", i,
                   static_cast<unsigned long long>(e.instructions[i]),
                   static_cast<unsigned long long>(e.tlb_misses[i]));
    }
    std::fprintf(stderr, "xvm: stats: %llu guest instructions in %.3f s wall (%.1f MIPS)\n",
                 static_cast<unsigned long long>(total), e.wall_seconds,
                 e.wall_seconds > 0 ? double(total) / e.wall_seconds / 1e6 : 0.0);
    if (!e.jit_stats.empty()) std::fputs(e.jit_stats.c_str(), stderr);
  }
  std::fflush(stdout);
  std::exit(e.status);
}

}  // namespace

void add_boot_command(CLI::App& app) {
  static BootOptions options;  // lives as long as the app (the process)
  BootOptions* o = &options;
  CLI::App* cmd = app.add_subcommand(
      "boot",
      "boot a kernel on an emulated machine (arm64 virt: GICv3, generic timer, PL011 console, "
      "PL031 RTC, virtio-mmio disks/network/entropy, PSCI); Ctrl-A x on the console stops it");
  cmd->add_option("--arch", o->arch, "guest architecture (arm64)")->capture_default_str();
  cmd->add_option("--kernel", o->kernel, "Linux arm64 Image (uncompressed)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--initrd", o->initrd, "initramfs (cpio, optionally compressed)")->check(CLI::ExistingFile);
  cmd->add_option("--append", o->append, "kernel command line");
  cmd->add_option("--memory", o->memory, "guest RAM, e.g. 512M or 2G")->capture_default_str();
  cmd->add_option("--cpus", o->cpus, "number of vCPUs")->capture_default_str();
  cmd->add_option("--disk", o->disks, "virtio disk image PATH[,readonly=on] (repeatable)");
  cmd->add_option("--net", o->nets,
                  "virtio-net on user-mode networking (libslirp): user[,hostfwd=tcp:127.0.0.1:"
                  "HOSTPORT-:GUESTPORT]… (guest 10.0.2.15 by DHCP, host reachable as 10.0.2.2, "
                  "no DNS; repeatable)");
  cmd->add_flag("--no-rng", o->no_rng, "no virtio-rng entropy device (present by default)");
  cmd->add_option("--console", o->console, "where the UART goes: stdio, none or file:PATH")
      ->capture_default_str();
  cmd->add_option("--engine", o->engine,
                  "execution engine: interp (system interpreter), jit (translate every block "
                  "to x86-64 on first run) or tiered (translate blocks once hot)")
      ->capture_default_str();
  cmd->add_option("--jit-threshold", o->jit_threshold,
                  "tiered engine: runs of a block before it is translated")
      ->capture_default_str();
  cmd->add_option("--jit-cache-size", o->jit_cache_kib,
                  "code cache per vCPU in KiB; flushed when full")
      ->capture_default_str()
      ->type_name("KIB")
      ->check(CLI::Range(uint64_t{64}, uint64_t{1} << 21));
  cmd->add_option("--timeout", o->timeout,
                  "stop the guest after this many seconds, exit status 124 (0 = never)");
  cmd->add_flag("--stats", o->stats,
                "at exit, print guest instructions per vCPU, TLB misses, wall time and MIPS");
  cmd->callback([o] { boot(*o); });
}

}  // namespace xvm::cli
