// The arm64 "virt" machine (docs/design/machine-arm64-virt.md): RAM at kRamBase, a PL011 UART,
// a PL031 RTC, virtio-mmio disks, PSCI over HVC, vCPUs running Debian's arm64 kernel through
// the Linux boot protocol on the system-mode interpreter. One host thread per vCPU.
#pragma once
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

namespace xvm::machine::arm64_virt {

struct DiskConfig {
  std::string path;
  bool read_only = false;
};

struct MachineConfig {
  std::string kernel;            // Linux arm64 Image
  std::string initrd;            // optional initramfs
  std::string append;            // kernel command line
  uint64_t memory = 512ull << 20;
  unsigned cpus = 1;
  std::vector<DiskConfig> disks;
  std::vector<std::string> nets;  // "user[,hostfwd=tcp:127.0.0.1:H-:G]…", one virtio-net each
  bool rng = true;                // a virtio-rng device (host getrandom)
  std::string console = "stdio";  // stdio | none | file:PATH
  double timeout_s = 0;           // > 0: stop the guest after this long (status 124)
  // interp: the system interpreter; jit: every block translated on first execution; tiered:
  // blocks translated after `jit_threshold` runs, interpreted until then.
  std::string engine = "interp";
  uint32_t jit_threshold = 50;
  uint64_t jit_cache_bytes = uint64_t{32} << 20;  // per vCPU
  bool count_insns = false;  // exact instruction counts under the JIT (--stats)
};

// How the machine stopped.
struct MachineExit {
  int status = 0;       // 0: guest powered off (PSCI SYSTEM_OFF)
  std::string reason;   // one line for the user when status != 0
  // Figures for --stats: per vCPU, guest instructions executed and TLB misses; wall time.
  std::vector<uint64_t> instructions, tlb_misses;
  std::string jit_stats;  // the JIT's figures (all vCPUs), one line, when it ran
  double wall_seconds = 0;
};

class Machine {
 public:
  static std::expected<std::unique_ptr<Machine>, std::string> create(const MachineConfig& config);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Boots CPU 0 at the kernel's entry and runs until the guest powers off, resets, the
  // timeout passes or a vCPU hits an error.
  MachineExit run();

  struct Impl;

 private:
  explicit Machine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xvm::machine::arm64_virt
