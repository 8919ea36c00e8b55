#include "memory/arena.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "memory/code_watch.h"

namespace xvm::memory {
namespace {

// Guest code is never executed by the host, so guest PROT_EXEC becomes host PROT_READ (the
// decoder reads it); the guest-visible permission stays in the Mapping.
int host_prot(int prot) {
  int p = PROT_NONE;
  if (prot & (kRead | kExec)) p |= PROT_READ;
  if (prot & kWrite) p |= PROT_READ | PROT_WRITE;
  return p;
}

bool range_ok(uint64_t addr, uint64_t len, uint64_t size) {
  return len <= size && addr <= size - len;
}

}  // namespace

std::expected<std::unique_ptr<Arena>, std::string> Arena::create(uint64_t size) {
  void* p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return std::unexpected(std::string("cannot reserve guest address space: ") +
                           std::strerror(errno));
  return std::unique_ptr<Arena>(new Arena(static_cast<uint8_t*>(p), size));
}

Arena::~Arena() { munmap(base_, size_); }

void Arena::carve(uint64_t start, uint64_t end) {
  code_watch_forget(start, end - start);  // the caller sets the new host protection
  auto it = maps_.lower_bound(start);
  if (it != maps_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > start) it = prev;
  }
  while (it != maps_.end() && it->second.start < end) {
    Mapping m = it->second;
    it = maps_.erase(it);
    if (m.start < start) {
      Mapping left = m;
      left.end = start;
      maps_.emplace(left.start, left);
    }
    if (m.end > end) {
      Mapping right = m;
      right.file_offset += end - m.start;
      right.start = end;
      it = maps_.emplace(right.start, right).first;
      ++it;
    }
  }
}

int Arena::map_fixed(uint64_t addr, uint64_t len, int prot, bool shared, int fd, uint64_t offset,
                     std::string name) {
  if ((addr | len) & (kPageSize - 1) || len == 0) return -EINVAL;
  if (!range_ok(addr, len, size_)) return -ENOMEM;
  std::lock_guard lock(mu_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  int flags = MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE);
  if (fd < 0) flags |= MAP_ANONYMOUS;
  void* p = mmap(base_ + addr, len, host_prot(prot), flags, fd, static_cast<off_t>(offset));
  if (p == MAP_FAILED) return -errno;
  carve(addr, addr + len);
  Mapping m;
  m.start = addr;
  m.end = addr + len;
  m.prot = prot;
  m.shared = shared;
  m.file_offset = fd >= 0 ? offset : 0;
  m.name = std::move(name);
  maps_.emplace(addr, std::move(m));
  return 0;
}

std::optional<uint64_t> Arena::find_free(uint64_t len, uint64_t hint) const {
  len = page_up(len);
  if (len == 0 || len > size_) return std::nullopt;
  std::lock_guard lock(mu_);
  auto is_free = [&](uint64_t a) {
    if (!range_ok(a, len, size_) || a < kPageSize * 16) return false;
    auto it = maps_.lower_bound(a);
    if (it != maps_.end() && it->second.start < a + len) return false;
    if (it != maps_.begin() && std::prev(it)->second.end > a) return false;
    return true;
  };
  if (hint && (hint & (kPageSize - 1)) == 0 && is_free(hint)) return hint;
  // Top-down first fit below mmap_top_, as Linux places mmaps below the stack.
  uint64_t top = mmap_top_ ? mmap_top_ : size_;
  auto it = maps_.lower_bound(top);
  for (;;) {
    uint64_t floor = 0;
    if (it != maps_.begin()) floor = std::prev(it)->second.end;
    if (top >= len && top - len >= floor && top - len >= kPageSize * 16) return top - len;
    if (it == maps_.begin()) return std::nullopt;
    --it;
    top = std::min(top, it->second.start);
  }
}

int Arena::unmap(uint64_t addr, uint64_t len) {
  if (addr & (kPageSize - 1)) return -EINVAL;
  len = page_up(len);
  if (len == 0 || !range_ok(addr, len, size_)) return -EINVAL;
  std::lock_guard lock(mu_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  // Back to reserved, inaccessible address space (and give the memory back to the host).
  void* p = mmap(base_ + addr, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS |
                 MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return -errno;
  carve(addr, addr + len);
  return 0;
}

int Arena::protect(uint64_t addr, uint64_t len, int prot) {
  if (addr & (kPageSize - 1)) return -EINVAL;
  len = page_up(len);
  if (!range_ok(addr, len, size_)) return -ENOMEM;
  if (len == 0) return 0;
  std::lock_guard lock(mu_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  // Every page must be mapped (Linux returns ENOMEM otherwise).
  uint64_t a = addr;
  auto it = maps_.upper_bound(addr);
  if (it != maps_.begin()) --it;
  for (; a < addr + len; ++it) {
    if (it == maps_.end() || it->second.start > a || it->second.end <= a) return -ENOMEM;
    a = it->second.end;
  }
  if (mprotect(base_ + addr, len, host_prot(prot)) != 0) return -errno;
  code_watch_forget(addr, len);
  // Split at the edges, then set the permission of everything inside.
  std::vector<Mapping> inside;
  it = maps_.upper_bound(addr);
  if (it != maps_.begin()) --it;
  while (it != maps_.end() && it->second.start < addr + len) {
    if (it->second.end <= addr) {
      ++it;
      continue;
    }
    inside.push_back(it->second);
    ++it;
  }
  carve(addr, addr + len);
  for (Mapping m : inside) {
    const uint64_t s = std::max(m.start, addr), e = std::min(m.end, addr + len);
    m.file_offset += s - m.start;
    m.start = s;
    m.end = e;
    m.prot = prot;
    maps_.emplace(s, std::move(m));
  }
  return 0;
}

std::expected<uint64_t, int> Arena::remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                                          bool may_move, std::optional<uint64_t> fixed_to) {
  // mremap(2): EINVAL for unaligned addresses, zero sizes and MREMAP_FIXED without MAYMOVE;
  // EFAULT when the old range is not inside one mapping. (old_len 0 duplicates shared
  // mappings on Linux; xvm does not support that and answers EINVAL.)
  if ((old_addr & (kPageSize - 1)) || (fixed_to && !may_move)) return std::unexpected(-EINVAL);
  old_len = page_up(old_len);
  new_len = page_up(new_len);
  if (new_len == 0 || old_len == 0 || !range_ok(old_addr, old_len, size_))
    return std::unexpected(-EINVAL);
  std::lock_guard lock(mu_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  auto it = maps_.upper_bound(old_addr);
  if (it == maps_.begin()) return std::unexpected(-EFAULT);
  --it;
  if (it->second.start > old_addr || it->second.end < old_addr + old_len)
    return std::unexpected(-EFAULT);
  const Mapping m = it->second;
  auto free_locked = [&](uint64_t a, uint64_t len) {
    if (!range_ok(a, len, size_)) return false;
    auto n = maps_.lower_bound(a);
    if (n != maps_.end() && n->second.start < a + len) return false;
    return n == maps_.begin() || std::prev(n)->second.end <= a;
  };
  auto record = [&](uint64_t start, uint64_t len) {
    Mapping g = m;
    g.file_offset += old_addr - m.start;
    g.start = start;
    g.end = start + len;
    maps_.emplace(start, g);
  };
  auto reserve = [&](uint64_t a, uint64_t len) {
    mmap(base_ + a, len, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  };

  if (!fixed_to) {
    if (new_len <= old_len) {
      if (new_len < old_len) {
        reserve(old_addr + new_len, old_len - new_len);
        carve(old_addr + new_len, old_addr + old_len);
      }
      return old_addr;
    }
    // Grow in place when the pages after the old range are free in the guest: give them back
    // to the host and let the host kernel extend the same mapping (file or anonymous alike).
    const uint64_t ext = old_addr + old_len, ext_len = new_len - old_len;
    if (free_locked(ext, ext_len)) {
      munmap(base_ + ext, ext_len);
      if (mremap(base_ + old_addr, old_len, new_len, 0) != MAP_FAILED) {
        carve(old_addr, old_addr + old_len);
        record(old_addr, new_len);
        return old_addr;
      }
      reserve(ext, ext_len);
    }
    if (!may_move) return std::unexpected(-ENOMEM);
  }

  uint64_t dest;
  if (fixed_to) {
    dest = *fixed_to;
    if ((dest & (kPageSize - 1)) || !range_ok(dest, new_len, size_))
      return std::unexpected(-EINVAL);
    if (dest < old_addr + old_len && old_addr < dest + new_len) return std::unexpected(-EINVAL);
  } else {
    // find_free takes the lock itself; search the map directly instead.
    std::optional<uint64_t> f;
    uint64_t top = mmap_top_ ? mmap_top_ : size_;
    auto n = maps_.lower_bound(top);
    for (;;) {
      const uint64_t floor = n != maps_.begin() ? std::prev(n)->second.end : 0;
      if (top >= new_len && top - new_len >= floor && top - new_len >= kPageSize * 16) {
        f = top - new_len;
        break;
      }
      if (n == maps_.begin()) break;
      --n;
      top = std::min(top, n->second.start);
    }
    if (!f) return std::unexpected(-ENOMEM);
    dest = *f;
  }
  // The host moves the pages (contents and any file backing) and replaces what was at dest.
  void* p = mremap(base_ + old_addr, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED,
                   base_ + dest);
  if (p == MAP_FAILED) return std::unexpected(-errno);
  reserve(old_addr, old_len);
  carve(old_addr, old_addr + old_len);
  carve(dest, dest + new_len);
  record(dest, new_len);
  return dest;
}

bool Arena::accessible(uint64_t addr, uint64_t len, int prot) const {
  if (!range_ok(addr, len, size_)) return false;
  if (len == 0) return true;
  std::lock_guard lock(mu_);
  uint64_t a = addr;
  auto it = maps_.upper_bound(addr);
  if (it == maps_.begin()) return false;
  --it;
  while (a < addr + len) {
    if (it == maps_.end() || it->second.start > a || it->second.end <= a) return false;
    if ((it->second.prot & prot) != prot) return false;
    a = it->second.end;
    ++it;
  }
  return true;
}

bool Arena::region(uint64_t addr, Region* out) const {
  if (!range_ok(addr, 1, size_)) return false;
  std::lock_guard lock(mu_);
  out->gen = generation_.load(std::memory_order_acquire);
  auto it = maps_.upper_bound(addr);
  if (it == maps_.begin()) return false;
  --it;
  if (it->second.end <= addr) return false;
  out->start = it->second.start;
  out->end = it->second.end;
  out->prot = it->second.prot;
  return true;
}

bool Arena::is_free(uint64_t addr, uint64_t len) const {
  if (!range_ok(addr, len, size_)) return false;
  std::lock_guard lock(mu_);
  auto it = maps_.lower_bound(addr);
  if (it != maps_.end() && it->second.start < addr + len) return false;
  return it == maps_.begin() || std::prev(it)->second.end <= addr;
}

bool Arena::any_exec(uint64_t addr, uint64_t len) const {
  std::lock_guard lock(mu_);
  auto it = maps_.upper_bound(addr);
  if (it != maps_.begin()) --it;
  for (; it != maps_.end() && it->second.start < addr + len; ++it)
    if (it->second.end > addr && (it->second.prot & kExec)) return true;
  return false;
}

uint8_t* Arena::host(uint64_t addr, uint64_t len, int prot) const {
  return accessible(addr, len, prot) ? base_ + addr : nullptr;
}

bool Arena::read(uint64_t addr, void* dst, uint64_t len) const {
  const uint8_t* p = host(addr, len, kRead);
  if (!p) return false;
  std::memcpy(dst, p, len);
  return true;
}

bool Arena::write(uint64_t addr, const void* src, uint64_t len) {
  uint8_t* p = host(addr, len, kWrite);
  if (!p) return false;
  std::memcpy(p, src, len);
  return true;
}

std::optional<std::string> Arena::read_cstring(uint64_t addr, size_t max_len) const {
  std::string s;
  for (;;) {
    // Look at most up to the end of this page, and at most one byte past max_len (the NUL).
    const uint64_t chunk = kPageSize - (addr & (kPageSize - 1));
    const uint64_t look = std::min<uint64_t>(chunk, max_len - s.size() + 1);
    const uint8_t* p = host(addr, look, kRead);
    if (!p) return std::nullopt;
    if (const void* nul = std::memchr(p, 0, look)) {
      s.append(reinterpret_cast<const char*>(p), static_cast<const uint8_t*>(nul) - p);
      return s;
    }
    if (look < chunk || s.size() + look > max_len) return std::nullopt;  // longer than max_len
    s.append(reinterpret_cast<const char*>(p), look);
    addr += look;
  }
}

std::vector<Mapping> Arena::mappings() const {
  std::lock_guard lock(mu_);
  std::vector<Mapping> v;
  for (const auto& [k, m] : maps_) v.push_back(m);
  return v;
}

}  // namespace xvm::memory
