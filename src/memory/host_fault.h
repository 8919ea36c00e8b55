// Turns host SIGSEGV/SIGBUS inside a guest arena into a guest data abort.
//
// While a vCPU runs guest code, a FaultScope names the arena it touches and where to unwind to.
// A host fault inside that arena jumps back there with the guest address; any other host fault
// is a real xvm bug and ends the process with the default action (and a core dump).
#pragma once
#include <csetjmp>
#include <cstdint>

namespace xvm::memory {

struct HostFault {
  uint64_t guest_addr = 0;
  uint64_t host_pc = 0;  // the faulting host instruction (translated code maps it to a guest pc)
  bool write = false;
};

class FaultScope {
 public:
  FaultScope(uint8_t* base, uint64_t size, sigjmp_buf* unwind, HostFault* out);
  ~FaultScope();
  FaultScope(const FaultScope&) = delete;
  FaultScope& operator=(const FaultScope&) = delete;

  // Read by the signal handler.
  FaultScope* prev_;
  uint8_t* base_;
  uint64_t size_;
  sigjmp_buf* unwind_;
  HostFault* out_;
};

// Installs the process-wide handler once (idempotent, thread-safe).
void install_host_fault_handler();

}  // namespace xvm::memory
