#include "engine/tiered.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "arch/arm64/lift/lifter.h"
#include "arch/arm64/system/system.h"
#include "base/u64_map.h"
#include "ir/opt.h"
#include "jit/code_cache.h"
#include "jit/x64/backend.h"
#include "memory/code_watch.h"
#include "memory/host_fault.h"

namespace xvm::engine {
namespace {

using arm64::Cpu;
using arm64::Stop;
using arm64::StopKind;

constexpr uint32_t kFastBits = 16;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// The return address of the last jit_data_abort call in this thread, for Tiered::run to map to
// the guest pc (translated code does not store cpu.pc before its loads and stores).
thread_local const void* t_abort_return = nullptr;

// Called from translated code for an access outside the arena.
void jit_data_abort(void* cpu, uint64_t addr, uint64_t write) {
  t_abort_return = __builtin_return_address(0);
  Stop s;
  s.kind = StopKind::DataAbort;
  s.addr = addr;
  s.write = write != 0;
  arm64::raise_stop(*static_cast<Cpu*>(cpu), s);
}

// --check: the stores of the translated block being checked, with the bytes they replaced.
struct LoggedStore {
  uint64_t addr;
  uint32_t bytes;
  uint8_t old[16];
  uint8_t now[16];
};
thread_local std::vector<LoggedStore>* t_store_log = nullptr;

void jit_log_store(void* cpu, uint64_t addr, uint64_t bytes) {
  if (!t_store_log) return;
  LoggedStore s{addr, uint32_t(bytes), {}, {}};
  std::memcpy(s.old, static_cast<Cpu*>(cpu)->mem_base + addr, bytes);
  t_store_log->push_back(s);
}

// Interpreter handlers whose effects on memory a --check run cannot undo (they are not logged):
// a block calling one of these is not co-simulated.
// Conditional branches whose not-taken side is the next instruction (traces go on past them).
bool ends_in_cond_branch(uint32_t insn) {
  const auto* e = arm64::decode(insn);
  if (!e) return false;
  const std::string_view n = e->name;
  return n == "B_cond" || n == "CBZ" || n == "CBNZ" || n == "TBZ" || n == "TBNZ";
}

// Bound on a trace's guest instructions (the lifter may stop earlier to bound its temps).
constexpr size_t kMaxTraceInsns = 64;

// System mode: translated code's TLB-miss paths (jit::x64::Stubs::sys_*).
static_assert(sizeof(arm64::sys::System::FastTlbEntry) == jit::x64::kSysTlbEntryBytes &&
              arm64::sys::System::kFastTlbBits == jit::x64::kSysTlbBits &&
              offsetof(arm64::sys::System::FastTlbEntry, write_tag) == 8 &&
              offsetof(arm64::sys::System::FastTlbEntry, addend) == 16);

const uint8_t* jit_sys_load(void* c, uint64_t va, uint64_t bytes) {
  Cpu& cpu = *static_cast<Cpu*>(c);
  if (const uint8_t* p = cpu.sys->ram_ptr(cpu, va, unsigned(bytes), false)) return p;
  // Device memory or two pages: a copy (at most an LDP of two Q registers).
  alignas(16) thread_local uint8_t copy[32];
  cpu.sys->read_bytes(cpu, va, copy, bytes);
  return copy;
}
void jit_sys_store(void* c, uint64_t va, uint64_t value, uint64_t bytes) {
  Cpu& cpu = *static_cast<Cpu*>(c);
  cpu.sys->store(cpu, va, unsigned(bytes), value);
}
void jit_sys_vstore(void* c, uint64_t va, uint64_t vreg, uint64_t bytes) {
  Cpu& cpu = *static_cast<Cpu*>(c);
  cpu.sys->write_bytes(cpu, va, &cpu.v[vreg & 31], bytes);
}
void jit_sys_check(void* c, uint64_t va, uint64_t bytes) {
  Cpu& cpu = *static_cast<Cpu*>(c);
  cpu.sys->probe(cpu, va, bytes & 0xff, (bytes >> 8) & 1);
}

// Guest code as the vCPU's MMU shows it at its current EL. The engine checks a block's page
// (fetch_page) before decoding it and blocks never cross a page, so these fetches succeed.
class SystemCode : public CodeSource {
 public:
  explicit SystemCode(Cpu& cpu) : cpu_(cpu) {}
  bool fetch(uint64_t addr, uint32_t* insn) const override {
    const arm64::Stop saved = cpu_.stop;
    const uint8_t* page = cpu_.sys->fetch_page(cpu_, addr);
    cpu_.stop = saved;
    if (!page) return false;
    std::memcpy(insn, page + (addr & 0xfff), 4);
    return true;
  }
  // Nothing to watch: code changes reach the engine through sys::CodeVersions.
  uint64_t code_changes_since(uint64_t seq,
                              std::vector<std::pair<uint64_t, uint64_t>>*) const override {
    return seq;
  }

 private:
  Cpu& cpu_;
};

bool may_write_memory(std::string_view name) {
  return name.starts_with("ST") || name.starts_with("LD") || name.starts_with("CAS") ||
         name.starts_with("SWP") || name == "SYS";
}

}  // namespace

JitStats& operator+=(JitStats& a, const JitStats& b) {
  a.blocks_translated += b.blocks_translated;
  a.insns_translated += b.insns_translated;
  a.insns_interp_call += b.insns_interp_call;
  a.host_bytes += b.host_bytes;
  a.translate_ns += b.translate_ns;
  a.insns_interpreted += b.insns_interpreted;
  a.jit_entries += b.jit_entries;
  a.links_patched += b.links_patched;
  a.cache_flushes += b.cache_flushes;
  a.code_flushes += b.code_flushes;
  a.invalidations += b.invalidations;
  a.blocks_invalidated += b.blocks_invalidated;
  a.exits += b.exits;
  a.exit_misses += b.exit_misses;
  a.indirect += b.indirect;
  a.indirect_hits += b.indirect_hits;
  a.check_blocks += b.check_blocks;
  a.check_mismatches += b.check_mismatches;
  return a;
}

JitStats jit_stats_of(const Tiered& t, const arm64::Cpu& cpu) {
  JitStats s = t.jit_stats();
  s.exits += cpu.jit_exits;
  s.exit_misses += cpu.jit_exit_misses;
  s.indirect += cpu.jit_indirect;
  s.indirect_hits += cpu.jit_indirect_hits;
  return s;
}

std::string jit_stats_json(const JitStats& s, uint64_t guest_insns) {
  const double n = s.insns_translated ? double(s.insns_translated) : 1.0;
  const auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  const uint64_t in_jit = guest_insns > s.insns_interpreted ? guest_insns - s.insns_interpreted : 0;
  char buf[1400];
  std::snprintf(
      buf, sizeof buf,
      "{\"blocks_translated\": %llu, \"instructions_translated\": %llu, "
      "\"instructions_through_interpreter_handler\": %llu, \"translate_ns_per_instruction\": %.1f, "
      "\"host_bytes_per_instruction\": %.1f, \"instructions_interpreted\": %llu, "
      "\"instructions_in_translated_code\": %llu, \"dispatcher_entries\": %llu, "
      "\"links_patched\": %llu, \"direct_exits\": %llu, \"direct_exits_linked\": %llu, "
      "\"indirect_branches\": %llu, \"indirect_hits\": %llu, \"indirect_hit_rate\": %.4f, "
      "\"cache_full_flushes\": %llu, \"code_flushes\": %llu, \"invalidations\": %llu, "
      "\"blocks_invalidated\": %llu}",
      u(s.blocks_translated), u(s.insns_translated), u(s.insns_interp_call),
      double(s.translate_ns) / n, double(s.host_bytes) / n, u(s.insns_interpreted), u(in_jit),
      u(s.jit_entries), u(s.links_patched), u(s.exits), u(s.exits - s.exit_misses),
      u(s.indirect), u(s.indirect_hits),
      s.indirect ? double(s.indirect_hits) / double(s.indirect) : 0.0, u(s.cache_flushes),
      u(s.code_flushes), u(s.invalidations), u(s.blocks_invalidated));
  return buf;
}

void print_jit_stats(const JitStats& s, std::FILE* out) {
  const double n = s.insns_translated ? double(s.insns_translated) : 1.0;
  std::fprintf(out,
               "xvm: jit: %llu blocks / %llu guest instructions translated (%.1f%% through the "
               "interpreter handler), %.0f ns and %.1f host bytes per guest instruction; "
               "%llu instructions interpreted while cold; %llu dispatcher entries, %llu links "
               "patched; %llu cache-full flushes, %llu code flushes, %llu code ranges "
               "invalidated (%llu blocks)",
               (unsigned long long)s.blocks_translated, (unsigned long long)s.insns_translated,
               100.0 * double(s.insns_interp_call) / n, double(s.translate_ns) / n,
               double(s.host_bytes) / n, (unsigned long long)s.insns_interpreted,
               (unsigned long long)s.jit_entries, (unsigned long long)s.links_patched,
               (unsigned long long)s.cache_flushes, (unsigned long long)s.code_flushes,
               (unsigned long long)s.invalidations, (unsigned long long)s.blocks_invalidated);
  if (s.exits || s.indirect)
    std::fprintf(out, "; %llu of %llu direct exits linked, %llu of %llu indirect branches found "
                 "in the table (%.1f%%)",
                 (unsigned long long)(s.exits - s.exit_misses), (unsigned long long)s.exits,
                 (unsigned long long)s.indirect_hits, (unsigned long long)s.indirect,
                 s.indirect ? 100.0 * double(s.indirect_hits) / double(s.indirect) : 0.0);
  if (s.check_blocks)
    std::fprintf(out, "; --check: %llu blocks compared, %llu mismatches",
                 (unsigned long long)s.check_blocks, (unsigned long long)s.check_mismatches);
  std::fprintf(out, "\n");
}

struct Tiered::Impl {
  explicit Impl(size_t bytes)
      : cache(bytes), table(jit::x64::kIndirectMask + 1), table_el0(jit::x64::kIndirectMask + 1) {}
  jit::CodeCache cache;
  jit::x64::Stubs stubs;
  // The indirect-branch table (user mode; system mode at EL1) and system mode's EL0 one;
  // cur_table is the one translated code runs with now.
  using Table = std::vector<jit::x64::IndirectEntry>;
  Table table, table_el0;
  Table* cur_table = &table;
  bool cur_global = true;  // system mode: the page being translated is global (not per ASID)
  // System mode: per table, which pages (by number mod the table size) may have entries,
  // whether any entry is for a non-global page, and the slots filled since the last clear
  // (so that clearing the EL0 table at each context switch costs what was used).
  struct TableState {
    std::vector<uint8_t> present = std::vector<uint8_t>(jit::x64::kIndirectMask + 1);
    std::vector<uint32_t> used;
    bool nonglobal = false;
  };
  TableState state, state_el0;
  TableState& state_of(const Table& t) { return &t == &table_el0 ? state_el0 : state; }
  void put(Table& t, uint64_t pc, const void* code, bool global) {
    const uint32_t slot = uint32_t(pc >> 2) & jit::x64::kIndirectMask;
    TableState& st = state_of(t);
    // (Past t.size() / 16 slots a clear fills the whole table: the list stops growing.)
    if (t[slot].pc == ~uint64_t{0} && st.used.size() <= t.size() / 16) st.used.push_back(slot);
    t[slot] = {pc, code};
    st.present[(pc >> 12) & jit::x64::kIndirectMask] = 1;
    if (!global) st.nonglobal = true;
  }
  // Empties table t (with `all`, every slot, not only those put() filled since the last time).
  void clear_table(Table& t, const void* exit, bool all = false) {
    TableState& st = state_of(t);
    if (!all && st.used.size() < t.size() / 16) {
      for (const uint32_t slot : st.used) t[slot] = {~uint64_t{0}, exit};
    } else {
      std::fill(t.begin(), t.end(), jit::x64::IndirectEntry{~uint64_t{0}, exit});
    }
    st.used.clear();
    std::fill(st.present.begin(), st.present.end(), 0);
    st.nonglobal = false;
  }
  void clear_tables(const void* exit, bool all = false) {
    clear_table(table, exit, all);
    clear_table(table_el0, exit, all);
  }
  // Drops the entries for guest page `page` (either form of a tagged address): the page's
  // 1024 consecutive slots.
  void clear_page(Table& t, uint64_t page, const void* exit) {
    if (!state_of(t).present[(page >> 12) & jit::x64::kIndirectMask]) return;
    const size_t first = (page >> 2) & jit::x64::kIndirectMask;
    for (size_t k = first; k < first + 1024; ++k)
      if (((t[k].pc ^ page) & 0x00ff'ffff'ffff'f000) == 0) t[k] = {~uint64_t{0}, exit};
  }
  // Direct exits by target pc, as lists threaded through one pool: those waiting for the
  // target's translation, and those patched to jump to it (undone by invalidate).
  struct LinkNode {
    uint8_t* site;
    int32_t next;
  };
  struct Links {
    int32_t pending = -1, linked = -1;
    const void* code = nullptr;  // the target's translation, when it has one
  };
  std::vector<LinkNode> link_nodes;
  U64Map<Links> links;
  // Guest pcs of the translated code's memory accesses (jit::x64::PcSite), in host address
  // order: blocks are placed one after another in the cache. Kept until the cache is flushed
  // (an invalidated block's code stays in place, unreachable, until then).
  std::vector<const uint8_t*> pc_host;
  std::vector<uint64_t> pc_guest;
  // The guest pc of the instruction whose translated code holds host address `rip`, if any.
  std::optional<uint64_t> guest_pc_at(uint64_t rip) const {
    const auto* at = reinterpret_cast<const uint8_t*>(rip);
    const auto it = std::upper_bound(pc_host.begin(), pc_host.end(), at);
    if (it == pc_host.begin() || at >= cache.cursor()) return std::nullopt;
    return pc_guest[size_t(it - pc_host.begin()) - 1];
  }
  void push(int32_t& head, uint8_t* site) {
    link_nodes.push_back({site, head});
    head = int32_t(link_nodes.size() - 1);
  }
  // Patches every site of list `from` to jump to `to` and moves the list onto `onto`.
  uint64_t move_all(int32_t& from, int32_t& onto, const void* to_code, bool unlink) {
    uint64_t n = 0;
    while (from >= 0) {
      LinkNode& node = link_nodes[size_t(from)];
      const int32_t next = node.next;
      jit::CodeCache::patch_jump(node.site, unlink ? node.site + 5 : to_code);
      node.next = onto;
      onto = from;
      from = next;
      ++n;
    }
    return n;
  }
  arm64::lift::LiftStats lift;
  ir::Block ir;  // scratch, reused between translations
  std::vector<uint32_t> insns;  // scratch: the guest instructions being translated
  std::vector<LoggedStore> store_log;
};

Tiered::Tiered(const CodeSource& code, const JitOptions& opts)
    : code_(code), opts_(opts), impl_(std::make_unique<Impl>(opts.cache_bytes)),
      fast_(1u << kFastBits, nullptr), code_seq_(code.code_change_seq()) {
  init();
}

Tiered::Tiered(Cpu& cpu, const JitOptions& opts)
    : own_code_(std::make_unique<SystemCode>(cpu)), code_(*own_code_), opts_(opts),
      impl_(std::make_unique<Impl>(opts.cache_bytes)), fast_(1u << kFastBits, nullptr) {
  opts_.system = true;
  opts_.check = false;
  init();
}

void Tiered::init() {
  memory::install_host_fault_handler();
  impl_->stubs.data_abort = &jit_data_abort;
  impl_->stubs.log_store = &jit_log_store;
  impl_->stubs.sys_load = &jit_sys_load;
  impl_->stubs.sys_store = &jit_sys_store;
  impl_->stubs.sys_vstore = &jit_sys_vstore;
  impl_->stubs.sys_check = &jit_sys_check;
  if (!impl_->cache.ok() || !jit::x64::emit_stubs(impl_->cache, &impl_->stubs)) {
    std::fprintf(stderr, "xvm: cannot set up the JIT code cache; interpreting only\n");
    impl_->stubs.enter = nullptr;
  }
  impl_->clear_tables(impl_->stubs.exit, true);
}


Tiered::~Tiered() = default;

void Tiered::flush() {
  blocks_.clear();
  std::fill(fast_.begin(), fast_.end(), nullptr);
  // An empty entry leads to the exit stub: a guest branch to its pc (~0) must not jump to 0.
  impl_->clear_tables(impl_->stubs.exit, true);
  impl_->links.clear();
  impl_->link_nodes.clear();
  impl_->pc_host.clear();
  impl_->pc_guest.clear();
  by_page_.clear();
  page_source_.clear();
  impl_->cache.reset(impl_->stubs.bytes);
  ++stats_.code_flushes;
}

void Tiered::invalidate(uint64_t start, uint64_t end) {
  if (start >= end) return;
  ++jit_.invalidations;
  const uint64_t first = start >> 12, last = (end - 1) >> 12;
  std::vector<uint64_t> pages;
  if (last - first < by_page_.size()) {
    for (uint64_t p = first; p <= last; ++p)
      if (by_page_.count(p)) pages.push_back(p);
  } else {
    for (const auto& [p, pcs] : by_page_)
      if (p >= first && p <= last) pages.push_back(p);
  }
  for (uint64_t p : pages) {
    for (uint64_t pc : by_page_[p]) {
      std::unique_ptr<Block>* found = blocks_.find(pc);
      if (!found) continue;
      Block* b = found->get();
      if (b->code) {
        for (auto* table : {&impl_->table, &impl_->table_el0}) {
          auto& entry = (*table)[(pc >> 2) & jit::x64::kIndirectMask];
          if (entry.pc == pc) entry = {~uint64_t{0}, impl_->stubs.exit};
        }
        // Exits linked to it fall through to the dispatcher again, and are linked anew when
        // the code is translated again. (The translation's bytes stay in the cache, unused,
        // until the next full flush.)
        if (Impl::Links* l = impl_->links.find(pc)) {
          impl_->move_all(l->linked, l->pending, nullptr, true);
          l->code = nullptr;
        }
      }
      Block*& slot = fast_[(pc >> 2) & ((1u << kFastBits) - 1)];
      if (slot == b) slot = nullptr;
      blocks_.erase(pc);
      ++jit_.blocks_invalidated;
    }
    by_page_.erase(p);
    page_source_.erase(p);
  }
}

void Tiered::apply_code_changes() {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  code_seq_ = code_.code_changes_since(code_seq_, &ranges);
  for (const auto& [start, end] : ranges) {
    if (start == 0 && end == ~uint64_t{0}) {
      flush();
      ++jit_.code_flushes;
      return;
    }
  }
  for (const auto& [start, end] : ranges) invalidate(start, end);
}

Tiered::Block* Tiered::decode_block(uint64_t pc) {
  DecodedBlock d = engine::decode_block(code_, pc, opts_.system);
  auto b = std::make_unique<Block>();
  b->pc = pc;
  b->host_page = decoding_.host_page;
  b->version = decoding_.version;
  b->ends = d.ends;
  b->lift_count = d.table_ops;
  b->ops = std::move(d.ops);
  b->count = static_cast<uint32_t>(b->ops.size());
  b->no_translate = b->lift_count == 0 || !impl_->stubs.enter;
  ++stats_.blocks_decoded;
  stats_.insns_decoded += b->count;
  Block* raw = b.get();
  blocks_[pc] = std::move(b);
  by_page_[pc >> 12].push_back(pc);
  return raw;
}

Tiered::Block* Tiered::lookup(uint64_t pc) {
  Block*& slot = fast_[(pc >> 2) & ((1u << kFastBits) - 1)];
  if (slot && slot->pc == pc) [[likely]]
    return slot;
  std::unique_ptr<Block>* found = blocks_.find(pc);
  slot = found ? found->get() : decode_block(pc);
  return slot;
}

bool Tiered::translate(Block* b, bool* flushed) {
  *flushed = false;
  const uint64_t t0 = opts_.count_insns ? now_ns() : 0;  // timed under --stats only
  std::vector<uint32_t>& insns = impl_->insns;
  insns.clear();
  for (uint32_t i = 0; i < b->lift_count; ++i) insns.push_back(b->ops[i].insn);
  // A trace: while a block ends in a conditional branch, go on with the block after it (its
  // not-taken side) on the same page; the branches become side exits (not in --check mode,
  // which compares one block at a time with the interpreter).
  static const bool notrace = getenv("XVM_JIT_NOTRACE") != nullptr;
  const bool trace = !opts_.check && !notrace;
  for (Block* at = b; trace && insns.size() < kMaxTraceInsns;) {
    if (at->lift_count != at->count || at->count == 0 || !ends_in_cond_branch(at->ops.back().insn))
      break;
    const uint64_t next = at->pc + 4 * uint64_t{at->count};
    if ((next >> 12) != (b->pc >> 12)) break;
    at = lookup(next);
    if (at->count + insns.size() > kMaxTraceInsns) break;
    for (uint32_t i = 0; i < at->lift_count; ++i) insns.push_back(at->ops[i].insn);
    if (at->lift_count != at->count) break;
  }
  ir::Block& irb = impl_->ir;
  arm64::lift::lift_block(b->pc, insns, irb, impl_->lift, trace, opts_.system);
  if (irb.guest_insns == 0) {
    b->no_translate = true;
    return false;
  }
  ir::optimize(irb);
  static const bool verify_env = getenv("XVM_JIT_VERIFY") != nullptr;
  if (const std::string err = opts_.verify_ir || opts_.check || verify_env ? ir::verify(irb) : "";
      !err.empty()) {
    std::fprintf(stderr, "xvm: jit: IR of block 0x%llx does not verify: %s\n%s",
                 static_cast<unsigned long long>(b->pc), err.c_str(), ir::print(irb).c_str());
    b->no_translate = true;
    return false;
  }
  jit::x64::Emitted out;
  std::string error;
  // XVM_JIT_LOG=FILE (a debugging aid): each block's optimised IR and host code.
  static std::FILE* listing = [] {
    const char* path = getenv("XVM_JIT_LOG");
    return path ? std::fopen(path, "w") : nullptr;
  }();
  if (listing)
    std::fprintf(listing, "== block 0x%llx at host %p\n%s",
                 static_cast<unsigned long long>(b->pc), static_cast<void*>(impl_->cache.cursor()),
                 ir::print(irb).c_str());
  const jit::x64::EmitOptions eo{.log_stores = opts_.check,
                                 .count_insns = opts_.count_insns,
                                 .system = opts_.system,
                                 .listing = listing};
  auto r = jit::x64::emit_block(irb, impl_->cache, impl_->stubs, eo, &out, &error);
  if (r == jit::x64::EmitResult::CacheFull) {
    // Flush everything and let the block be decoded and counted again: simple, and the
    // common case (hot code) is translated again quickly.
    flush();
    ++jit_.cache_flushes;
    *flushed = true;
    return false;
  }
  if (r != jit::x64::EmitResult::Ok) {
    std::fprintf(stderr, "xvm: jit: block 0x%llx: %s\n", static_cast<unsigned long long>(b->pc),
                 error.c_str());
    b->no_translate = true;
    return false;
  }
  b->code = out.code;
  for (const auto& s : out.pc_sites) {
    impl_->pc_host.push_back(static_cast<const uint8_t*>(out.code) + s.offset);
    impl_->pc_guest.push_back(s.pc);
  }
  ++jit_.blocks_translated;
  jit_.insns_translated += irb.guest_insns;
  jit_.insns_interp_call += irb.interp_calls;
  jit_.host_bytes += out.bytes;
  // Block linking (not in --check mode, where every block must come back to be compared).
  static const bool nolink = getenv("XVM_JIT_NOLINK") != nullptr;
  if (!opts_.check && !nolink) {
    impl_->put(*impl_->cur_table, b->pc, b->code, impl_->cur_global);
    {
      Impl::Links& self = impl_->links[b->pc];
      self.code = b->code;
      jit_.links_patched += impl_->move_all(self.pending, self.linked, b->code, false);
    }
    for (const auto& l : out.links) {
      Impl::Links& in = impl_->links[l.target];
      if (in.code) {
        jit::CodeCache::patch_jump(l.site, in.code);
        impl_->push(in.linked, l.site);
        ++jit_.links_patched;
      } else {
        impl_->push(in.pending, l.site);
      }
    }
  }
  if (opts_.count_insns) jit_.translate_ns += now_ns() - t0;
  return true;
}

void Tiered::interpret(Cpu& cpu, Block* b) {
  const uint64_t base = b->pc;
  const Op* op = b->ops.data();
  for (uint32_t i = 0, n = b->count; i < n; ++i) {
    cpu.pc = base + 4 * i;
    op[i].fn(cpu, op[i].insn);
  }
  cpu.icount += b->count;
  jit_.insns_interpreted += b->count;
  if (!b->ends) cpu.pc = base + 4 * b->count;
}

// --check: runs the translation, undoes its stores, runs the interpreter from the same state
// and compares. Execution goes on from the interpreter's result (the reference).
void Tiered::run_translated(Cpu& cpu, Block* b) {
  ++jit_.jit_entries;
  if (!opts_.check) {
    impl_->stubs.enter(&cpu, b->code, impl_->table.data());
    jit::x64::normalize_nzcv(cpu.nzcv);
    return;
  }
  for (const Op& op : b->ops) {
    const auto* e = arm64::decode(op.insn);
    if (e && !arm64::lift::lifter_for(e) && may_write_memory(e->name)) {
      interpret(cpu, b);
      return;
    }
  }
  const Cpu before = cpu;
  auto& log = impl_->store_log;
  log.clear();
  t_store_log = &log;
  impl_->stubs.enter(&cpu, b->code, impl_->table.data());  // a guest fault leaves via longjmp
  jit::x64::normalize_nzcv(cpu.nzcv);
  t_store_log = nullptr;
  for (auto& s : log) std::memcpy(s.now, cpu.mem_base + s.addr, s.bytes);
  for (size_t k = log.size(); k-- > 0;) std::memcpy(cpu.mem_base + log[k].addr, log[k].old, log[k].bytes);
  const Cpu jit = cpu;
  std::memcpy(static_cast<void*>(&cpu), &before, sizeof cpu);
  cpu.icount = jit.icount;
  interpret(cpu, b);
  ++jit_.check_blocks;
  char what[200] = {};
  for (unsigned r = 0; r < 32 && !what[0]; ++r)
    if (jit.x[r] != cpu.x[r])
      std::snprintf(what, sizeof what, "x%u: jit 0x%llx, interpreter 0x%llx", r,
                    (unsigned long long)jit.x[r], (unsigned long long)cpu.x[r]);
  if (!what[0] && jit.nzcv != cpu.nzcv)
    std::snprintf(what, sizeof what, "nzcv: jit 0x%x, interpreter 0x%x", jit.nzcv, cpu.nzcv);
  if (!what[0] && jit.pc != cpu.pc)
    std::snprintf(what, sizeof what, "pc: jit 0x%llx, interpreter 0x%llx",
                  (unsigned long long)jit.pc, (unsigned long long)cpu.pc);
  if (!what[0] && jit.stop.kind != cpu.stop.kind)
    std::snprintf(what, sizeof what, "stop kind: jit %d, interpreter %d", int(jit.stop.kind),
                  int(cpu.stop.kind));
  for (const auto& s : log) {
    if (what[0]) break;
    if (std::memcmp(s.now, cpu.mem_base + s.addr, s.bytes) != 0)
      std::snprintf(what, sizeof what, "memory at 0x%llx (%u bytes)",
                    (unsigned long long)s.addr, s.bytes);
  }
  if (what[0]) {
    ++jit_.check_mismatches;
    std::vector<uint32_t> insns(b->lift_count);
    for (uint32_t i = 0; i < b->lift_count; ++i) insns[i] = b->ops[i].insn;
    ir::Block irb;
    arm64::lift::LiftStats ls;
    arm64::lift::lift_block(b->pc, insns, irb, ls);
    std::fprintf(stderr, "xvm: --check: block 0x%llx differs: %s\n%s",
                 (unsigned long long)b->pc, what, ir::print(irb).c_str());
  }
}

Stop Tiered::run(Cpu& cpu) {
  if (opts_.system) return run_system(cpu);
  sigjmp_buf unwind;
  memory::HostFault fault;
  memory::FaultScope scope(cpu.mem_base, cpu.mem_size, &unwind, &fault);
  cpu.stop = Stop{};
  cpu.unwind = &unwind;
  const int how = sigsetjmp(unwind, 0);
  if (how == 2) {  // host fault inside the arena
    // In translated code the fault's host address gives the guest pc; elsewhere (interpreter,
    // helpers) cpu.pc is already that of the faulting instruction.
    if (const auto pc = impl_->guest_pc_at(fault.host_pc)) cpu.pc = *pc;
    cpu.stop = Stop{};
    cpu.stop.kind = StopKind::DataAbort;
    cpu.stop.addr = fault.guest_addr;
    cpu.stop.write = fault.write;
  }
  if (how != 0) {
    if (t_abort_return) {
      if (const auto pc = impl_->guest_pc_at(reinterpret_cast<uint64_t>(t_abort_return)))
        cpu.pc = *pc;
      t_abort_return = nullptr;
    }
    jit::x64::normalize_nzcv(cpu.nzcv);
    t_store_log = nullptr;
    cpu.unwind = nullptr;
    return cpu.stop;
  }
  memory::code_watch_notify(&cpu.pending, arm64::kPendingCodeWritten);
  for (;;) {
    if (cpu.pending) [[unlikely]] {
      const uint32_t p = take_requests(cpu, code_);
      if (p & kPendingCodeChange) apply_code_changes();
      if (p & arm64::kPendingInterrupt) {
        cpu.stop.kind = StopKind::Interrupt;
        break;
      }
    }
    Block* b = lookup(cpu.pc);
    if (!b->code && !b->no_translate && ++b->hits > opts_.threshold) {
      bool flushed;
      translate(b, &flushed);
      if (flushed) continue;
    }
    if (b->code) {
      static const bool noind = getenv("XVM_JIT_NOIND") != nullptr;
      if (!opts_.check && !noind) impl_->put(impl_->table, b->pc, b->code, true);
      run_translated(cpu, b);
    } else {
      interpret(cpu, b);
    }
    if (cpu.stop.kind != StopKind::None) break;
  }
  cpu.unwind = nullptr;
  return cpu.stop;
}

// System mode: as run(), with every entry from the dispatcher checked against the MMU (the
// page pc maps to now, its code version) and the tables emptied when the translation regime or
// guest code changed. Leaves on a stop or a pending interrupt request (the machine's ticker
// raises one periodically, so a guest loop in translated code still lets timers fire).
Stop Tiered::run_system(Cpu& cpu) {
  sigjmp_buf unwind;
  cpu.stop = Stop{};
  cpu.unwind = &unwind;
  if (sigsetjmp(unwind, 0) != 0) {  // a guest exception raised by a handler or a TLB miss
    jit::x64::normalize_nzcv(cpu.nzcv);
    cpu.unwind = nullptr;
    return cpu.stop;
  }
  arm64::sys::System& sys = *cpu.sys;
  arm64::sys::CodeVersions* versions = sys.code_versions();
  sys.apply_remote_flushes();  // other vCPUs' TLBI …IS since the last slice
  for (;;) {
    if (cpu.pending & arm64::kPendingInterrupt) [[unlikely]] {
      cpu.stop.kind = StopKind::Interrupt;
      break;
    }
    // Cross-page exits and indirect branches found through the tables assume the mappings
    // and the code they were entered with.
    const uint64_t epoch = versions ? versions->epoch() : 0;
    if (sys.full_flushes() != seen_full_ || epoch != seen_epoch_) [[unlikely]] {
      if (versions && versions->all_generation() != seen_all_) {
        seen_all_ = versions->all_generation();
        flush();
        ++jit_.code_flushes;
      }
      impl_->clear_tables(impl_->stubs.exit);
      seen_full_ = sys.full_flushes();
      seen_epoch_ = epoch;
      seen_asid_ = sys.asid_changes();
      seen_pages_ = sys.page_flushes();
    }
    if (sys.asid_changes() != seen_asid_) [[unlikely]] {
      // Entries for global pages (the kernel's) stay valid across address spaces.
      impl_->clear_table(impl_->table_el0, impl_->stubs.exit);
      if (impl_->state.nonglobal) impl_->clear_table(impl_->table, impl_->stubs.exit);
      seen_asid_ = sys.asid_changes();
    }
    if (const uint64_t n = sys.page_flushes(); n != seen_pages_) [[unlikely]] {
      if (n - seen_pages_ > arm64::sys::System::kFlushedPagesKept) {
        impl_->clear_tables(impl_->stubs.exit);
      } else {
        for (uint64_t k = seen_pages_ + 1; k <= n; ++k)
          for (auto* t : {&impl_->table, &impl_->table_el0})
            impl_->clear_page(*t, sys.flushed_page(k), impl_->stubs.exit);
      }
      seen_pages_ = n;
    }
    const uint64_t pc = cpu.pc;
    if (pc & 3) [[unlikely]] {
      cpu.stop.kind = StopKind::PcAlignment;
      break;
    }
    Impl::Table& table = sys.state.el == 0 ? impl_->table_el0 : impl_->table;
    const auto enter = [&](const void* code) {
      cpu.jit_tlb = sys.fast_tlb(sys.state.el);
      ++jit_.jit_entries;
      impl_->stubs.enter_system(&cpu, code, table.data());
      jit::x64::normalize_nzcv(cpu.nzcv);
    };
    if (const jit::x64::IndirectEntry& e = table[(pc >> 2) & jit::x64::kIndirectMask];
        e.pc == pc) {
      // Checked when it was put there, and still valid (the changes above drop entries): what
      // translated code would have jumped to.
      enter(e.code);
      if (cpu.stop.kind != StopKind::None) break;
      continue;
    }
    const uint8_t* page = sys.fetch_page(cpu, pc);
    if (!page) break;  // cpu.stop: the instruction abort
    uint32_t version = versions ? versions->version(page) : 0;
    Block* b = nullptr;
    if (Block*& slot = fast_[(pc >> 2) & ((1u << kFastBits) - 1)]; slot && slot->pc == pc) {
      b = slot;
    } else if (std::unique_ptr<Block>* found = blocks_.find(pc)) {
      b = found->get();
      slot = b;
    }
    if (b && (b->host_page != page || b->version != version)) [[unlikely]] {
      // The page maps elsewhere now, or its code changed: its blocks go.
      invalidate(pc & ~uint64_t{0xfff}, (pc & ~uint64_t{0xfff}) + 0x1000);
      b = nullptr;
    }
    if (!b) {
      if (versions) {  // (the version read after the note: an IC IVAU in between is seen)
        versions->note_decoded(page);
        version = versions->version(page);
      }
      const uint64_t vpage = pc >> 12;
      if (const auto it = page_source_.find(vpage);
          it != page_source_.end() &&
          (it->second.host_page != page || it->second.version != version))
        invalidate(vpage << 12, (vpage << 12) + 0x1000);
      page_source_[vpage] = decoding_ = {page, version};
      b = lookup(pc);
    }
    impl_->cur_table = sys.state.el == 0 ? &impl_->table_el0 : &impl_->table;
    impl_->cur_global = sys.fetched_global();
    if (!b->code && !b->no_translate && ++b->hits > opts_.threshold) {
      bool flushed;
      translate(b, &flushed);
      if (flushed) continue;
    }
    if (b->code) {
      impl_->put(table, pc, b->code, impl_->cur_global);
      enter(b->code);
    } else {
      interpret(cpu, b);
    }
    if (cpu.stop.kind != StopKind::None) break;
  }
  cpu.unwind = nullptr;
  return cpu.stop;
}

}  // namespace xvm::engine
