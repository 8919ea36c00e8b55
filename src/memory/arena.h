// The user-mode guest address space: one host reservation where guest address g lives at host
// base + g (ARCHITECTURE.md "User-mode memory is one host reservation").
//
// The Arena tracks every guest mapping (range, permissions, name) so that placement, /proc
// views and syscall argument checks never have to ask the host. All guest-memory access from
// syscall code goes through the bounded helpers here (STYLE.md rule 7).
#pragma once
#include <atomic>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"

namespace xvm::memory {

// Guest page permissions (the PROT_* values of the arm64 Linux ABI, identical to x86-64's).
enum Prot : int { kRead = 1, kWrite = 2, kExec = 4 };

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  int prot = 0;
  bool shared = false;
  uint64_t file_offset = 0;
  uint64_t inode = 0;
  uint64_t dev = 0;
  std::string name;  // path, "[stack]", "[heap]", or empty
};

class Arena {
 public:
  // Reserves `size` bytes of host address space (nothing committed until mapped).
  static std::expected<std::unique_ptr<Arena>, std::string> create(uint64_t size);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  uint8_t* base() const { return base_; }
  uint64_t size() const { return size_; }

  // Maps [addr, addr+len) (page-aligned) anonymous zero memory, or `fd` at `offset`.
  // Replaces whatever was there (MAP_FIXED semantics). Returns 0 or -errno.
  int map_fixed(uint64_t addr, uint64_t len, int prot, bool shared, int fd, uint64_t offset,
                std::string name);
  // Finds a free page-aligned range of len bytes, searching down from the top of the mmap area.
  std::optional<uint64_t> find_free(uint64_t len, uint64_t hint) const;
  int unmap(uint64_t addr, uint64_t len);
  int protect(uint64_t addr, uint64_t len, int prot);
  // Moves/extends a mapping (mremap semantics, MREMAP_MAYMOVE when may_move).
  std::expected<uint64_t, int> remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                                     bool may_move, std::optional<uint64_t> fixed_to);

  // True when every byte of [addr, addr+len) is mapped with all of `prot`.
  bool accessible(uint64_t addr, uint64_t len, int prot) const;
  bool executable(uint64_t addr) const { return accessible(addr, 4, kExec); }
  // The mapping holding `addr` (false when none), with the generation it was read at: the
  // generation changes with every map, unmap, protect and remap, so a caller may cache a
  // Region for as long as generation() equals Region::gen.
  struct Region {
    uint64_t start = 0, end = 0;
    int prot = 0;
    uint64_t gen = ~uint64_t{0};
  };
  bool region(uint64_t addr, Region* out) const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // True when no byte of [addr, addr+len) is mapped (and the range lies inside the arena).
  bool is_free(uint64_t addr, uint64_t len) const;
  // True when some page of [addr, addr+len) is mapped executable (decoded code may be stale).
  bool any_exec(uint64_t addr, uint64_t len) const;

  // Bounded copies between guest and host; false (nothing or part copied) on a bad range.
  bool read(uint64_t addr, void* dst, uint64_t len) const;
  bool write(uint64_t addr, const void* src, uint64_t len);
  // A NUL-terminated guest string of at most max_len bytes, or nullopt when unmapped/too long.
  std::optional<std::string> read_cstring(uint64_t addr, size_t max_len = 4096) const;
  // Host pointer to [addr, addr+len) if accessible with prot, else nullptr. For handing buffers
  // to host syscalls; the pointer is valid until the mapping changes.
  uint8_t* host(uint64_t addr, uint64_t len, int prot) const;

  std::vector<Mapping> mappings() const;
  // The mmap area: find_free() places mappings below mmap_top().
  void set_mmap_top(uint64_t top) { mmap_top_ = top; }
  uint64_t mmap_top() const { return mmap_top_; }

 private:
  Arena(uint8_t* base, uint64_t size) : base_(base), size_(size) {}
  void carve(uint64_t start, uint64_t end);  // removes [start,end) from maps_, splitting

  uint8_t* base_;
  uint64_t size_;
  uint64_t mmap_top_ = 0;
  mutable std::mutex mu_;
  std::atomic<uint64_t> generation_{0};
  std::map<uint64_t, Mapping> maps_;  // keyed by start; non-overlapping
};

}  // namespace xvm::memory
