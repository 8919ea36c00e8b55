// Fuzz target for the AArch64 ELF loader (linux/elf_loader.h): the ELF file is the first thing
// a hostile guest controls (docs/threat-model.md), so no input may crash the loader, and what it
// accepts must be loaded consistently.
//
// LLVMFuzzerTestOneInput loads one input into a fresh 4 GiB arena and checks:
//   accepted => it is an AArch64 ELF, elf_load_span() agrees with [lowest, highest), the entry
//               and AT_PHDR lie inside that span, every PT_LOAD is mapped with at least its
//               p_flags, its file bytes are in memory and the rest of p_memsz reads zero, and
//               nothing is mapped outside the span;
//   refused  => a non-empty message, nothing mapped, and elf_load_span() refuses it with the
//               same message unless the rule depends on the arena (placement, entry).
// Any violation aborts, which is what libFuzzer and the driver below look for.
//
// With libFuzzer (clang, -fsanitize=fuzzer -DXVM_LIBFUZZER; needs a clang whose library has
// std::expected) only the entry point is built. Otherwise a deterministic driver mutates built-in
// seed images (tests/unit/linux/elf_builder.h) and any ELF files named on the command line:
//   xvm-elf-loader-fuzz [--iterations N] [--seed S] [--strict] [--replay FILE] [ELF...]
#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "common/splitmix.h"
#include "elf_builder.h"
#include "linux/elf_loader.h"

namespace {

using namespace xvm;
constexpr uint64_t kArenaSize = uint64_t{1} << 32;
constexpr uint64_t kDynBase = 0x10000000;
constexpr uint64_t kCompareLimit = 1 << 20;  // compare contents of segments up to this size

// Set by the driver: also treat an entry point on an unmapped page inside the span as a
// violation (a known loader bug, see ElfLoader.EntryInAHoleBetweenSegmentsIsRefused).
bool g_strict_entry = false;
uint64_t g_entry_in_hole = 0;
std::string g_last_message;

[[noreturn]] void violated(const std::string& what) {
  std::fprintf(stderr, "elf_loader_fuzz: invariant violated: %s\n", what.c_str());
  std::abort();
}

int prot_of(uint32_t f) {
  return ((f & PF_R) ? memory::kRead : 0) | ((f & PF_W) ? memory::kWrite : 0) |
         ((f & PF_X) ? memory::kExec : 0);
}

bool arena_rule(const std::string& m) {
  return m.starts_with("segments do not fit") || m.starts_with("entry point lies outside") ||
         m.starts_with("cannot map segments");
}

void check_accepted(const memory::Arena& a, std::span<const uint8_t> in,
                    const linux_user::LoadedElf& r) {
  if (!linux_user::is_aarch64_elf(in)) violated("accepted a file is_aarch64_elf() rejects");
  auto span = linux_user::elf_load_span(in);
  if (!span || *span != r.highest - r.lowest) violated("elf_load_span disagrees with the load");
  if (r.lowest % kPageSize || r.highest % kPageSize || r.lowest < kPageSize ||
      r.highest <= r.lowest || r.highest > a.size())
    violated("span is not page-aligned inside the arena");
  if (r.entry < r.lowest || r.entry >= r.highest) violated("entry outside [lowest, highest)");
  if (!a.accessible(r.entry, 1, 0)) {
    ++g_entry_in_hole;
    if (g_strict_entry) violated("entry on an unmapped page");
  }
  if (r.phdr && (r.phdr < r.lowest || r.phdr >= r.highest)) violated("AT_PHDR outside the span");
  if (r.interp.size() > 4096) violated("PT_INTERP longer than its limit");
  for (const memory::Mapping& m : a.mappings())
    if (m.start < r.lowest || m.end > r.highest) violated("mapping outside the span");

  Elf64_Ehdr eh;
  std::memcpy(&eh, in.data(), sizeof eh);
  if (r.phnum != eh.e_phnum) violated("phnum differs from e_phnum");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, in.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    const uint64_t va = ph.p_vaddr + r.load_bias;
    const uint64_t pg = page_down(va), pend = page_up(va + ph.p_memsz);
    if (!a.accessible(pg, pend - pg, prot_of(ph.p_flags)))
      violated("PT_LOAD " + std::to_string(i) + " not mapped with its p_flags");
    if (ph.p_memsz > kCompareLimit || !a.accessible(va, ph.p_memsz, memory::kRead)) continue;
    std::vector<uint8_t> got(ph.p_memsz);
    a.read(va, got.data(), got.size());
    if (!std::equal(got.begin(), got.begin() + ph.p_filesz, in.begin() + ph.p_offset))
      violated("PT_LOAD " + std::to_string(i) + " file bytes differ in memory");
    if (std::any_of(got.begin() + ph.p_filesz, got.end(), [](uint8_t b) { return b != 0; }))
      violated("PT_LOAD " + std::to_string(i) + " .bss is not zero");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto arena = memory::Arena::create(kArenaSize);
  if (!arena) violated("cannot create arena: " + arena.error());
  memory::Arena& a = **arena;
  const std::span<const uint8_t> in(data, size);
  auto r = linux_user::load_elf(a, in, kDynBase, "fuzz");
  if (r) {
    check_accepted(a, in, *r);
    g_last_message.clear();
    return 0;
  }
  if (r.error().empty()) violated("refused without a message");
  if (!a.mappings().empty()) violated("refused (" + r.error() + ") but left mappings");
  auto span = linux_user::elf_load_span(in);
  if (!arena_rule(r.error()) && (span || span.error() != r.error()))
    violated("elf_load_span does not refuse \"" + r.error() + "\" the same way");
  g_last_message = r.error();
  return 0;
}

#ifndef XVM_LIBFUZZER
#include <fcntl.h>
#include <unistd.h>

#include <csignal>

// Sanitizer runtimes call this before exiting on an error report; absent without sanitizers.
extern "C" void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

namespace {

using xvm::test::Rng;

struct Field {
  uint32_t offset, width;
};
// Elf64_Ehdr fields worth breaking (ELF-64 spec "ELF Header").
constexpr Field kEhdrFields[] = {{4, 1},  {5, 1},  {6, 1},  {16, 2}, {18, 2},
                                 {20, 4}, {24, 8}, {32, 8}, {54, 2}, {56, 2}};
// Elf64_Phdr fields, relative to the header's start ("Program Header").
constexpr Field kPhdrFields[] = {{0, 4},  {4, 4},  {8, 8},  {16, 8},
                                 {24, 8}, {32, 8}, {40, 8}, {48, 8}};

uint64_t interesting(Rng& rng, uint64_t old, uint64_t file_size) {
  static const uint64_t k[] = {0,
                               1,
                               2,
                               0x7f,
                               0x80,
                               0xff,
                               0xfff,
                               0x1000,
                               0x1001,
                               0xffff,
                               0x10000,
                               uint64_t{1} << 32,
                               (uint64_t{1} << 32) - 0x1000,
                               uint64_t{1} << 40,
                               (uint64_t{1} << 40) + 1,
                               uint64_t{1} << 47,
                               uint64_t{1} << 48,
                               (uint64_t{1} << 48) + 0x1000,
                               0x7fffffffffffffff,
                               0x8000000000000000,
                               ~uint64_t{0},
                               ~uint64_t{0} - 0xfff,
                               PT_LOAD,
                               PT_INTERP,
                               PT_GNU_STACK,
                               PT_PHDR};
  switch (rng.below(5)) {
    case 0: return k[rng.below(std::size(k))];
    case 1: return file_size - rng.below(3);
    case 2: return old + rng.below(17) - 8;
    case 3: return old ^ (uint64_t{1} << rng.below(64));
    default: return old + (rng.below(2) ? kPageSize : -kPageSize);
  }
}

void set_field(std::vector<uint8_t>& b, uint64_t off, uint32_t width, Rng& rng) {
  if (off > b.size() || width > b.size() - off) return;
  uint64_t v = 0;
  std::memcpy(&v, b.data() + off, width);
  v = interesting(rng, v, b.size());
  std::memcpy(b.data() + off, &v, width);  // little-endian host: the low bytes
}

void mutate(std::vector<uint8_t>& b, Rng& rng) {
  static const uint8_t kBytes[] = {0, 0xff, 0x7f, 0x80, 1};
  const int n = 1 + int(rng.below(4));
  for (int k = 0; k < n && !b.empty(); ++k) {
    // Half of the blind mutations hit the headers, where the rules are.
    uint64_t phoff = 64;
    if (b.size() >= 40) std::memcpy(&phoff, b.data() + 32, 8);
    if (phoff > b.size() || b.size() - phoff < 56) phoff = 64;
    const uint64_t hdr = std::min<uint64_t>(b.size(), phoff + 8 * 56);
    const uint64_t at = rng.below(2) ? rng.below(hdr) : rng.below(b.size());
    switch (rng.below(8)) {
      case 0: b[at] ^= uint8_t(1u << rng.below(8)); break;
      case 1: b[at] = kBytes[rng.below(std::size(kBytes))]; break;
      case 2: b.resize(rng.below(b.size() + 1)); break;
      case 3:
      case 4: {
        const Field f = kEhdrFields[rng.below(std::size(kEhdrFields))];
        set_field(b, f.offset, f.width, rng);
        break;
      }
      case 5:
      case 6: {
        const Field f = kPhdrFields[rng.below(std::size(kPhdrFields))];
        set_field(b, phoff + rng.below(4) * 56 + f.offset, f.width, rng);
        break;
      }
      default:
        // Swap two program headers (ordering rules).
        if (b.size() >= phoff + 2 * 56) {
          const uint64_t i = rng.below(2) * 56, j = (1 + rng.below(2)) * 56;
          if (phoff + j + 56 <= b.size())
            std::swap_ranges(b.begin() + phoff + i, b.begin() + phoff + i + 56,
                             b.begin() + phoff + j);
        }
    }
  }
}

bool read_file(const char* path, std::vector<uint8_t>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), {});
  return true;
}

// The input being run, written out if the process dies (invariant abort, crash, or a sanitizer
// report) so that `--replay` can reproduce it. Only async-signal-safe calls in the handler.
const char* const kFailureFile = "elf_loader_fuzz_failure.bin";
const uint8_t* g_cur = nullptr;
size_t g_cur_size = 0;

void dump_current() {
  if (!g_cur) return;
  const int fd = open(kFailureFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  for (size_t done = 0; done < g_cur_size;) {
    const ssize_t n = write(fd, g_cur + done, g_cur_size - done);
    if (n <= 0) break;
    done += size_t(n);
  }
  close(fd);
  static const char msg[] = "elf_loader_fuzz: failing input written to elf_loader_fuzz_failure.bin\n";
  (void)!write(2, msg, sizeof msg - 1);
}

constexpr int kFatal[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
struct sigaction g_previous[NSIG];

// Dumps the input, then puts back the previous handler (a sanitizer's, or the default) and
// returns: the faulting instruction or abort() runs again and that handler reports it.
void on_fatal_signal(int sig) {
  dump_current();
  g_cur = nullptr;
  sigaction(sig, &g_previous[sig], nullptr);
}

void install_failure_dump() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_NODEFER;
  for (int sig : kFatal) sigaction(sig, &sa, &g_previous[sig]);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(dump_current);
}

// The rule a message names: "not an executable (ELF type 7)" counts as "(ELF type …)".
std::string rule_of(const std::string& m) {
  const size_t paren = m.find(" (");
  if (paren == std::string::npos) return m;
  std::string r = m.substr(0, paren + 2);
  for (size_t i = paren + 2; i < m.size() && !std::isdigit(static_cast<unsigned char>(m[i])); ++i)
    r += m[i];
  return r + "…)";
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 20000, seed = 1;
  std::vector<std::vector<uint8_t>> seeds = {test::static_exec().bytes, test::static_pie().bytes,
                                             test::dynamic_exec().bytes};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--iterations" && i + 1 < argc) {
      iterations = std::strtoull(argv[++i], nullptr, 0);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (arg == "--strict") {
      g_strict_entry = true;
    } else if (arg == "--replay" && i + 1 < argc) {
      std::vector<uint8_t> b;
      if (!read_file(argv[++i], b)) return std::fprintf(stderr, "cannot read %s\n", argv[i]), 2;
      LLVMFuzzerTestOneInput(b.data(), b.size());
      std::printf("%s\n", g_last_message.empty() ? "accepted" : g_last_message.c_str());
      return 0;
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr,
                   "usage: %s [--iterations N] [--seed S] [--strict] [--replay FILE] [ELF...]\n",
                   argv[0]);
      return 2;
    } else {
      std::vector<uint8_t> b;
      if (!read_file(argv[i], b)) return std::fprintf(stderr, "cannot read %s\n", argv[i]), 2;
      seeds.push_back(std::move(b));
    }
  }
  // The seeds themselves must load (otherwise the fuzzer explores only the refusal paths).
  for (auto& s : seeds) {
    LLVMFuzzerTestOneInput(s.data(), s.size());
    if (!g_last_message.empty())
      return std::fprintf(stderr, "seed refused: %s\n", g_last_message.c_str()), 1;
  }
  install_failure_dump();
  Rng rng{seed};
  uint64_t accepted = 0;
  std::map<std::string, uint64_t> refused;
  std::vector<uint8_t> b;
  for (uint64_t it = 0; it < iterations; ++it) {
    b = seeds[rng.below(seeds.size())];
    mutate(b, rng);
    g_cur = b.data(), g_cur_size = b.size();
    LLVMFuzzerTestOneInput(b.data(), b.size());
    if (g_last_message.empty()) ++accepted;
    else ++refused[rule_of(g_last_message)];
  }
  g_cur = nullptr;
  uint64_t total_refused = 0;
  for (auto& [m, n] : refused) total_refused += n;
  std::printf("elf_loader fuzz: %llu inputs (seed %llu): %llu accepted, %llu refused by %zu "
              "distinct rules; %llu accepted with the entry on an unmapped page\n",
              (unsigned long long)iterations, (unsigned long long)seed,
              (unsigned long long)accepted, (unsigned long long)total_refused, refused.size(),
              (unsigned long long)g_entry_in_hole);
  std::vector<std::pair<uint64_t, std::string>> by_count;
  for (auto& [m, n] : refused) by_count.emplace_back(n, m);
  std::sort(by_count.rbegin(), by_count.rend());
  for (auto& [n, m] : by_count) std::printf("  %7llu  %s\n", (unsigned long long)n, m.c_str());
  return 0;
}
#endif
