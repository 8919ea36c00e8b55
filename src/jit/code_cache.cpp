#include "jit/code_cache.h"

#include <sys/mman.h>

#include <cassert>
#include <cstring>

namespace xvm::jit {

CodeCache::CodeCache(size_t bytes) : size_(bytes) {
  // One mapping below 2 GiB of extent, so every jump inside it is a rel32. Written and executed
  // by the same (owning) thread only; no other thread ever runs this code.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED) base_ = static_cast<uint8_t*>(p);
}

CodeCache::~CodeCache() {
  if (base_) munmap(base_, size_);
}

void CodeCache::patch_jump(uint8_t* site, const void* target) {
  assert(site[0] == 0xE9);
  const int64_t rel = reinterpret_cast<const uint8_t*>(target) - (site + 5);
  const int32_t r32 = static_cast<int32_t>(rel);
  std::memcpy(site + 1, &r32, 4);
}

}  // namespace xvm::jit
