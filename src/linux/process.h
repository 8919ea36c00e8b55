// One guest process in user mode: its arena, its vCPU, its interpreter, the syscall layer and
// the signal bookkeeping. Two Processes in one host process share nothing (ARCHITECTURE.md).
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arch/arm64/cpu.h"
#include "engine/interpreter.h"
#include "linux/thread.h"
#include "memory/arena.h"

namespace xvm::linux_user {

struct RunOptions {
  std::string program;             // path of the guest program as the user gave it
  std::vector<std::string> argv;   // guest argv, argv[0] included
  std::vector<std::string> envp;   // guest environment
  std::string sysroot;             // prefix tried first for absolute guest paths ("" = none)
  bool strace = false;
  bool stats = false;
  bool stats_json = false;  // --stats=json: one JSON object instead of text lines
  // Execution engine (engine/tiered.h): "interp", "tiered" (interpreter, then JIT for hot
  // blocks) or "jit" (translate on first execution).
  std::string engine = "tiered";
  uint32_t jit_threshold = 50;
  uint64_t jit_cache_size = 0;  // bytes of code cache per thread, 0 = the engine's default
  bool jit_check = false;  // --check: co-simulate translated blocks on the interpreter
  std::string xvm_exe;             // this xvm binary, for re-executing AArch64 programs on execve
  std::vector<std::string> reexec_options;  // options repeated on such re-executions
};

// The guest's view of one signal's disposition (struct sigaction of the arm64 kernel ABI).
struct GuestSigaction {
  uint64_t handler = 0;  // 0 = SIG_DFL, 1 = SIG_IGN, else a guest address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};

class Process {
 public:
  static std::expected<std::unique_ptr<Process>, std::string> create(const RunOptions& opts);
  ~Process();

  // Runs the guest to its end and exits the host process the way the guest ended: with its
  // exit status, or killed by the same signal.
  [[noreturn]] void run();

  memory::Arena& arena() { return *arena_; }
  // The guest thread running on the calling host thread.
  Thread& thread();
  arm64::Cpu& cpu() { return thread().cpu; }
  engine::Interpreter& engine() { return *thread().engine; }
  const RunOptions& options() const { return opts_; }

  // --- state the syscall layer keeps per process ---
  uint64_t brk_start = 0, brk_cur = 0, brk_limit = 0;
  uint64_t auxv_addr = 0, auxv_bytes = 0;
  std::string exe_path;  // absolute host path of the guest program (/proc/self/exe)
  std::array<GuestSigaction, 65> sigactions{};
  std::mutex mu;  // guards the process-wide state above against concurrent guest threads
  uint64_t sigreturn_trampoline = 0;  // guest code "mov x8, #139; svc #0" (the vDSO's sigtramp)

  // Guest path → host path: absolute paths are tried under the sysroot first.
  std::string host_path(const std::string& guest_path) const;

  // Ends the process as a native one would end with this signal (default action).
  [[noreturn]] void die_with_signal(int sig);
  [[noreturn]] void exit_group(int status);

  // Delivers a synchronous or asynchronous signal to the guest thread: runs its handler (frame
  // on the guest stack) or takes the default action.
  // `frame_mask`, when given, is the mask the handler's frame saves (rt_sigsuspend's original
  // mask) instead of the current one. Returns true when a handler frame was set up.
  // `esr`, for memory faults, is the syndrome reported in the frame's esr_context.
  bool deliver_signal(int sig, int code, uint64_t addr, std::optional<uint64_t> frame_mask = {},
                      uint64_t esr = 0);
  // Delivers the lowest-numbered pending, unblocked signal forwarded from the host.
  bool deliver_pending(std::optional<uint64_t> frame_mask = {});
  // rt_sigreturn: restores the context saved by deliver_signal.
  int64_t sigreturn();
  void print_stats();

  // clone(CLONE_THREAD): starts a guest thread whose registers are the caller's except for
  // x0 = 0, sp (if non-zero) and TPIDR_EL0 (if set_tls). Returns its tid or -errno.
  // `parent_tid_addr` (CLONE_PARENT_SETTID, 0 = none) gets the tid before the child runs, as
  // in Linux: a child that exits at once must not have its CLEARTID undone by a late write.
  int64_t start_thread(uint64_t sp, bool set_tls, uint64_t tls, uint64_t child_tid_addr,
                       bool set_child_tid, bool clear_child_tid, uint64_t parent_tid_addr = 0);
  // exit(2) of one thread: the process ends with `status` when it was the last one.
  [[noreturn]] void exit_thread(int status);
  // After fork(): only the calling thread exists in the child.
  void forget_other_threads();
  // Guest code changed (mapping change, IC IVAU): every thread drops its decoded blocks.
  // Guest code in [addr, addr + len) may have changed (default: anywhere): every thread drops
  // what it decoded or translated there before it runs on (the change is logged for
  // code_changes_since, and each thread gets kPendingFlushCode).
  void flush_code_all_threads(uint64_t addr = 0, uint64_t len = ~uint64_t{0});
  uint64_t code_changes_since(uint64_t seq, std::vector<std::pair<uint64_t, uint64_t>>* ranges);
  uint64_t code_change_seq();
 private:
  Process() = default;
  [[noreturn]] void run_thread(Thread& t);
  void handle_stop(Thread& t, const arm64::Stop& stop);
  void handle_syscall(Thread& t);
  std::unique_ptr<Thread> new_thread();

  RunOptions opts_;
  std::unique_ptr<memory::Arena> arena_;
  std::unique_ptr<engine::CodeSource> code_;
  std::mutex threads_mu_;
  // The last code changes, numbered code_seq_ - code_log_.size() + 1 .. code_seq_.
  std::mutex code_log_mu_;
  std::deque<std::pair<uint64_t, uint64_t>> code_log_;
  uint64_t code_seq_ = 0;
  std::vector<std::unique_ptr<Thread>> threads_;
  uint64_t retired_icount_ = 0;
  // Engine figures of threads that have exited (--stats).
  engine::EngineStats retired_engine_;
  engine::JitStats retired_jit_;  // instructions of threads that have exited
  uint64_t start_ns_ = 0;
};

}  // namespace xvm::linux_user
