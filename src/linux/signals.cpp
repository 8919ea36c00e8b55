#include "linux/signals.h"

#include <signal.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "linux/process.h"
#include "linux/safe_syscall.h"
#include "linux/thread.h"
#include "linux/syscalls/syscalls.h"

namespace xvm::linux_user {
namespace {

// The host signal handler needs a process-wide way to reach the guest process it serves. In
// user mode exactly one Process runs in a host process at a time (xvm run); this pointer is
// that link and nothing else (no VM state lives here).
std::atomic<Process*> g_target{nullptr};

constexpr uint64_t bit_of(int sig) { return uint64_t{1} << (sig - 1); }

// Offsets in the arm64 rt_sigframe (Linux arch/arm64/include/uapi/asm/{ucontext,sigcontext}.h):
// siginfo (128 bytes), then struct ucontext: uc_flags 0, uc_link 8, uc_stack 16 (24 bytes),
// uc_sigmask 40, padding to 168, uc_mcontext aligned to 16 at 176; sigcontext: fault_address 0,
// regs[31] 8, sp 256, pc 264, pstate 272, __reserved[4096] at 288 (16-aligned).
constexpr uint64_t kUc = 128;
constexpr uint64_t kUcStack = kUc + 16, kUcSigmask = kUc + 40, kMc = kUc + 176;
constexpr uint64_t kMcRegs = kMc + 8, kMcSp = kMc + 256, kMcPc = kMc + 264, kMcPstate = kMc + 272;
constexpr uint64_t kMcReserved = kMc + 288;
constexpr uint64_t kFrameSize = kMcReserved + 4096;
constexpr uint32_t kFpsimdMagic = 0x46508001, kFpsimdSize = 528;
constexpr uint32_t kEsrMagic = 0x45535201, kEsrSize = 16;

// Runs on the host thread the kernel picked (one that does not block the signal, since host
// masks mirror guest masks): the signal is queued to the guest thread running there.
void on_host_signal(int sig, siginfo_t* info, void* uctx) {
  Thread* t = current_thread();
  if (!t || !g_target.load(std::memory_order_acquire)) return;
  t->siginfo[sig] = *info;
  __atomic_or_fetch(&t->pending_signals, bit_of(sig), __ATOMIC_SEQ_CST);
  __atomic_or_fetch(&t->cpu.pending, uint32_t{arm64::kPendingInterrupt}, __ATOMIC_SEQ_CST);
  // Keep the signal blocked on the host until the guest has taken it: further instances of a
  // real-time signal then stay queued in the kernel (one delivery each) instead of merging
  // here. Delivery, or consuming it otherwise, re-applies the guest's mask.
  auto* uc = static_cast<ucontext_t*>(uctx);
  uc->uc_sigmask.__val[0] |= bit_of(sig);
  // Interrupted just before a blocking syscall: make it return "restart" instead of sleeping.
  safe_syscall_fixup(reinterpret_cast<unsigned long long*>(&uc->uc_mcontext.gregs[REG_RIP]));
}

// x86-64 rt_sigaction requires SA_RESTORER: the return path of a handler. These are the bytes
// of glibc's __restore_rt (mov $15, %rax; syscall), which unwinders recognise.
extern "C" void xvm_restore_rt();
asm(".text\n.globl xvm_restore_rt\n.type xvm_restore_rt,@function\n"
    "xvm_restore_rt:\n movq $15, %rax\n syscall\n.size xvm_restore_rt,.-xvm_restore_rt\n");

struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};
constexpr unsigned long kSaRestorer = 0x04000000;

int raw_sigaction(int sig, void* handler, unsigned long flags, KernelSigaction* old) {
  KernelSigaction ka{handler, flags | kSaRestorer, xvm_restore_rt, ~uint64_t{0}};
  return int(syscall(SYS_rt_sigaction, sig, handler == nullptr && old ? nullptr : &ka, old, 8));
}

bool default_ignores(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

bool default_stops(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

}  // namespace

bool is_fault_signal(int sig) { return sig == SIGSEGV || sig == SIGBUS; }

void apply_host_disposition(Process& p, int sig) {
  if (sig == SIGKILL || sig == SIGSTOP || is_fault_signal(sig)) return;
  const GuestSigaction& g = p.sigactions[sig];
  if (g.handler <= 1) {
    raw_sigaction(sig, reinterpret_cast<void*>(g.handler), 0, nullptr);  // SIG_DFL / SIG_IGN
  } else {
    // No SA_RESTART: a blocking host syscall must return EINTR so the guest handler can run;
    // the syscall layer restarts it afterwards when the guest asked for SA_RESTART.
    raw_sigaction(sig, reinterpret_cast<void*>(on_host_signal), SA_SIGINFO, nullptr);
  }
}

uint64_t host_mask_for(uint64_t guest_mask) {
  return guest_mask & ~(bit_of(SIGSEGV) | bit_of(SIGBUS) | bit_of(SIGKILL) | bit_of(SIGSTOP));
}

int raw_sigaction_default(int sig) { return raw_sigaction(sig, nullptr, 0, nullptr); }

int raw_sigprocmask(int how, uint64_t set, uint64_t* old) {
  return int(syscall(SYS_rt_sigprocmask, how, &set, old, 8));
}

int raw_sigsuspend(uint64_t mask) { return int(syscall(SYS_rt_sigsuspend, &mask, 8)); }

void apply_host_mask(uint64_t guest_mask) {
  raw_sigprocmask(SIG_SETMASK, host_mask_for(guest_mask), nullptr);
}

void install_signal_forwarding(Process& p, Thread& main_thread) {
  g_target.store(&p, std::memory_order_release);
  for (int s = 1; s < 65; ++s) {
    KernelSigaction cur{};
    if (syscall(SYS_rt_sigaction, s, nullptr, &cur, 8) == 0 &&
        cur.handler == reinterpret_cast<void*>(SIG_IGN))
      p.sigactions[s].handler = 1;
  }
  uint64_t cur = 0;
  raw_sigprocmask(SIG_BLOCK, 0, &cur);
  main_thread.sigmask = cur & ~(bit_of(SIGKILL) | bit_of(SIGSTOP));
}

bool Process::deliver_pending(std::optional<uint64_t> frame_mask) {
  Thread& t = thread();
  const uint64_t deliverable = t.pending_signals & ~t.sigmask;
  if (!deliverable) return false;
  const int sig = __builtin_ctzll(deliverable) + 1;
  __atomic_and_fetch(&t.pending_signals, ~bit_of(sig), __ATOMIC_SEQ_CST);
  GuestSigaction& act = sigactions[sig];
  if (act.handler <= 1) {
    if (act.handler == 0 && !default_ignores(sig)) {
      if (!default_stops(sig)) die_with_signal(sig);
      kill(getpid(), SIGSTOP);
    }
    apply_host_mask(t.sigmask);  // the host held it blocked for us (on_host_signal)
    return false;
  }
  // An asynchronous signal: the frame carries the host's siginfo (code <= 0 selects it).
  return deliver_signal(sig, 0, 0, frame_mask);
}

bool Process::deliver_signal(int sig, int code, uint64_t addr, std::optional<uint64_t> frame_mask,
                             uint64_t esr) {
  Thread& t = thread();
  arm64::Cpu& cpu = t.cpu;
  uint64_t& sigmask = t.sigmask;
  GuestSigaction& act = sigactions[sig];
  const bool synchronous = code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
                                        sig == SIGTRAP || sig == SIGFPE);
  // Linux force_sig_fault: a fault signal that is blocked or ignored kills the process.
  if (synchronous && (act.handler <= 1 || (sigmask & bit_of(sig)))) die_with_signal(sig);
  if (act.handler == 0) {
    if (default_ignores(sig)) return false;
    die_with_signal(sig);
  }
  if (act.handler == 1) return false;

  // Choose the stack: the alternate one when asked for and not already on it.
  uint64_t sp = cpu.x[31];
  const bool on_alt = t.altstack_size && sp - t.altstack_sp < t.altstack_size;
  if ((act.flags & SA_ONSTACK) && t.altstack_size && !(t.altstack_flags & SS_DISABLE) && !on_alt)
    sp = t.altstack_sp + t.altstack_size;
  const uint64_t next_frame = (sp - 16) & ~uint64_t{15};
  const uint64_t frame = (next_frame - kFrameSize) & ~uint64_t{15};

  uint8_t buf[kFrameSize];
  std::memset(buf, 0, sizeof buf);
  auto put32 = [&](uint64_t off, uint32_t v) { std::memcpy(buf + off, &v, 4); };
  auto put64 = [&](uint64_t off, uint64_t v) { std::memcpy(buf + off, &v, 8); };
  if (synchronous) {
    put32(0, sig);
    put32(8, code);
    put64(16, addr);
  } else {
    std::memcpy(buf, &t.siginfo[sig], 128);
    put32(0, sig);
  }
  put64(kUcStack, t.altstack_sp);
  put32(kUcStack + 8, on_alt ? SS_ONSTACK : (t.altstack_size ? 0 : SS_DISABLE));
  put64(kUcStack + 16, t.altstack_size);
  put64(kUcSigmask, frame_mask ? *frame_mask : sigmask);
  put64(kMc, synchronous ? addr : 0);
  for (int i = 0; i < 31; ++i) put64(kMcRegs + 8 * i, cpu.x[i]);
  put64(kMcSp, cpu.x[31]);
  put64(kMcPc, cpu.pc);
  put64(kMcPstate, cpu.nzcv);
  uint64_t r = kMcReserved;
  put32(r, kFpsimdMagic);
  put32(r + 4, kFpsimdSize);
  put32(r + 8, cpu.fpsr);
  put32(r + 12, cpu.fpcr);
  std::memcpy(buf + r + 16, cpu.v, 512);
  r += kFpsimdSize;
  if (esr) {
    put32(r, kEsrMagic);
    put32(r + 4, kEsrSize);
    put64(r + 8, esr);
    r += kEsrSize;
  }
  // Terminator record {magic 0, size 0} is already zero.
  const uint64_t frame_record[2] = {cpu.x[29], cpu.x[30]};
  if (!arena_->write(frame, buf, sizeof buf) ||
      !arena_->write(next_frame, frame_record, sizeof frame_record)) {
    // Linux: a frame that cannot be written is a SIGSEGV that kills the process.
    die_with_signal(SIGSEGV);
  }

  cpu.excl_size = 0;  // exception entry clears the local monitor (Arm ARM B2.9.5)
  cpu.x[0] = static_cast<uint64_t>(sig);
  cpu.x[1] = frame;        // &info
  cpu.x[2] = frame + kUc;  // &uc
  cpu.x[29] = next_frame;
  cpu.x[30] = (act.flags & 0x04000000 /* SA_RESTORER */) ? act.restorer : sigreturn_trampoline;
  cpu.x[31] = frame;
  cpu.pc = act.handler;
  cpu.nzcv = 0;
  uint64_t new_mask = sigmask | act.mask;
  if (!(act.flags & SA_NODEFER)) new_mask |= bit_of(sig);
  sigmask = new_mask & ~(bit_of(SIGKILL) | bit_of(SIGSTOP));
  apply_host_mask(sigmask);
  if (act.flags & SA_RESETHAND) {
    act = GuestSigaction{};
    apply_host_disposition(*this, sig);
  }
  return true;
}

int64_t Process::sigreturn() {
  Thread& t = thread();
  arm64::Cpu& cpu = t.cpu;
  const uint64_t frame = cpu.x[31];
  uint8_t buf[kFrameSize];
  if ((frame & 15) || !arena_->read(frame, buf, sizeof buf)) die_with_signal(SIGSEGV);
  auto get32 = [&](uint64_t off) { uint32_t v; std::memcpy(&v, buf + off, 4); return v; };
  auto get64 = [&](uint64_t off) { uint64_t v; std::memcpy(&v, buf + off, 8); return v; };
  for (int i = 0; i < 31; ++i) cpu.x[i] = get64(kMcRegs + 8 * i);
  cpu.x[31] = get64(kMcSp);
  cpu.pc = get64(kMcPc);
  cpu.nzcv = static_cast<uint32_t>(get64(kMcPstate)) & 0xf0000000u;
  cpu.excl_size = 0;  // so does the exception return
  // Walk the __reserved records for fpsimd_context (Linux parse_user_sigframe).
  for (uint64_t r = kMcReserved; r + 8 <= kFrameSize;) {
    const uint32_t magic = get32(r), size = get32(r + 4);
    if (magic == 0) break;
    if (size < 8 || r + size > kFrameSize) die_with_signal(SIGSEGV);
    if (magic == kFpsimdMagic && size == kFpsimdSize) {
      cpu.fpsr = get32(r + 8) & arm64::fpsr::kWritable;
      cpu.fpcr = get32(r + 12) & arm64::fpcr::kWritable;
      std::memcpy(cpu.v, buf + r + 16, 512);
    }
    r += size;
  }
  t.sigmask = get64(kUcSigmask) & ~(bit_of(SIGKILL) | bit_of(SIGSTOP));
  apply_host_mask(t.sigmask);
  return kNoReturn;
}

}  // namespace xvm::linux_user
