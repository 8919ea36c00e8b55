#include "linux/process.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>

#include "arch/arm64/features.h"
#include "linux/elf_loader.h"
#include "linux/initial_stack.h"
#include "linux/safe_syscall.h"
#include "memory/code_watch.h"
#include "linux/signals.h"
#include "linux/syscalls/syscalls.h"

namespace xvm::linux_user {
namespace {

// Guest address-space layout inside the arena (1 TiB): programs at their link addresses (or
// PIE at kPieBase), mmap area below the stack, stack at the top.
constexpr uint64_t kArenaSize = uint64_t{1} << 40;
constexpr uint64_t kStackTop = kArenaSize - 0x10000;
constexpr uint64_t kStackSize = 8 << 20;  // RLIMIT_STACK's usual 8 MiB, mapped up front
constexpr uint64_t kPieBase = 0x5555550000;
constexpr uint64_t kBrkMax = uint64_t{1} << 34;  // room the heap may grow into (if free)

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

class ArenaCode final : public engine::CodeSource {
 public:
  ArenaCode(const memory::Arena& a, Process& p) : arena_(a), process_(p) {}
  void broadcast_code_change() const override { process_.flush_code_all_threads(); }
  uint64_t code_changes_since(uint64_t seq,
                              std::vector<std::pair<uint64_t, uint64_t>>* ranges) const override {
    return process_.code_changes_since(seq, ranges);
  }
  uint64_t code_change_seq() const override { return process_.code_change_seq(); }
  void watch_code(uint64_t pc) const override {
    const uint64_t page = pc & ~uint64_t{4095};
    constexpr int kWX = memory::kWrite | memory::kExec;
    if ((region(pc).prot & kWX) == kWX && !memory::code_watch_marked(page))
      memory::code_watch_protect(page);
  }
  void code_written() const override {
    std::vector<uint64_t> pages;
    if (!memory::take_written_pages(&pages)) {
      process_.flush_code_all_threads();
      return;
    }
    for (uint64_t page : pages) process_.flush_code_all_threads(page, 4096);
  }
  bool fetch(uint64_t addr, uint32_t* insn) const override {
    if (addr & 3) return false;
    const memory::Arena::Region& r = region(addr);
    if (!(r.prot & memory::kExec)) return false;
    std::memcpy(insn, arena_.base() + addr, 4);
    return true;
  }

 private:
  // The mapping holding addr, cached per thread while the arena's mappings stay the same
  // (decoding fetches every instruction; most come from one mapping).
  const memory::Arena::Region& region(uint64_t addr) const {
    thread_local memory::Arena::Region cache;
    if (addr < cache.start || addr >= cache.end || cache.gen != arena_.generation()) {
      cache = {};
      if (!arena_.region(addr, &cache)) cache = {addr, addr + 1, 0, arena_.generation()};
    }
    return cache;
  }

  const memory::Arena& arena_;
  Process& process_;
};

std::expected<std::vector<uint8_t>, std::string> read_file(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(std::string(std::strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return std::unexpected(std::string("not a regular file"));
  }
  std::vector<uint8_t> buf(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  buf.resize(done);
  return buf;
}

}  // namespace

Thread*& current_thread() {
  static thread_local Thread* t = nullptr;
  return t;
}

Thread& Process::thread() { return *current_thread(); }

std::unique_ptr<Thread> Process::new_thread() {
  auto t = std::make_unique<Thread>();
  t->cpu.mem_base = arena_->base();
  t->cpu.mem_size = arena_->size();
  t->engine = std::make_unique<engine::Interpreter>(*code_);
  if (opts_.engine != "interp") {
    engine::JitOptions jo;
    jo.threshold = opts_.engine == "jit" ? 0 : opts_.jit_threshold;
    jo.check = opts_.jit_check;
    jo.count_insns = opts_.stats;
    if (opts_.jit_cache_size) jo.cache_bytes = opts_.jit_cache_size;
    t->tiered = std::make_unique<engine::Tiered>(*code_, jo);
  }
  return t;
}

std::string Process::host_path(const std::string& p) const {
  // /proc/self/exe is the guest program, not xvm (for open, stat and execve alike).
  if (p == "/proc/self/exe" || p == "/proc/" + std::to_string(getpid()) + "/exe") {
    if (!exe_path.empty()) return exe_path;
  }
  if (!opts_.sysroot.empty() && !p.empty() && p[0] == '/') {
    std::string s = opts_.sysroot + p;
    struct stat st;
    if (lstat(s.c_str(), &st) == 0) return s;
  }
  return p;
}

std::expected<std::unique_ptr<Process>, std::string> Process::create(const RunOptions& opts) {
  std::unique_ptr<Process> p(new Process());
  p->opts_ = opts;
  auto arena = memory::Arena::create(kArenaSize);
  if (!arena) return std::unexpected(arena.error());
  p->arena_ = std::move(*arena);
  memory::Arena& A = *p->arena_;
  memory::code_watch_enable(A.base(), A.size());

  const std::string path = p->host_path(opts.program);
  auto image = read_file(path);
  if (!image) return std::unexpected(image.error());
  char resolved[PATH_MAX];
  p->exe_path = realpath(path.c_str(), resolved) ? resolved : path;

  auto span = elf_load_span(*image);
  if (!span) return std::unexpected(span.error());
  auto exe = load_elf(A, *image, kPieBase, p->exe_path);
  if (!exe) return std::unexpected(exe.error());

  // Stack at the top; the mmap area grows down from below it (with a guard gap).
  const uint64_t stack_lo = kStackTop - kStackSize;
  if (int e = A.map_fixed(stack_lo, kStackSize, memory::kRead | memory::kWrite |
                          (exe->exec_stack ? memory::kExec : 0), false, -1, 0, "[stack]"))
    return std::unexpected(std::string("cannot map the stack: ") + std::strerror(-e));
  A.set_mmap_top(stack_lo - (uint64_t{1} << 30));

  uint64_t entry = exe->entry, interp_base = 0;
  if (!exe->interp.empty()) {
    const std::string ipath = p->host_path(exe->interp);
    auto iimage = read_file(ipath);
    if (!iimage) return std::unexpected("interpreter " + exe->interp + ": " + iimage.error());
    auto ispan = elf_load_span(*iimage);
    if (!ispan) return std::unexpected("interpreter " + exe->interp + ": " + ispan.error());
    auto where = A.find_free(*ispan, 0);
    if (!where) return std::unexpected("no room for the interpreter");
    auto interp = load_elf(A, *iimage, *where, ipath);
    if (!interp) return std::unexpected("interpreter " + exe->interp + ": " + interp.error());
    entry = interp->entry;
    interp_base = interp->lowest;
  }

  // Linux returns from handlers through the vDSO's __kernel_rt_sigreturn; xvm maps the same two
  // instructions (unwinders such as libgcc's recognise a signal frame by them).
  auto tramp = A.find_free(kPageSize, 0);
  if (!tramp) return std::unexpected("no room for the signal trampoline");
  const uint32_t code[2] = {0xd2801168u /* mov x8, #139 */, 0xd4000001u /* svc #0 */};
  A.map_fixed(*tramp, kPageSize, memory::kRead | memory::kWrite, false, -1, 0, "[vdso]");
  A.write(*tramp, code, sizeof code);
  A.protect(*tramp, kPageSize, memory::kRead | memory::kExec);
  p->sigreturn_trampoline = *tramp;

  p->brk_start = p->brk_cur = page_up(exe->highest);
  p->brk_limit = p->brk_start + kBrkMax;

  StackImage st;
  st.argv = opts.argv;
  st.envp = opts.envp;
  st.execfn = opts.program;
  if (getrandom(st.random, sizeof st.random, 0) != sizeof st.random)
    for (auto& b : st.random) b = static_cast<uint8_t>(now_ns());
  st.auxv = {
      {AT_HWCAP, arm64::kHwcap},   {AT_PAGESZ, kPageSize},
      {AT_CLKTCK, 100},            {AT_PHDR, exe->phdr},
      {AT_PHENT, sizeof(Elf64_Phdr)}, {AT_PHNUM, exe->phnum},
      {AT_BASE, interp_base},      {AT_FLAGS, 0},
      {AT_ENTRY, exe->entry},      {AT_UID, getuid()},
      {AT_EUID, geteuid()},        {AT_GID, getgid()},
      {AT_EGID, getegid()},        {AT_SECURE, 0},
      {AT_HWCAP2, arm64::kHwcap2}, {51 /* AT_MINSIGSTKSZ */, kMinSigStackSize},
  };
  auto built = build_initial_stack(A, kStackTop, stack_lo, st);
  if (!built) return std::unexpected(built.error());
  p->auxv_addr = built->auxv_addr;
  p->auxv_bytes = built->auxv_bytes;

  p->code_ = std::make_unique<ArenaCode>(A, *p);
  auto main_thread = p->new_thread();
  main_thread->cpu.x[31] = built->sp;
  main_thread->cpu.pc = entry;
  main_thread->tid = getpid();
  p->threads_.push_back(std::move(main_thread));
  p->start_ns_ = now_ns();
  install_signal_forwarding(*p, *p->threads_[0]);
  return p;
}

Process::~Process() = default;

void Process::print_stats() {
  const double secs = double(now_ns() - start_ns_) / 1e9;
  uint64_t icount = retired_icount_;
  engine::EngineStats es = retired_engine_;
  engine::JitStats js = retired_jit_;
  {
    std::lock_guard lock(threads_mu_);
    for (const auto& t : threads_) {
      icount += t->cpu.icount;
      const engine::EngineStats& s = t->tiered ? t->tiered->stats() : t->engine->stats();
      es.blocks_decoded += s.blocks_decoded;
      es.insns_decoded += s.insns_decoded;
      es.code_flushes += s.code_flushes;
      if (t->tiered) js += engine::jit_stats_of(*t->tiered, t->cpu);
    }
  }
  if (opts_.stats_json) {
    std::fprintf(stderr,
                 "{\"engine\": \"%s\", \"guest_instructions\": %llu, \"wall_seconds\": %.6f, "
                 "\"mips\": %.1f, \"blocks_decoded\": %llu, \"instructions_decoded\": %llu, "
                 "\"jit\": %s}\n",
                 opts_.engine.c_str(), static_cast<unsigned long long>(icount), secs,
                 secs > 0 ? double(icount) / secs / 1e6 : 0.0,
                 static_cast<unsigned long long>(es.blocks_decoded),
                 static_cast<unsigned long long>(es.insns_decoded),
                 opts_.engine == "interp" ? "null" : engine::jit_stats_json(js, icount).c_str());
    return;
  }
  std::fprintf(stderr,
               "xvm: stats: %llu guest instructions in %.3f s wall (%.1f MIPS); "
               "%llu blocks / %llu instructions decoded; %llu code flushes\n",
               static_cast<unsigned long long>(icount), secs,
               secs > 0 ? double(icount) / secs / 1e6 : 0.0,
               static_cast<unsigned long long>(es.blocks_decoded),
               static_cast<unsigned long long>(es.insns_decoded),
               static_cast<unsigned long long>(es.code_flushes));
  if (opts_.engine != "interp") engine::print_jit_stats(js, stderr);
}

void Process::exit_group(int status) {
  if (opts_.stats) print_stats();
  std::fflush(nullptr);
  _exit(status & 0xff);
}

void Process::die_with_signal(int sig) {
  if (opts_.stats) print_stats();
  std::fflush(nullptr);
  // Take the host's default action for the same signal, so the parent sees exactly what it
  // would see for the native program (WIFSIGNALED, core dump flag).
  raw_sigaction_default(sig);
  raw_sigprocmask(SIG_UNBLOCK, uint64_t{1} << (sig - 1), nullptr);
  kill(getpid(), sig);
  _exit(128 + sig);  // a signal whose default is to ignore (cannot happen for callers)
}

void Process::run() {
  current_thread() = threads_[0].get();
  run_thread(*threads_[0]);
}

void Process::run_thread(Thread& t) {
  for (;;) {
    const arm64::Stop stop = t.tiered ? t.tiered->run(t.cpu) : t.engine->run(t.cpu);
    handle_stop(t, stop);
    if (t.pending_signals & ~t.sigmask) deliver_pending();
  }
}

int64_t Process::start_thread(uint64_t sp, bool set_tls, uint64_t tls, uint64_t child_tid_addr,
                              bool set_child_tid, bool clear_child_tid, uint64_t parent_tid_addr) {
  Thread& parent = thread();
  auto child = new_thread();
  // The child starts as a copy of the caller after its SVC, with x0 = 0 (Linux copy_thread).
  const arm64::Cpu& pc = parent.cpu;
  std::copy(std::begin(pc.x), std::end(pc.x), child->cpu.x);
  child->cpu.pc = pc.pc;
  child->cpu.nzcv = pc.nzcv;
  child->cpu.fpcr = pc.fpcr;
  child->cpu.fpsr = pc.fpsr;
  std::copy(std::begin(pc.v), std::end(pc.v), child->cpu.v);
  child->cpu.tpidr_el0 = set_tls ? tls : pc.tpidr_el0;
  child->cpu.tpidrro_el0 = pc.tpidrro_el0;
  child->cpu.x[0] = 0;
  if (sp) child->cpu.x[31] = sp;
  child->sigmask = parent.sigmask;  // the host thread inherits the host mask the same way
  if (clear_child_tid) child->clear_child_tid = child_tid_addr;

  struct Start {
    Process* p;
    Thread* t;
    uint64_t ctid;
    bool set_ctid;
    uint64_t ptid;
    std::atomic<int> tid{0};
  } start{this, child.get(), child_tid_addr, set_child_tid, parent_tid_addr};
  {
    std::lock_guard lock(threads_mu_);
    threads_.push_back(std::move(child));
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_t h;
  const int err = pthread_create(
      &h, &attr,
      [](void* arg) -> void* {
        auto* s = static_cast<Start*>(arg);
        Process* p = s->p;
        Thread* t = s->t;
        current_thread() = t;
        t->tid = static_cast<int>(gettid());
        // Both tid words are written before the new thread runs guest code, as Linux does:
        // glibc uses the same word for CLONE_PARENT_SETTID and CLONE_CHILD_CLEARTID, and a
        // later write by the parent could undo the clear of a thread that already exited.
        if (s->ptid) p->arena().write(s->ptid, &t->tid, sizeof t->tid);
        if (s->set_ctid) p->arena().write(s->ctid, &t->tid, sizeof t->tid);
        s->tid.store(t->tid, std::memory_order_release);
        s->tid.notify_one();  // `s` lives on the parent's stack: not touched after this
        p->run_thread(*t);
      },
      &start);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    std::lock_guard lock(threads_mu_);
    threads_.pop_back();
    return -err;
  }
  start.tid.wait(0, std::memory_order_acquire);
  return start.tid.load();
}

void Process::exit_thread(int status) {
  std::unique_lock lock(threads_mu_);
  if (threads_.size() == 1) {
    lock.unlock();
    exit_group(status);
  }
  Thread* self = current_thread();
  // CLONE_CHILD_CLEARTID: zero the tid word and wake one waiter (how pthread_join waits).
  if (self->clear_child_tid) {
    const int32_t zero = 0;
    if (arena_->write(self->clear_child_tid, &zero, sizeof zero))
      syscall(SYS_futex, arena_->base() + self->clear_child_tid, FUTEX_WAKE, 1, nullptr,
              nullptr, 0);
  }
  retired_icount_ += self->cpu.icount;
  {
    const engine::EngineStats& s = self->tiered ? self->tiered->stats() : self->engine->stats();
    retired_engine_.blocks_decoded += s.blocks_decoded;
    retired_engine_.insns_decoded += s.insns_decoded;
    retired_engine_.code_flushes += s.code_flushes;
    if (self->tiered) retired_jit_ += engine::jit_stats_of(*self->tiered, self->cpu);
  }
  std::erase_if(threads_, [&](const std::unique_ptr<Thread>& t) { return t.get() == self; });
  current_thread() = nullptr;
  lock.unlock();
  pthread_exit(nullptr);
}

void Process::forget_other_threads() {
  std::lock_guard lock(threads_mu_);
  Thread* self = current_thread();
  // The other threads' host threads do not exist in this (forked) process.
  std::erase_if(threads_, [&](const std::unique_ptr<Thread>& t) { return t.get() != self; });
  self->tid = static_cast<int>(gettid());
}

void Process::flush_code_all_threads(uint64_t addr, uint64_t len) {
  {
    constexpr size_t kLogSize = 1024;  // an engine further behind than this flushes everything
    std::lock_guard log_lock(code_log_mu_);
    const uint64_t end = addr + len < addr ? ~uint64_t{0} : addr + len;
    code_log_.push_back({len == ~uint64_t{0} ? 0 : addr, len == ~uint64_t{0} ? ~uint64_t{0} : end});
    if (code_log_.size() > kLogSize) code_log_.pop_front();
    ++code_seq_;
  }
  std::lock_guard lock(threads_mu_);
  for (auto& t : threads_)
    __atomic_or_fetch(&t->cpu.pending, uint32_t{arm64::kPendingFlushCode}, __ATOMIC_SEQ_CST);
}

uint64_t Process::code_changes_since(uint64_t seq,
                                     std::vector<std::pair<uint64_t, uint64_t>>* ranges) {
  std::lock_guard lock(code_log_mu_);
  const uint64_t oldest = code_seq_ - code_log_.size();  // changes after this one are logged
  if (seq < oldest) {
    ranges->push_back({0, ~uint64_t{0}});
  } else {
    for (uint64_t k = seq - oldest; k < code_log_.size(); ++k) ranges->push_back(code_log_[k]);
  }
  return code_seq_;
}

uint64_t Process::code_change_seq() {
  std::lock_guard lock(code_log_mu_);
  return code_seq_;
}

void Process::handle_stop(Thread& t, const arm64::Stop& s) {
  arm64::Cpu& cpu_ = t.cpu;
  using arm64::StopKind;
  switch (s.kind) {
    case StopKind::None:
      break;
    case StopKind::Syscall:
      handle_syscall(t);
      break;
    case StopKind::Interrupt:
      break;  // the loop delivers what is pending
    case StopKind::Undefined:
      engine::report_undefined(s, cpu_.pc);
      deliver_signal(SIGILL, ILL_ILLOPC, cpu_.pc);
      break;
    case StopKind::Breakpoint:
      deliver_signal(SIGTRAP, TRAP_BRKPT, cpu_.pc);
      break;
    case StopKind::DataAbort:
    case StopKind::InsnAbort: {
      // ESR_EL1 as Linux reports it in esr_context (Arm ARM D17.2.37): EC 0x24 data abort /
      // 0x20 instruction abort from EL0, IL, WnR, and a level-3 translation (unmapped) or
      // permission fault status code.
      const bool data = s.kind == StopKind::DataAbort;
      const uint64_t addr = data ? s.addr : cpu_.pc;
      const bool mapped = arena_->accessible(page_down(addr), 1, 0);
      const uint64_t esr = (uint64_t{data ? 0x24u : 0x20u} << 26) | (1u << 25) |
                           (data && s.write ? 1u << 6 : 0) | (mapped ? 0x0f : 0x07);
      deliver_signal(SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, addr, {}, esr);
      break;
    }
    case StopKind::Alignment:
      deliver_signal(SIGBUS, BUS_ADRALN, s.addr, {},
                     (uint64_t{0x24} << 26) | (1u << 25) | (s.write ? 1u << 6 : 0) | 0x21);
      break;
    case StopKind::Hvc:
    case StopKind::Wfi:
    case StopKind::SysTrap:
    case StopKind::PcAlignment:
    case StopKind::IllegalState:
      break;  // system mode only: a user-mode Cpu never stops with these
  }
}

void Process::handle_syscall(Thread& t) {
  arm64::Cpu& cpu_ = t.cpu;
  const uint64_t& sigmask = t.sigmask;
  const uint64_t& pending_signals = t.pending_signals;
  const uint64_t nr = cpu_.x[8];
  SyscallArgs a{{cpu_.x[0], cpu_.x[1], cpu_.x[2], cpu_.x[3], cpu_.x[4], cpu_.x[5]}};
  const int64_t r = dispatch_syscall(*this, nr, a);
  if (r == kNoReturn) return;  // rt_sigreturn, rt_sigsuspend set the state themselves
  if (r == kRestartSyscall) {
    // A signal came before the blocking host syscall started: deliver it, then execute the
    // SVC again (as if the signal had arrived just before it). x0 still holds argument 0.
    cpu_.pc -= 4;
    return;
  }
  if (r == -EINTR && (pending_signals & ~sigmask)) {
    // Interrupted by a signal the guest handles: restart the SVC after the handler when the
    // handler was installed with SA_RESTART (Linux -ERESTARTSYS), else report EINTR.
    const int sig = __builtin_ctzll(pending_signals & ~sigmask) + 1;
    if (sigactions[sig].flags & SA_RESTART) {
      cpu_.pc -= 4;
      return;  // x0 still holds the first argument
    }
  }
  cpu_.x[0] = static_cast<uint64_t>(r);
}

}  // namespace xvm::linux_user
