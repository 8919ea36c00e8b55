#include "memory/host_fault.h"

#include <signal.h>
#include <ucontext.h>

#include <cstring>
#include <mutex>

#include "memory/code_watch.h"

namespace xvm::memory {
namespace {

thread_local FaultScope* t_scope = nullptr;

void on_host_fault(int sig, siginfo_t* info, void* uctx) {
  FaultScope* s = t_scope;
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  // A store to a page write-watched for self-modifying code (code_watch.h): made writable
  // again, noted; returning retries the store. From guest code or from xvm's own copies.
  if (sig == SIGSEGV && (static_cast<const ucontext_t*>(uctx)->uc_mcontext.gregs[REG_ERR] & 2) &&
      code_watch_on_write_fault(addr))
    return;
  const auto base = reinterpret_cast<uintptr_t>(s ? s->base_ : nullptr);
  if (s && addr >= base && addr - base < s->size_) {
    s->out_->guest_addr = addr - base;
    // x86-64 page-fault error code bit 1: the access was a write.
    const auto* uc = static_cast<const ucontext_t*>(uctx);
    s->out_->write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    s->out_->host_pc = uint64_t(uc->uc_mcontext.gregs[REG_RIP]);
    siglongjmp(*s->unwind_, 2);
  }
  // Not a guest access: an xvm bug. Let it fault again with the default action.
  signal(sig, SIG_DFL);
}

}  // namespace

FaultScope::FaultScope(uint8_t* base, uint64_t size, sigjmp_buf* unwind, HostFault* out)
    : prev_(t_scope), base_(base), size_(size), unwind_(unwind), out_(out) {
  t_scope = this;
}

FaultScope::~FaultScope() { t_scope = prev_; }

void install_host_fault_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_host_fault;
    // SA_NODEFER: the handler leaves with siglongjmp and no saved mask, so the signal must not
    // stay blocked afterwards. SA_ONSTACK: a guest stack overflow is not a host one, but the
    // handler must work even when xvm's own stack is the problem.
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

}  // namespace xvm::memory
