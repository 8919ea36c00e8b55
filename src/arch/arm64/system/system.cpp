// System-mode memory access: the soft TLB, translation of loads, stores and fetches, device
// accesses through the PhysBus, and the data/instruction aborts they raise.
#include "arch/arm64/system/system.h"

#include <algorithm>
#include <cstring>

namespace xvm::arm64::sys {
namespace {

constexpr uint64_t kPage = 4096;

class BusReader : public DescriptorReader {
 public:
  explicit BusReader(PhysBus& bus) : bus_(bus) {}
  bool read_descriptor(uint64_t pa, uint64_t* out) override {
    const uint8_t* p = bus_.ram(pa, 8);
    if (!p) return false;
    std::memcpy(out, p, 8);
    return true;
  }

 private:
  PhysBus& bus_;
};

// Fixed-size copies (a variable-size memcpy is a library call; these are one move each).
uint64_t read_le(const uint8_t* p, unsigned size) {
  switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; std::memcpy(&v, p, 4); return v; }
    default: { uint64_t v; std::memcpy(&v, p, 8); return v; }
  }
}
void write_le(uint8_t* p, unsigned size, uint64_t v) {
  switch (size) {
    case 1: *p = uint8_t(v); break;
    case 2: { const uint16_t x = uint16_t(v); std::memcpy(p, &x, 2); break; }
    case 4: { const uint32_t x = uint32_t(v); std::memcpy(p, &x, 4); break; }
    default: std::memcpy(p, &v, 8); break;
  }
}


}  // namespace

TranslationRegs System::translation_regs() const {
  TranslationRegs r;
  r.sctlr = state.sctlr_el1;
  r.tcr = state.tcr_el1;
  r.ttbr0 = state.ttbr0_el1;
  r.ttbr1 = state.ttbr1_el1;
  r.pa_bits = 40;  // ID_AA64MMFR0_EL1.PARange = 2
  return r;
}

// TCR_EL1.A1 picks the TTBR whose ASID field is current; TCR_EL1.AS gives its width.
uint16_t System::compute_asid() const {
  const uint64_t t = (state.tcr_el1 >> 22) & 1 ? state.ttbr1_el1 : state.ttbr0_el1;
  return uint16_t((state.tcr_el1 >> 36) & 1 ? t >> 48 : (t >> 48) & 0xff);
}

void System::flush_tlb() {
  for (TlbEntry& e : tlb_) e.tag = ~uint64_t{0};
  tagged_ = false;
  ++generation_;
  ++full_flushes_;
  flush_fast_tlb();
}

void System::flush_fast_tlb() {
  for (auto& table : fast_tlb_)
    for (FastTlbEntry& f : table) f = {~uint64_t{0}, ~uint64_t{0}, 0, 0};
  fast_nonglobal_[0] = fast_nonglobal_[1] = false;
}

void System::flush_fast_tlb_nonglobal() {
  for (unsigned el = 0; el < 2; ++el) {
    if (!fast_nonglobal_[el]) continue;
    for (FastTlbEntry& f : fast_tlb_[el])
      if (!f.global) f = {~uint64_t{0}, ~uint64_t{0}, 0, 0};
    fast_nonglobal_[el] = false;
  }
}

void System::fill_fast_tlb(uint64_t va, const TlbEntry& e) {
  if (!e.host) return;  // device memory: always the slow path
  const uint64_t page = va & ~(kPage - 1);
  FastTlbEntry& f = fast_tlb_[state.el & 1][(va >> 12) & (kFastTlbEntries - 1)];
  f.read_tag = (e.perms & required_perm(Access::Read, state.el)) ? page : ~uint64_t{0};
  f.write_tag = (e.perms & required_perm(Access::Write, state.el)) ? page : ~uint64_t{0};
  f.addend = reinterpret_cast<uint64_t>(e.host) - page;
  f.global = e.global;
  if (!e.global) fast_nonglobal_[state.el & 1] = true;
}

void System::flush_tlb_page(uint64_t va) {
  // Entries are tagged by the full virtual page number; a tagged (TBI) alias of the page may
  // sit in another slot, so look at both the address as given and with the top byte cleared
  // or set as bit 55 says.
  const uint64_t top = (va >> 55) & 1 ? 0xff00'0000'0000'0000 : 0;
  for (const uint64_t v : {va, (va & 0x00ff'ffff'ffff'ffff) | top}) {
    TlbEntry& e = tlb_[(v >> 12) & ((1u << kTlbBits) - 1)];
    if (e.tag == v >> 12) e.tag = ~uint64_t{0};
    for (auto& table : fast_tlb_) {
      FastTlbEntry& f = table[(v >> 12) & (kFastTlbEntries - 1)];
      if (f.read_tag == (v & ~(kPage - 1)) || f.write_tag == (v & ~(kPage - 1)))
        f = {~uint64_t{0}, ~uint64_t{0}, 0, 0};
    }
  }
  if (tagged_) {
    // Entries of other tags (TBI: any top byte) for the page: look at every entry.
    const auto same_page = [va](uint64_t page_va) {
      return ((page_va ^ va) & 0x00ff'ffff'ffff'f000) == 0;
    };
    for (TlbEntry& e : tlb_)
      if (e.tag != ~uint64_t{0} && same_page(e.tag << 12)) e.tag = ~uint64_t{0};
    for (auto& table : fast_tlb_)
      for (FastTlbEntry& f : table)
        if ((f.read_tag != ~uint64_t{0} && same_page(f.read_tag)) ||
            (f.write_tag != ~uint64_t{0} && same_page(f.write_tag)))
          f = {~uint64_t{0}, ~uint64_t{0}, 0, 0};
  }
  ++generation_;
  flushed_pages_[page_flushes_++ % kFlushedPagesKept] = va & ~(kPage - 1);
}

WalkResult System::walk_va(uint64_t va) {
  BusReader reader(bus_);
  return walk(translation_regs(), va, reader);
}

void System::apply_remote_flushes() {
  if (const uint64_t r = remote_flushes_.load(std::memory_order_acquire); r != remote_seen_) {
    remote_seen_ = r;
    flush_tlb();
  }
}

const System::TlbEntry* System::entry(uint64_t va, Fault* fault) {
  const uint64_t vpn = va >> 12;
  TlbEntry& e = tlb_[vpn & ((1u << kTlbBits) - 1)];
  if (e.tag == vpn && (e.global || e.asid == current_asid())) [[likely]]
    return &e;
  ++tlb_misses_;
  const WalkResult w = walk_va(va);
  if (w.fault) {
    *fault = w.fault;
    return nullptr;
  }
  e.tag = vpn;
  if (const uint64_t top = va >> 56; top != 0 && top != 0xff) tagged_ = true;
  e.pa_page = w.pa & ~(kPage - 1);
  e.host = bus_.ram(e.pa_page, kPage);
  e.asid = w.asid;
  e.global = w.global || w.mmu_off;
  e.perms = w.perms;
  e.level = w.level;
  return &e;
}

void System::data_abort(Cpu& cpu, uint64_t va, bool write, Fault f) {
  Stop s;
  s.kind = StopKind::DataAbort;
  s.addr = va;
  s.write = write;
  s.fault_status = uint8_t(f.status());
  raise_stop(cpu, s);
}

uint8_t* System::translate(Cpu& cpu, uint64_t va, Access access, uint64_t* pa) {
  Fault f;
  const TlbEntry* e = entry(va, &f);
  if (!e) data_abort(cpu, va, access == Access::Write, f);
  if (!(e->perms & required_perm(access, state.el)))
    data_abort(cpu, va, access == Access::Write, {FaultKind::Permission, e->level});
  *pa = e->pa_page | (va & (kPage - 1));
  fill_fast_tlb(va, *e);
  return e->host ? e->host + (va & (kPage - 1)) : nullptr;
}

uint8_t* System::host_ptr(Cpu& cpu, uint64_t va, uint64_t n, bool write) {
  const Access a = write ? Access::Write : Access::Read;
  uint64_t pa;
  uint8_t* p = translate(cpu, va, a, &pa);
  if (!p) data_abort(cpu, va, write, {FaultKind::External, 0});  // device memory
  const uint64_t first = kPage - (va & (kPage - 1));
  if (n > first) {
    uint64_t pa2;
    uint8_t* p2 = translate(cpu, va + first, a, &pa2);
    // Callers that may cross a page use read_bytes/write_bytes; the rest (exclusives, atomics)
    // are aligned. Two RAM pages that are contiguous on the host are still one range.
    if (p2 != p + first) data_abort(cpu, va + first, write, {FaultKind::External, 0});
  }
  return p;
}

uint64_t System::load(Cpu& cpu, uint64_t va, unsigned size) {
  if (const uint8_t* p = fast_lookup(va, size, false)) [[likely]]
    return read_le(p, size);
  uint64_t v = 0;
  if ((va & (kPage - 1)) + size > kPage) [[unlikely]] {
    read_bytes(cpu, va, &v, size);
    return v;
  }
  uint64_t pa;
  if (const uint8_t* p = translate(cpu, va, Access::Read, &pa)) [[likely]]
    return read_le(p, size);
  if (!bus_.mmio_read(pa, size, &v)) data_abort(cpu, va, false, {FaultKind::External, 0});
  return v;
}

void System::store(Cpu& cpu, uint64_t va, unsigned size, uint64_t value) {
  if (uint8_t* p = fast_lookup(va, size, true)) [[likely]] {
    write_le(p, size, value);
    return;
  }
  if ((va & (kPage - 1)) + size > kPage) [[unlikely]] {
    write_bytes(cpu, va, &value, size);
    return;
  }
  uint64_t pa;
  if (uint8_t* p = translate(cpu, va, Access::Write, &pa)) [[likely]] {
    write_le(p, size, value);
    return;
  }
  if (!bus_.mmio_write(pa, size, value)) data_abort(cpu, va, true, {FaultKind::External, 0});
}

// Device memory in read_bytes/write_bytes (a pair or vector access to MMIO): split into
// naturally aligned accesses of up to 8 bytes.
void System::read_bytes(Cpu& cpu, uint64_t va, void* dst, uint64_t n) {
  auto* out = static_cast<uint8_t*>(dst);
  // The common case, a pair (LDP) inside one RAM page: one fixed-size copy.
  if (n == 16 && (va & (kPage - 1)) <= kPage - 16) {
    uint64_t pa;
    if (const uint8_t* p = translate(cpu, va, Access::Read, &pa)) [[likely]] {
      std::memcpy(out, p, 16);
      return;
    }
  }
  while (n) {
    const uint64_t chunk = std::min<uint64_t>(n, kPage - (va & (kPage - 1)));
    uint64_t pa;
    if (const uint8_t* p = translate(cpu, va, Access::Read, &pa)) {
      std::memcpy(out, p, chunk);
    } else {
      for (uint64_t i = 0; i < chunk;) {
        unsigned size = 8;
        while (size > 1 && (((pa + i) & (size - 1)) || i + size > chunk)) size >>= 1;
        uint64_t v;
        if (!bus_.mmio_read(pa + i, size, &v)) data_abort(cpu, va + i, false, {FaultKind::External, 0});
        std::memcpy(out + i, &v, size);
        i += size;
      }
    }
    va += chunk;
    out += chunk;
    n -= chunk;
  }
}

void System::write_bytes(Cpu& cpu, uint64_t va, const void* src, uint64_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  // The common case, a pair (STP) inside one RAM page: one fixed-size copy.
  if (n == 16 && (va & (kPage - 1)) <= kPage - 16) {
    uint64_t pa;
    if (uint8_t* p = translate(cpu, va, Access::Write, &pa)) [[likely]] {
      std::memcpy(p, in, 16);
      return;
    }
  }
  // Every page is translated for write before any byte is written: a store that faults on its
  // second page writes nothing (as in user mode, interp store_ptr). A fault there reports the
  // first byte of the part that faulted: the page boundary.
  uint64_t pa_next;
  if (n > 1 && ((va ^ (va + n - 1)) >> 12))
    translate(cpu, (va | (kPage - 1)) + 1, Access::Write, &pa_next);
  while (n) {
    const uint64_t chunk = std::min<uint64_t>(n, kPage - (va & (kPage - 1)));
    uint64_t pa;
    if (uint8_t* p = translate(cpu, va, Access::Write, &pa)) {
      std::memcpy(p, in, chunk);
    } else {
      for (uint64_t i = 0; i < chunk;) {
        unsigned size = 8;
        while (size > 1 && (((pa + i) & (size - 1)) || i + size > chunk)) size >>= 1;
        uint64_t v = 0;
        std::memcpy(&v, in + i, size);
        if (!bus_.mmio_write(pa + i, size, v)) data_abort(cpu, va + i, true, {FaultKind::External, 0});
        i += size;
      }
    }
    va += chunk;
    in += chunk;
    n -= chunk;
  }
}

void System::probe(Cpu& cpu, uint64_t va, uint64_t n, bool write) {
  if (n == 0 || !((va ^ (va + n - 1)) >> 12)) return;
  uint64_t pa;
  const uint64_t next = (va | (kPage - 1)) + 1;
  const Access a = write ? Access::Write : Access::Read;
  if (write) {
    translate(cpu, next, a, &pa);
    translate(cpu, va, a, &pa);
  } else {
    translate(cpu, va, a, &pa);
    translate(cpu, next, a, &pa);
  }
}

void System::invalidate_code(uint64_t va) {
  if (!code_versions_) return;
  Fault f;
  if (const TlbEntry* e = entry(va, &f); e && e->host) code_versions_->bump(e->host);
}

const uint8_t* System::fetch_page(Cpu& cpu, uint64_t va) {
  Fault f;
  const TlbEntry* e = entry(va, &f);
  if (e && !(e->perms & required_perm(Access::Fetch, state.el))) f = {FaultKind::Permission, e->level};
  else if (e && !e->host) f = {FaultKind::External, 0};  // execution from device memory
  if (f) {
    cpu.stop = Stop{};
    cpu.stop.kind = StopKind::InsnAbort;
    cpu.stop.addr = va;
    cpu.stop.fault_status = uint8_t(f.status());
    return nullptr;
  }
  fetched_global_ = e->global;
  return e->host;
}

}  // namespace xvm::arm64::sys
