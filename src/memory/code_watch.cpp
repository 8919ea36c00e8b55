#include "memory/code_watch.h"

#include <sys/mman.h>

#include <atomic>
#include <mutex>

namespace xvm::memory {
namespace {

constexpr uint64_t kPage = 4096;

// One bit per guest page, in a lazily committed host mapping (a 1 TiB arena needs 32 MiB of
// address space; only the words of pages that were watched are ever touched).
struct Watch {
  uint8_t* base = nullptr;
  uint64_t size = 0;
  std::atomic<uint64_t>* bits = nullptr;
  std::mutex mu;                // guards `pages`
  std::vector<uint64_t> pages;  // every page ever protected (stale entries allowed)
};
Watch g_watch;

constexpr size_t kMaxWritten = 64;
thread_local uint64_t t_written[kMaxWritten];
thread_local uint32_t t_nwritten = 0;
thread_local bool t_overflow = false;
thread_local volatile uint32_t* t_notify = nullptr;
thread_local uint32_t t_notify_bit = 0;

bool test(uint64_t page) {
  return (g_watch.bits[page / 64].load(std::memory_order_acquire) >> (page % 64)) & 1;
}

// Async-signal-safe: thread-local stores and an atomic OR.
void note_written(uint64_t addr) {
  if (t_nwritten < kMaxWritten) t_written[t_nwritten++] = addr;
  else t_overflow = true;
  if (t_notify) __atomic_fetch_or(t_notify, t_notify_bit, __ATOMIC_SEQ_CST);
}

}  // namespace

void code_watch_enable(uint8_t* base, uint64_t size) {
  if (g_watch.bits) return;
  const uint64_t words = (size / kPage + 63) / 64;
  void* p = mmap(nullptr, words * 8, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return;  // no watching: self-modifying code needs IC IVAU then
  g_watch.base = base;
  g_watch.size = size;
  g_watch.bits = static_cast<std::atomic<uint64_t>*>(p);
}

bool code_watch_marked(uint64_t addr) {
  return g_watch.bits && addr < g_watch.size && test(addr / kPage);
}

void code_watch_protect(uint64_t addr) {
  if (!g_watch.bits || addr >= g_watch.size) return;
  const uint64_t page = addr / kPage;
  {
    std::lock_guard lock(g_watch.mu);
    g_watch.pages.push_back(page);
  }
  g_watch.bits[page / 64].fetch_or(uint64_t{1} << (page % 64), std::memory_order_acq_rel);
  mprotect(g_watch.base + page * kPage, kPage, PROT_READ);
}

void code_watch_forget(uint64_t addr, uint64_t len) {
  if (!g_watch.bits) return;
  for (uint64_t page = addr / kPage; page < (addr + len + kPage - 1) / kPage; ++page) {
    if (page / 64 >= (g_watch.size / kPage + 63) / 64) break;
    if (g_watch.bits[page / 64].load(std::memory_order_relaxed) == 0) {
      page |= 63;  // the whole word is clear
      continue;
    }
    g_watch.bits[page / 64].fetch_and(~(uint64_t{1} << (page % 64)), std::memory_order_acq_rel);
  }
}

uint64_t code_watch_release_all() {
  if (!g_watch.bits) return 0;
  std::vector<uint64_t> pages;
  {
    std::lock_guard lock(g_watch.mu);
    pages.swap(g_watch.pages);
  }
  uint64_t n = 0;
  for (uint64_t page : pages) {
    if (!test(page)) continue;
    mprotect(g_watch.base + page * kPage, kPage, PROT_READ | PROT_WRITE);
    note_written(page * kPage);
    ++n;
  }
  return n;
}

void code_watch_notify(volatile uint32_t* word, uint32_t bit) {
  t_notify = word;
  t_notify_bit = bit;
}

bool take_written_pages(std::vector<uint64_t>* pages) {
  for (uint32_t k = 0; k < t_nwritten; ++k) {
    const uint64_t page = t_written[k] / kPage;
    g_watch.bits[page / 64].fetch_and(~(uint64_t{1} << (page % 64)), std::memory_order_acq_rel);
    pages->push_back(t_written[k]);
  }
  t_nwritten = 0;
  if (!t_overflow) return true;
  // Too many to list: end the watch of every page (they are protected again when decoded).
  t_overflow = false;
  std::vector<uint64_t> all;
  {
    std::lock_guard lock(g_watch.mu);
    all.swap(g_watch.pages);
  }
  for (uint64_t page : all) {
    if (!test(page)) continue;
    mprotect(g_watch.base + page * kPage, kPage, PROT_READ | PROT_WRITE);
    g_watch.bits[page / 64].fetch_and(~(uint64_t{1} << (page % 64)), std::memory_order_acq_rel);
  }
  return false;
}

bool code_watch_on_write_fault(uintptr_t host_addr) {
  const auto base = reinterpret_cast<uintptr_t>(g_watch.base);
  if (!g_watch.bits || host_addr < base || host_addr - base >= g_watch.size) return false;
  const uint64_t addr = host_addr - base, page = addr / kPage;
  if (!test(page)) return false;
  // The bit stays set until the thread takes the page (take_written_pages): another thread
  // faulting on the same page meanwhile also finds it and retries.
  mprotect(g_watch.base + page * kPage, kPage, PROT_READ | PROT_WRITE);
  note_written(page * kPage);
  return true;
}

}  // namespace xvm::memory
