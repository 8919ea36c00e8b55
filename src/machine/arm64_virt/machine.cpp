#include "machine/arm64_virt/machine.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <span>
#include <thread>

#include "arch/arm64/features.h"
#include "arch/arm64/system/exception.h"
#include "arch/arm64/system/system.h"
#include "devices/gic/gicv3.h"
#include "devices/rtc/pl031.h"
#include "devices/timer/generic_timer.h"
#include "devices/uart/pl011.h"
#include "devices/virtio/blk/device.h"
#include "devices/virtio/console/device.h"
#include "devices/virtio/mmio.h"
#include "devices/virtio/net/device.h"
#include "devices/virtio/net/options.h"
#include "devices/virtio/net/slirp_backend.h"
#include "devices/virtio/rng/device.h"
#include "engine/system_interp.h"
#include "engine/tiered.h"
#include "machine/arm64_virt/fdt.h"
#include "machine/arm64_virt/image.h"
#include "machine/arm64_virt/layout.h"
#include "memory/phys.h"

namespace xvm::machine::arm64_virt {

using arm64::Cpu;
using arm64::Stop;
using arm64::StopKind;

namespace {

std::expected<std::vector<uint8_t>, std::string> read_file(const std::string& path,
                                                           const char* what) {
  // One read of the whole file (a kernel Image is ~30 MiB: byte-wise iterators cost ~15 ms).
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::unexpected(std::string("cannot open ") + what + " " + path);
  const std::streamoff size = in.tellg();
  if (size < 0) return std::unexpected(std::string("cannot read ") + what + " " + path);
  std::vector<uint8_t> data(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(data.data()), size))
    return std::unexpected(std::string("cannot read ") + what + " " + path);
  return data;
}

// Guest-physical accesses of the vCPUs: RAM and the device windows.
class MachineBus final : public arm64::sys::PhysBus {
 public:
  explicit MachineBus(memory::Bus& bus) : bus_(bus) {}
  uint8_t* ram(uint64_t pa, uint64_t len) override {
    return bus_.ram().ram_ptr(GuestPhysAddr{pa}, len);
  }
  bool mmio_read(uint64_t pa, unsigned size, uint64_t* value) override {
    return bus_.mmio_read(GuestPhysAddr{pa}, size, value);
  }
  bool mmio_write(uint64_t pa, unsigned size, uint64_t value) override {
    return bus_.mmio_write(GuestPhysAddr{pa}, size, value);
  }

 private:
  memory::Bus& bus_;
};

// The GIC CPU interface (ICC_*_EL1: op0 = 3, op1 = 0, CRn = 12 with CRm 8, 9, 11 or 12, and
// ICC_PMR_EL1 = S3_0_C4_C6_0), UNDEFINED at EL0 (Arm GICv3 spec: ICC_SRE_EL1 gives EL0 no
// access).
bool is_gic_cpu_register(uint32_t enc) {
  if (enc == arm64::sysreg(3, 0, 4, 6, 0)) return true;
  if ((enc >> 7) != (arm64::sysreg(3, 0, 12, 0, 0) >> 7)) return false;
  const unsigned crm = (enc >> 3) & 15;
  return crm == 8 || crm == 9 || crm == 11 || crm == 12;
}

// The system registers outside the core that a vCPU reaches (arch/arm64/system/system.h
// SysRegHooks): its generic timer, the GIC CPU interface, ISR_EL1.
class VcpuSysRegs final : public arm64::sys::SysRegHooks {
 public:
  VcpuSysRegs(unsigned cpu, devices::Gicv3& gic, devices::GenericTimer& timer,
              const arm64::sys::SysState& state)
      : cpu_(cpu), gic_(gic), timer_(timer), state_(state) {}
  bool read(unsigned el, uint32_t enc, uint64_t* v) override {
    if (is_gic_cpu_register(enc)) return el == 1 && gic_.cpu_read(cpu_, enc, v);
    if (enc == arm64::sysreg(3, 0, 12, 1, 0)) {  // ISR_EL1: I [7] = an IRQ is pending
      if (el == 0) return false;
      *v = gic_.irq_pending(cpu_) ? 1u << 7 : 0;
      return true;
    }
    return timer_.read(el, state_.cntkctl_el1, enc, v);
  }
  bool interrupt_pending() override { return gic_.irq_pending(cpu_); }
  bool write(unsigned el, uint32_t enc, uint64_t v) override {
    if (is_gic_cpu_register(enc)) return el == 1 && gic_.cpu_write(cpu_, enc, v);
    return timer_.write(el, state_.cntkctl_el1, enc, v);
  }

 private:
  unsigned cpu_;
  devices::Gicv3& gic_;
  devices::GenericTimer& timer_;
  const arm64::sys::SysState& state_;
};

}  // namespace

struct Vcpu {
  unsigned index = 0;
  Cpu cpu;
  std::unique_ptr<arm64::sys::System> sys;
  std::unique_ptr<devices::GenericTimer> timer;
  std::unique_ptr<VcpuSysRegs> sysregs;
  engine::SystemInterpreter interp;
  std::unique_ptr<engine::Tiered> jit;  // --engine jit|tiered
  // Under the JIT: this vCPU's next timer deadline (clock ns), for the ticker to kick it then.
  std::atomic<uint64_t> deadline{UINT64_MAX};
  std::thread thread;
  // PSCI state: off until CPU_ON (CPU 0 starts on).
  bool on = false;
  bool start_pending = false;
  uint64_t start_pc = 0, start_context = 0;
};

struct Machine::Impl {
  MachineConfig config;
  memory::PhysMemory ram;
  std::unique_ptr<arm64::sys::CodeVersions> code_versions;  // for the JIT
  memory::Bus bus{ram};
  MachineBus phys{bus};
  std::unique_ptr<devices::Gicv3> gic;
  std::unique_ptr<devices::Pl011> uart;
  std::unique_ptr<devices::Pl031> rtc;
  std::vector<std::unique_ptr<devices::virtio::MmioTransport>> virtio;  // by slot
  std::FILE* console = nullptr;
  bool console_owned = false;
  // Console input (console=stdio): stdin into the UART, the terminal in raw mode meanwhile.
  std::thread input;
  bool tty_raw = false;
  termios tty_saved{};
  std::vector<std::unique_ptr<Vcpu>> vcpus;
  std::vector<arm64::sys::System*> systems;  // every vCPU's, for broadcast TLB maintenance
  // SIGINT, SIGTERM, SIGHUP and SIGQUIT stop the machine cleanly (the terminal restored, the
  // disks' writes complete) with status 128 + the signal. They are blocked from create() on,
  // so every thread the machine starts (device workers, slirp, vCPUs) inherits the mask, and
  // run() waits for them in a thread of its own.
  sigset_t stop_signals{}, old_mask{};
  bool signals_blocked = false;
  void block_signals() {
    sigemptyset(&stop_signals);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&stop_signals, sig);
    signals_blocked = pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask) == 0;
  }
  void restore_signals() {
    if (signals_blocked) pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    signals_blocked = false;
  }
  ~Impl() { restore_signals(); }  // also when create() fails half-way
  devices::GenericTimer::Clock clock = devices::GenericTimer::host_clock();  // one for all CPUs

  // Shutdown and vCPU wake-ups.
  std::mutex mu;
  std::condition_variable cv;
  // The JIT's ticker (run()): sleeps until the earliest vCPU deadline (tick_at), woken early
  // when a vCPU sets an earlier one.
  std::mutex tick_mu;
  std::condition_variable tick_cv;
  std::atomic<uint64_t> tick_at{0};
  void ticker_loop();
  std::atomic<bool> stopping{false};
  MachineExit exit;

  // UART output. Lines are also watched for Linux's panic message, so that a guest panic
  // ends xvm with a reason instead of a guest that hangs (Debian's kernel waits forever after
  // a panic unless booted with panic=N).
  std::string line;
  std::atomic<bool> console_dirty{false};  // written since the last flush
  std::mutex console_mu;  // the PL011 and the virtio console write from different threads
  devices::virtio::console::ConsoleDevice* virtio_console = nullptr;  // owned by its transport
  void console_write(uint8_t byte) {
    std::lock_guard lock(console_mu);
    if (console) {
      std::fputc(byte, console);
      console_dirty.store(true, std::memory_order_relaxed);
    }
    if (byte != '\n') {
      if (line.size() < 512) line.push_back(char(byte));
      return;
    }
    if (const size_t at = line.find("Kernel panic - not syncing"); at != std::string::npos) {
      std::string what = line.substr(at);
      while (!what.empty() && (what.back() == '\r' || what.back() == ' ')) what.pop_back();
      shutdown(3, "guest " + what);
    }
    line.clear();
  }
  void shutdown(int status, std::string reason) {
    {
      std::lock_guard lock(mu);
      if (stopping.exchange(true)) return;
      exit.status = status;
      exit.reason = std::move(reason);
    }
    for (auto& v : vcpus) __atomic_fetch_or(&v->cpu.pending, arm64::kPendingInterrupt, __ATOMIC_SEQ_CST);
    cv.notify_all();
  }
  // Output that does not end in a newline (a shell prompt) must still reach the terminal: the
  // vCPUs flush between slices and before sleeping.
  void flush_console() {
    if (console_dirty.exchange(false, std::memory_order_relaxed)) std::fflush(console);
  }
  void vcpu_loop(Vcpu& v);
  void input_loop();
  void start_input();
  void stop_input();
  void hvc(Vcpu& v);
  bool wait_for_start(Vcpu& v);
};

Machine::Machine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Machine::~Machine() {
  if (!impl_) return;
  impl_->shutdown(0, {});
  for (auto& v : impl_->vcpus)
    if (v->thread.joinable()) v->thread.join();
  impl_->stop_input();
  impl_->restore_signals();
  if (impl_->console && impl_->console_owned) std::fclose(impl_->console);
  else if (impl_->console) std::fflush(impl_->console);
}

std::expected<std::unique_ptr<Machine>, std::string> Machine::create(const MachineConfig& c) {
  if (c.cpus < 1 || c.cpus > kMaxCpus)
    return std::unexpected("--cpus must be between 1 and " + std::to_string(kMaxCpus));
  if (c.memory < (64ull << 20) || c.memory > kRamMaxSize || c.memory % 4096)
    return std::unexpected(std::string("--memory must be a multiple of 4 KiB between 64 MiB and 255 GiB"));
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  m.config = c;
  m.block_signals();
  if (c.console == "stdio") {
    m.console = stdout;
  } else if (c.console.rfind("file:", 0) == 0) {
    m.console = std::fopen(c.console.c_str() + 5, "wb");
    if (!m.console) return std::unexpected("cannot open console file " + c.console.substr(5));
    m.console_owned = true;
  } else if (c.console != "none") {
    return std::unexpected("--console must be stdio, none or file:PATH");
  }
  if (auto r = m.bus.add_ram(GuestPhysAddr{kRamBase}, c.memory); !r) return std::unexpected(r.error());

  // GICv3: distributor and one redistributor frame per vCPU; devices on its SPIs.
  devices::Gicv3::Config gc;
  for (unsigned i = 0; i < c.cpus; ++i) gc.mpidr.push_back(mpidr_affinity(i));
  gc.num_spis = 64;  // what the DT's interrupt numbers need (virtio slots end at SPI 47)
  m.gic = std::make_unique<devices::Gicv3>(gc);
  if (auto r = m.bus.add_device(GuestPhysAddr{kGicDistBase}, devices::Gicv3::kDistSize,
                                &m.gic->distributor());
      !r)
    return std::unexpected(r.error());
  if (auto r = m.bus.add_device(GuestPhysAddr{kGicRedistBase}, c.cpus * devices::Gicv3::kRedistStride,
                                &m.gic->redistributors());
      !r)
    return std::unexpected(r.error());
  Impl* self = &m;
  m.uart = std::make_unique<devices::Pl011>([self](uint8_t b) { self->console_write(b); },
                                            m.gic->spi(kUartSpi));
  m.rtc = std::make_unique<devices::Pl031>(m.gic->spi(kRtcSpi));
  if (auto r = m.bus.add_device(GuestPhysAddr{kUartBase}, kUartSize, m.uart.get()); !r)
    return std::unexpected(r.error());
  if (auto r = m.bus.add_device(GuestPhysAddr{kRtcBase}, kRtcSize, m.rtc.get()); !r)
    return std::unexpected(r.error());

  // virtio-mmio slots 0.. : the disks in command-line order (/dev/vda, vdb, …), then the
  // network cards, then the entropy source.
  std::vector<unsigned> slots;
  const auto attach = [&](std::unique_ptr<devices::virtio::VirtioDevice> dev)
      -> std::expected<void, std::string> {
    const unsigned slot = unsigned(m.virtio.size());
    if (slot >= kVirtioMmioSlots) return std::unexpected(std::string("too many virtio devices"));
    m.virtio.push_back(std::make_unique<devices::virtio::MmioTransport>(
        m.ram, std::move(dev), &m.gic->spi(virtio_mmio_spi(slot))));
    if (auto r = m.bus.add_device(GuestPhysAddr{virtio_mmio_base(slot)}, kVirtioMmioStride,
                                  m.virtio.back().get());
        !r)
      return std::unexpected(r.error());
    slots.push_back(slot);
    return {};
  };
  for (size_t i = 0; i < c.disks.size(); ++i) {
    devices::virtio::blk::Options bo;
    bo.path = c.disks[i].path;
    bo.read_only = c.disks[i].read_only;
    bo.serial = "xvm-disk" + std::to_string(i);
    auto dev = devices::virtio::blk::BlkDevice::open(bo);
    if (!dev) return std::unexpected("--disk " + bo.path + ": " + dev.error());
    if (auto r = attach(std::move(*dev)); !r) return std::unexpected(r.error());
  }
  namespace vnet = devices::virtio::net;
  for (const std::string& spec : c.nets) {
    auto cfg = vnet::parse_net_option(spec);
    if (!cfg) return std::unexpected("--net " + spec + ": " + cfg.error());
    auto backend = vnet::SlirpBackend::create(*cfg);
    if (!backend) return std::unexpected("--net " + spec + ": " + backend.error());
    if (auto r = attach(std::make_unique<vnet::NetDevice>(std::move(*backend))); !r)
      return std::unexpected(r.error());
  }
  // A virtio console (/dev/hvc0) on the same terminal as the UART: its output goes to the
  // console too, typed input to both (the guest reads the one it uses).
  {
    auto hvc = std::make_unique<devices::virtio::console::ConsoleDevice>(
        [self](std::span<const uint8_t> bytes) {
          for (uint8_t b : bytes) self->console_write(b);
        });
    m.virtio_console = hvc.get();
    if (auto r = attach(std::move(hvc)); !r) return std::unexpected(r.error());
  }
  if (c.rng) {
    if (auto r = attach(std::make_unique<devices::virtio::rng::RngDevice>()); !r)
      return std::unexpected(r.error());
  }

  // Boot images (Documentation/arm64/booting.rst): Image, initrd, DTB placed in RAM.
  auto kernel = read_file(c.kernel, "kernel");
  if (!kernel) return std::unexpected(kernel.error());
  auto header = parse_image(*kernel);
  if (!header) return std::unexpected(c.kernel + ": " + header.error());
  std::vector<uint8_t> initrd;
  if (!c.initrd.empty()) {
    auto r = read_file(c.initrd, "initrd");
    if (!r) return std::unexpected(r.error());
    initrd = std::move(*r);
  }
  FdtConfig fc;
  fc.ram_size = c.memory;
  fc.num_cpus = c.cpus;
  fc.bootargs = c.append;
  fc.virtio_slots = slots;
  std::random_device rd;
  for (auto& b : fc.rng_seed) b = uint8_t(rd());
  // The DTB's size does not depend on the addresses in it: build it once to learn the size.
  if (!initrd.empty()) fc.initrd = std::pair<uint64_t, uint64_t>{kRamBase, kRamBase + initrd.size()};
  auto probe = build_fdt(fc);
  if (!probe) return std::unexpected(probe.error());
  BootPlacementInput in;
  in.ram_base = kRamBase;
  in.ram_size = c.memory;
  in.header = *header;
  in.kernel_file_size = kernel->size();
  in.initrd_size = initrd.size();
  in.dtb_size = probe->size();
  auto place = place_boot_images(in);
  if (!place) return std::unexpected(place.error());
  if (!initrd.empty()) fc.initrd = std::pair<uint64_t, uint64_t>{place->initrd, place->initrd_end};
  auto dtb = build_fdt(fc);
  if (!dtb) return std::unexpected(dtb.error());
  if (!m.ram.write(GuestPhysAddr{place->kernel}, kernel->data(), kernel->size()) ||
      (!initrd.empty() && !m.ram.write(GuestPhysAddr{place->initrd}, initrd.data(), initrd.size())) ||
      !m.ram.write(GuestPhysAddr{place->dtb}, dtb->data(), dtb->size()))
    return std::unexpected(std::string("boot images do not fit in guest RAM"));

  for (unsigned i = 0; i < c.cpus; ++i) {
    auto v = std::make_unique<Vcpu>();
    v->index = i;
    v->sys = std::make_unique<arm64::sys::System>(m.phys, mpidr_affinity(i));
    devices::Gicv3* gic = m.gic.get();
    // Timer outputs to the PPIs of the DT's timer node (layout.h): virtual 27, physical 30.
    v->timer = std::make_unique<devices::GenericTimer>(
        m.clock, [gic, i](devices::GenericTimer::Which w, bool level) {
          gic->set_ppi(i, ppi_intid(w == devices::GenericTimer::Which::kVirtual
                                        ? kPpiVirtTimer
                                        : kPpiNonSecurePhysTimer),
                       level);
        });
    v->sysregs = std::make_unique<VcpuSysRegs>(i, *m.gic, *v->timer, v->sys->state);
    v->sys->set_hooks(v->sysregs.get());
    v->cpu.sys = v->sys.get();
    if (c.engine != "interp") {
      if (!m.code_versions)
        m.code_versions = std::make_unique<arm64::sys::CodeVersions>(
            m.ram.ram_ptr(GuestPhysAddr{kRamBase}, c.memory), c.memory);
      v->sys->set_code_versions(m.code_versions.get());
      engine::JitOptions jo;
      jo.threshold = c.engine == "jit" ? 0 : c.jit_threshold;
      jo.count_insns = c.count_insns;
      jo.cache_bytes = c.jit_cache_bytes;
      v->jit = std::make_unique<engine::Tiered>(v->cpu, jo);
    }
    m.systems.push_back(v->sys.get());
    v->sys->set_peers(&m.systems, &v->cpu);
    m.vcpus.push_back(std::move(v));
  }
  // A vCPU whose IRQ line may have changed leaves the interpreter (or its WFI wait) to look.
  m.gic->set_kick([self](unsigned cpu) {
    if (cpu >= self->vcpus.size()) return;
    __atomic_fetch_or(&self->vcpus[cpu]->cpu.pending, arm64::kPendingInterrupt, __ATOMIC_SEQ_CST);
    std::lock_guard lock(self->mu);
    self->cv.notify_all();
  });
  // CPU 0 enters the kernel (booting.rst): x0 = DTB, x1..x3 = 0, EL1h, DAIF masked, MMU off.
  Vcpu& boot = *m.vcpus[0];
  boot.on = true;
  boot.cpu.pc = place->kernel;
  boot.cpu.x[0] = place->dtb;
  return std::unique_ptr<Machine>(new Machine(std::move(impl)));
}

// Keystrokes go to the guest as they are typed (raw mode: no line editing, no signals from
// Ctrl-C), like a serial line; Ctrl-A x stops the machine, Ctrl-A Ctrl-A sends a Ctrl-A.
void Machine::Impl::start_input() {
  if (config.console != "stdio") return;
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &tty_saved) == 0) {
    termios raw = tty_saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) tty_raw = true;
  }
  input = std::thread([this] { input_loop(); });
}

void Machine::Impl::stop_input() {
  if (input.joinable()) input.join();
  if (tty_raw) tcsetattr(STDIN_FILENO, TCSANOW, &tty_saved);
  tty_raw = false;
}

void Machine::Impl::input_loop() {
  bool escape = false;
  while (!stopping) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (uart->rx_room() == 0 || poll(&p, 1, 50) <= 0) {
      if (uart->rx_room() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    uint8_t buf[64];
    const ssize_t n = ::read(STDIN_FILENO, buf, std::min<size_t>(sizeof buf, uart->rx_room()));
    if (n <= 0) return;  // end of input: the guest simply gets no more
    for (ssize_t i = 0; i < n; ++i) {
      const uint8_t c = buf[i];
      if (tty_raw && escape) {
        escape = false;
        if (c == 'x') {
          shutdown(130, "stopped from the console (Ctrl-A x)");
          return;
        }
        if (c != 1) continue;  // unknown escape: dropped
      } else if (tty_raw && c == 1) {
        escape = true;
        continue;
      }
      uart->push_input(std::span<const uint8_t>(&c, 1));
      if (virtio_console) virtio_console->push_input(std::span<const uint8_t>(&c, 1));
    }
  }
}

MachineExit Machine::run() {
  Impl& m = *impl_;
  const auto t0 = std::chrono::steady_clock::now();
  // The stop signals (blocked since create(), in every machine thread) are taken here.
  const sigset_t stop_signals = m.stop_signals;
  std::thread signals([&m, &stop_signals] {
    const timespec tick{0, 10'000'000};  // how soon it notices the machine stopped
    while (!m.stopping) {
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig > 0)
        m.shutdown(128 + sig, std::string("stopped by signal ") + sigabbrev_np(sig));
    }
  });
  m.start_input();
  for (auto& v : m.vcpus) {
    Vcpu* vp = v.get();
    v->thread = std::thread([&m, vp] { m.vcpu_loop(*vp); });
  }
  std::thread ticker;
  if (m.config.engine != "interp") ticker = std::thread([&m] { m.ticker_loop(); });
  {
    std::unique_lock lock(m.mu);
    const auto done = [&] { return m.stopping.load(); };
    if (m.config.timeout_s > 0) {
      if (!m.cv.wait_for(lock, std::chrono::duration<double>(m.config.timeout_s), done)) {
        lock.unlock();
        // Where the vCPUs were (racy reads, for the message only): says where a boot stuck.
        std::string where;
        char b[96];
        for (const auto& v : m.vcpus) {
          std::snprintf(b, sizeof b, "%s cpu%u pc=0x%llx el%u", where.empty() ? "" : ",", v->index,
                        static_cast<unsigned long long>(v->cpu.pc), v->sys->state.el);
          where += b;
        }
        char t[32];
        std::snprintf(t, sizeof t, "%g", m.config.timeout_s);
        m.shutdown(124, std::string("timeout: the guest ran for ") + t +
                            " s without powering off (" + where + ")");
        lock.lock();
      }
    } else {
      m.cv.wait(lock, done);
    }
  }
  for (auto& v : m.vcpus)
    if (v->thread.joinable()) v->thread.join();
  if (ticker.joinable()) {
    {
      std::lock_guard lock(m.tick_mu);
      m.tick_cv.notify_one();
    }
    ticker.join();
  }
  m.stop_input();
  signals.join();
  m.restore_signals();
  if (m.console) std::fflush(m.console);
  m.exit.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  engine::JitStats js;
  for (const auto& v : m.vcpus) {
    m.exit.instructions.push_back(v->cpu.icount);
    m.exit.tlb_misses.push_back(v->sys->tlb_misses());
    if (v->jit) js += engine::jit_stats_of(*v->jit, v->cpu);
  }
  if (m.config.engine != "interp") {
    char* buf = nullptr;
    size_t len = 0;
    if (std::FILE* f = open_memstream(&buf, &len)) {
      engine::print_jit_stats(js, f);
      std::fclose(f);
      m.exit.jit_stats.assign(buf, len);
      std::free(buf);
    }
  }
  return m.exit;
}

// Translated code runs on until a request is pending, so under the JIT this thread asks each
// vCPU to come back to its loop (which updates its timer) when its timer deadline passes, and
// every vCPU every 4 ms regardless (console output is flushed there).
void Machine::Impl::ticker_loop() {
  constexpr uint64_t kPeriod = 4'000'000;
  uint64_t next_all = clock() + kPeriod;
  std::unique_lock lock(tick_mu);
  while (!stopping) {
    uint64_t at = next_all;
    for (const auto& v : vcpus) at = std::min(at, v->deadline.load(std::memory_order_relaxed));
    tick_at.store(at);
    const uint64_t now = clock();
    if (at > now) {
      tick_cv.wait_for(lock, std::chrono::nanoseconds(at - now));
      if (stopping) break;
    }
    const uint64_t t = clock();
    const bool all = t >= next_all;
    if (all) next_all = t + kPeriod;
    for (auto& v : vcpus)
      if (all || v->deadline.load(std::memory_order_relaxed) <= t) {
        v->deadline.store(UINT64_MAX, std::memory_order_relaxed);  // until the vCPU sets it
        __atomic_fetch_or(&v->cpu.pending, arm64::kPendingInterrupt, __ATOMIC_SEQ_CST);
      }
  }
}

// A vCPU that is off waits for PSCI CPU_ON; true once it should run.
bool Machine::Impl::wait_for_start(Vcpu& v) {
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return stopping.load() || v.on || v.start_pending; });
  if (stopping) return false;
  if (v.start_pending) {
    // PSCI CPU_ON: the entry point with x0 = context_id, EL1h, MMU off, DAIF masked.
    v.start_pending = false;
    v.on = true;
    v.cpu.pc = v.start_pc;
    v.cpu.x[0] = v.start_context;
  }
  return true;
}

void Machine::Impl::vcpu_loop(Vcpu& v) {
  if (!wait_for_start(v)) return;
  devices::Gicv3* gic = this->gic.get();
  Cpu& cpu = v.cpu;
  arm64::sys::System& sys = *v.sys;
  devices::GenericTimer& timer = *v.timer;
  while (!stopping) {
    __atomic_fetch_and(&cpu.pending, ~uint32_t{arm64::kPendingInterrupt}, __ATOMIC_SEQ_CST);
    if (timer.counter() >= timer.next_deadline_ns()) timer.update();
    if (v.jit) {
      // Translated code runs until something is pending: the ticker kicks this vCPU when its
      // timer is due.
      // (A deadline already passed has raised its interrupt: nothing more to wake for until
      // the guest writes the timer, which brings it back here.)
      uint64_t d = timer.next_deadline_ns();
      if (d <= timer.counter()) d = UINT64_MAX;
      if (v.deadline.exchange(d, std::memory_order_relaxed) != d && d < tick_at.load()) {
        std::lock_guard lock(tick_mu);
        tick_cv.notify_one();
      }
    }
    // An IRQ the GIC signals and PSTATE.I does not mask is taken before the next instruction
    // (Arm ARM "Asynchronous exception masking"); its return address is that instruction.
    if (gic->irq_pending(v.index) && !(sys.state.daif & arm64::sys::spsr::kI))
      arm64::sys::take_exception(cpu, sys.state, arm64::sys::Vector::Irq, 0, cpu.pc);
    // Short slices, so that timer deadlines are noticed within about 100 µs of guest time
    // (the JIT runs until the ticker raises a request).
    const Stop s = v.jit ? v.jit->run(cpu) : v.interp.run(cpu, 1u << 14);
    flush_console();
    if (stopping) break;
    switch (s.kind) {
      case StopKind::None:
      case StopKind::Interrupt:
        break;
      case StopKind::Hvc:
        hvc(v);
        break;
      case StopKind::Wfi: {
        // Sleep until an interrupt is pending for this vCPU (even a masked one: WFI wakes on
        // it, Arm ARM "Wait For Interrupt") or its timer's next deadline.
        std::unique_lock lock(mu);
        const uint64_t deadline = timer.next_deadline_ns();
        const auto wake = [&] {
          return stopping.load() || gic->irq_pending(v.index) || timer.counter() >= deadline;
        };
        if (deadline == UINT64_MAX) {
          cv.wait(lock, wake);
        } else if (!wake()) {
          cv.wait_for(lock, std::chrono::nanoseconds(deadline - timer.counter()), wake);
        }
        break;
      }
      default:
        if (!arm64::sys::take_stop_exception(cpu, sys.state, s)) {
          shutdown(1, "vCPU " + std::to_string(v.index) + ": unexpected stop");
          return;
        }
        break;
    }
    if (!v.on && !wait_for_start(v)) return;  // CPU_OFF
  }
}

// HVC #0: the SMC Calling Convention (Arm DEN0028) with PSCI 1.0 (Arm DEN0022) as the only
// service. Function id in w0, arguments in x1..x3, result in x0.
void Machine::Impl::hvc(Vcpu& v) {
  Cpu& cpu = v.cpu;
  constexpr int64_t kSuccess = 0, kNotSupported = -1, kInvalidParameters = -2, kAlreadyOn = -4,
                    kOnPending = -5;
  const uint32_t fn = uint32_t(cpu.x[0]);
  int64_t r = kNotSupported;
  const auto find = [&](uint64_t mpidr) -> Vcpu* {
    for (auto& o : vcpus)
      if (o->sys->mpidr_aff() == (mpidr & 0xff'00ff'ffffull)) return o.get();
    return nullptr;
  };
  switch (cpu.stop.insn == 0 ? fn : 0) {
    case 0x8400'0000:  // PSCI_VERSION: 1.0
      r = 0x1'0000;
      break;
    case 0x8400'000a: {  // PSCI_FEATURES: the functions below
      const uint32_t q = uint32_t(cpu.x[1]);
      const bool known = q == 0x8400'0000 || q == 0x8400'0002 || q == 0x8400'0003 ||
                         q == 0xc400'0003 || q == 0x8400'0004 || q == 0xc400'0004 ||
                         q == 0x8400'0006 || q == 0x8400'0008 || q == 0x8400'0009 ||
                         q == 0x8400'000a;
      r = known ? kSuccess : kNotSupported;
      break;
    }
    case 0x8400'0002: {  // CPU_OFF: this vCPU stops until a CPU_ON names it again
      std::lock_guard lock(mu);
      v.on = false;
      return;  // no return value: the caller does not come back
    }
    case 0x8400'0003:
    case 0xc400'0003: {  // CPU_ON(target_mpidr, entry, context_id)
      Vcpu* t = find(cpu.x[1]);
      std::lock_guard lock(mu);
      if (!t) r = kInvalidParameters;
      else if (t->on) r = kAlreadyOn;
      else if (t->start_pending) r = kOnPending;
      else {
        t->start_pending = true;
        t->start_pc = cpu.x[2];
        t->start_context = cpu.x[3];
        r = kSuccess;
      }
      cv.notify_all();
      break;
    }
    case 0x8400'0004:
    case 0xc400'0004: {  // AFFINITY_INFO(target, lowest level 0): 0 on, 1 off, 2 pending
      Vcpu* t = find(cpu.x[1]);
      std::lock_guard lock(mu);
      r = !t ? kInvalidParameters : t->on ? 0 : t->start_pending ? 2 : 1;
      break;
    }
    case 0x8400'0006:  // MIGRATE_INFO_TYPE: no Trusted OS to migrate
      r = 2;
      break;
    case 0x8400'0008:  // SYSTEM_OFF
      shutdown(0, {});
      return;
    case 0x8400'0009:  // SYSTEM_RESET (Linux with panic=-1 after a panic, or `reboot`)
      shutdown(2, "the guest asked for a reset (reboot, or a kernel panic with panic=-1)");
      return;
    default:
      break;  // SMCCC_VERSION and everything else: NOT_SUPPORTED (SMCCC 1.0)
  }
  cpu.x[0] = uint64_t(r);
}

}  // namespace xvm::machine::arm64_virt
