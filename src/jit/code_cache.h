// A bounded region of executable memory for translated blocks, owned by one guest thread.
// Allocation is a bump pointer; when it is full the owner flushes everything (reset()) and
// starts again, so no translation ever outlives the region's bookkeeping (ARCHITECTURE.md).
#pragma once
#include <cstddef>
#include <cstdint>

namespace xvm::jit {

class CodeCache {
 public:
  explicit CodeCache(size_t bytes);
  ~CodeCache();
  CodeCache(const CodeCache&) = delete;
  CodeCache& operator=(const CodeCache&) = delete;

  bool ok() const { return base_ != nullptr; }
  uint8_t* cursor() const { return base_ + used_; }
  size_t room() const { return size_ - used_; }
  // Marks n bytes at the cursor as used (after the code was copied there).
  void commit(size_t n) { used_ += (n + 15) & ~size_t{15}; }
  // Drops every block, keeping the first `keep` bytes (the shared entry/exit stubs).
  void reset(size_t keep) { used_ = keep; }
  size_t used() const { return used_; }
  size_t size() const { return size_; }

  // Points the jmp rel32 at `site` (opcode E9) at `target`.
  static void patch_jump(uint8_t* site, const void* target);

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
};

}  // namespace xvm::jit
