#include "linux/initial_stack.h"

#include <elf.h>

namespace xvm::linux_user {

std::expected<BuiltStack, std::string> build_initial_stack(memory::Arena& arena, uint64_t top,
                                                           uint64_t limit,
                                                           const StackImage& im) {
  uint64_t p = top;
  bool ok = true;
  auto push_bytes = [&](const void* data, uint64_t n) {
    if (p - limit < n) {
      ok = false;
      return p;
    }
    p -= n;
    ok = ok && arena.write(p, data, n);
    return p;
  };
  auto push_str = [&](const std::string& s) { return push_bytes(s.c_str(), s.size() + 1); };

  // Linux copies the filename first (highest), then the environment, then the arguments.
  const uint64_t execfn = push_str(im.execfn);
  std::vector<uint64_t> envp_addr(im.envp.size()), argv_addr(im.argv.size());
  for (size_t i = im.envp.size(); i-- > 0;) envp_addr[i] = push_str(im.envp[i]);
  for (size_t i = im.argv.size(); i-- > 0;) argv_addr[i] = push_str(im.argv[i]);
  const uint64_t platform = push_str("aarch64");
  p &= ~uint64_t{15};
  const uint64_t random = push_bytes(im.random, sizeof im.random);
  if (!ok) return std::unexpected("arguments and environment do not fit on the stack");

  std::vector<uint64_t> words;
  words.push_back(im.argv.size());
  for (uint64_t a : argv_addr) words.push_back(a);
  words.push_back(0);
  for (uint64_t a : envp_addr) words.push_back(a);
  words.push_back(0);
  const size_t auxv_index = words.size();
  for (auto [k, v] : im.auxv) words.push_back(k), words.push_back(v);
  for (uint64_t kv : {uint64_t{AT_RANDOM}, random, uint64_t{AT_EXECFN}, execfn,
                      uint64_t{AT_PLATFORM}, platform, uint64_t{AT_NULL}, uint64_t{0}})
    words.push_back(kv);

  // sp (at argc) must be 16-byte aligned (arm64 procedure call standard, Linux's STACK_ROUND).
  const uint64_t bytes = words.size() * 8;
  if (p - limit < bytes + 16) return std::unexpected("arguments and environment do not fit on the stack");
  p = (p - bytes) & ~uint64_t{15};
  if (!arena.write(p, words.data(), bytes)) return std::unexpected("stack is not writable");
  BuiltStack out;
  out.sp = p;
  out.auxv_addr = p + auxv_index * 8;
  out.auxv_bytes = bytes - auxv_index * 8;
  return out;
}

}  // namespace xvm::linux_user
