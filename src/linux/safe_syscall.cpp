#include "linux/safe_syscall.h"

// x86-64 System V: pending=rdi, nr=rsi, a1..a4=rdx,rcx,r8,r9, a5/a6 on the stack.
// Linux syscall ABI: nr=rax, args rdi,rsi,rdx,r10,r8,r9; rcx and r11 are clobbered.
asm(R"(
  .text
  .globl xvm_safe_syscall
  .type xvm_safe_syscall, @function
xvm_safe_syscall:
  movq %rdi, %r11
  movq %rsi, %rax
  movq %rdx, %rdi
  movq %rcx, %rsi
  movq %r8, %rdx
  movq %r9, %r10
  movq 8(%rsp), %r8
  movq 16(%rsp), %r9
xvm_safe_syscall_start:
  testl $1, (%r11)
  jnz xvm_safe_syscall_restart
  syscall
xvm_safe_syscall_end:
  ret
xvm_safe_syscall_restart:
  movq $-512, %rax
  ret
  .size xvm_safe_syscall, .-xvm_safe_syscall
)");

extern "C" char xvm_safe_syscall_start[], xvm_safe_syscall_end[], xvm_safe_syscall_restart[];

namespace xvm::linux_user {

void safe_syscall_fixup(unsigned long long* rip) {
  const auto start = reinterpret_cast<unsigned long long>(xvm_safe_syscall_start);
  const auto end = reinterpret_cast<unsigned long long>(xvm_safe_syscall_end);
  // At `end` the syscall has run (or was interrupted in the kernel and returns -EINTR).
  if (*rip >= start && *rip < end) *rip = reinterpret_cast<unsigned long long>(xvm_safe_syscall_restart);
}

}  // namespace xvm::linux_user
