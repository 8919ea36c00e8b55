#include "jit/code_cache.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <cstring>

namespace xvm::jit {

CodeCache::CodeCache(size_t bytes) : size_(bytes) {
  // One mapping below 2 GiB of extent, so every jump inside it is a rel32. Written and executed
  // by the same (owning) thread only; no other thread ever runs this code.
  // Aligned to 2 MiB and marked for transparent huge pages: the cache fills from the start, so
  // a 2 MiB page costs one fault instead of 512 (translation of a fresh program faulted on
  // every 4 KiB of new code) and the translated code needs fewer iTLB entries.
  constexpr size_t kHuge = size_t{2} << 20;
  void* p = mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return;
  const auto raw = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (raw + kHuge - 1) & ~uintptr_t{kHuge - 1};
  if (aligned > raw) munmap(p, aligned - raw);
  if (const uintptr_t end = raw + bytes + kHuge; end > aligned + bytes)
    munmap(reinterpret_cast<void*>(aligned + bytes), end - (aligned + bytes));
  base_ = reinterpret_cast<uint8_t*>(aligned);
  madvise(base_, bytes, MADV_HUGEPAGE);  // advice only: without THP, 4 KiB pages as before
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
