// Write-watching guest pages that translated or decoded code came from (self-modifying code).
//
// A page the guest may write and execute (PROT_WRITE|PROT_EXEC) whose code an engine decoded is
// made read-only on the host. The guest's next store there faults; the host fault handler
// (host_fault.cpp, async-signal-safe) makes the page writable again, notes it in the faulting
// thread's list and raises that thread's notify bit, and the store is retried. The thread's
// engine then takes the list (take_written_pages) and drops the code of those pages in every
// thread. Pages that are never writable (ordinary program text) are never protected.
#pragma once
#include <cstdint>
#include <vector>

namespace xvm::memory {

// Turns watching on for the arena at host `base` of `size` bytes (one per process).
void code_watch_enable(uint8_t* base, uint64_t size);
// True when the page holding guest address `addr` is watched (protected, or written since and
// not yet taken by take_written_pages).
bool code_watch_marked(uint64_t addr);
// Marks the page holding `addr` watched and makes it read-only on the host; the caller has
// checked that the guest mapping is writable and executable.
void code_watch_protect(uint64_t addr);
// Ends the watch of [addr, addr + len) without a write (the mapping was replaced or
// re-protected: the caller sets the host protection itself).
void code_watch_forget(uint64_t addr, uint64_t len);
// Makes every watched page writable again (a host syscall is about to write guest memory or
// failed with EFAULT on it), noting them as written. Returns how many there were.
uint64_t code_watch_release_all();

// The word and bit the host fault handler raises on this thread when it lets a write through.
void code_watch_notify(volatile uint32_t* word, uint32_t bit);
// Guest page addresses written on this thread since the last call; the watch of each ends
// (a later decode protects it again). Returns false when there were too many to list (treat
// as "anything may have changed").
bool take_written_pages(std::vector<uint64_t>* pages);

// For the host fault handler: a write fault at host address `host_addr`. True when it was a
// watched page, now writable again (retry the access).
bool code_watch_on_write_fault(uintptr_t host_addr);

}  // namespace xvm::memory
