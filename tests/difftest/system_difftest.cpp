// xvm-sys-difftest: xvm's system-mode CPU against Unicorn on random EL1/EL0 sequences with the
// MMU on (docs/difftest.md, "System level"). Exit status 0 when every compared case matched,
// 1 on a mismatch, 2 on a usage or setup error.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "arch/arm64/decoder.h"
#include "sys_compare.h"
#include "sys_exclusions.h"
#include "sys_sides.h"

using namespace xvm::difftest::sys;

namespace {

struct Options {
  uint64_t count = 2000, seed = 1, start = 0;
  unsigned max_report = 10;
  bool quiet = false, no_exclusions = false;
  bool jit = false;  // --engine jit: the system-mode JIT instead of the interpreter
};

void usage() {
  std::puts(
      "usage: xvm-sys-difftest [--count N] [--seed S] [--start I] [--max-report N] [--quiet]\n"
      "                        [--no-exclusions] [--engine interp|jit]\n"
      "Runs cases I..I+N-1 of seed S on xvm's system interpreter (or its system-mode JIT,\n"
      "every block translated) and on Unicorn and compares the state at every exception\n"
      "entry and at the end of each sequence.");
}

void print_snap(const char* who, const SysSnap& s) {
  std::printf("    %s: %s pc=%#" PRIx64 " EL%u%s nzcv=%x daif=%#" PRIx64 "%s ELR=%#" PRIx64
              " SPSR=%#" PRIx64 " ESR=%#" PRIx64 " FAR=%#" PRIx64 " PAR=%#" PRIx64 "\n",
              who, s.exception ? "exception" : "end", s.pc, s.el, s.sp_sel ? "h" : "t",
              s.nzcv >> 28, s.daif, s.il ? " IL" : "", s.elr, s.spsr, s.esr, s.far, s.par);
}

void report(uint64_t index, const SysCase& c, const SysRun& x, const SysRun& u,
            const std::vector<std::string>& d, bool jit) {
  std::printf("MISMATCH case %" PRIu64 ": start EL%u%s sctlr=%#" PRIx64 " cpacr=%#" PRIx64
              " spsr=%#" PRIx64 " elr=%#" PRIx64 "\n",
              index, c.el, c.el ? (c.sp_sel ? "h" : "t") : "t", c.sctlr, c.cpacr, c.spsr, c.elr);
  for (size_t i = 0; i < c.code.size(); ++i) {
    const auto* e = xvm::arm64::decode(c.code[i]);
    std::printf("    %#" PRIx64 ": %08x  %.*s\n", kCodeVa + 4 * i, c.code[i],
                e ? int(e->name.size()) : 11, e ? e->name.data() : "(no entry)");
  }
  for (int i = 0; i < 16; ++i)
    std::printf("    X%-2d=%#018" PRIx64 " %s\n", i, c.x[i], describe_va(c.x[i]).c_str());
  for (const auto& s : x.stops) print_snap(jit ? "xvm jit" : "xvm    ", s);
  for (const auto& s : u.stops) print_snap("unicorn", s);
  for (const auto& l : d) std::puts(l.c_str());
}

// Unicorn ran segment n (after its n-th stop) out of its kMaxSteps budget: a loop. The JIT
// has no budget (sys_sides.h): where its segment n also ran kMaxSteps instructions (it gave up,
// or stopped later), its run is cut to Unicorn's stops and its RAM, written further on, is not
// compared. (A faulting block counts whole, so a stop up to one block early passes too.)
// Otherwise the runs are compared as they are, and differ.
void cut_at_budget(SysRun& x, const SysRun& u, const std::vector<uint64_t>& insns) {
  const size_t n = u.stops.size();
  if (x.stops.size() < n || n >= insns.size() || insns[n] < kMaxSteps) return;
  x.stops.resize(n);
  x.end = u.end;
  x.detail = u.detail;
  x.ram = u.ram;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto num = [&](uint64_t& v) {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      v = std::strtoull(argv[++i], nullptr, 0);
    };
    uint64_t tmp;
    if (a == "--count") num(o.count);
    else if (a == "--seed") num(o.seed);
    else if (a == "--start") num(o.start);
    else if (a == "--max-report") num(tmp), o.max_report = unsigned(tmp);
    else if (a == "--quiet") o.quiet = true;
    else if (a == "--no-exclusions") o.no_exclusions = true;
    else if (a == "--engine" && i + 1 < argc && (argv[i + 1] == std::string("interp") ||
                                                 argv[i + 1] == std::string("jit")))
      o.jit = argv[++i] == std::string("jit");
    else {
      usage();
      return a == "--help" ? 0 : 2;
    }
  }
  UnicornSys uc;
  uint64_t matched = 0, mismatched = 0, skipped = 0, unmapped = 0, looped = 0, exceptions = 0, el0_stops = 0;
  std::vector<uint64_t> excluded(kNumExclusions, 0);
  for (uint64_t i = o.start; i < o.start + o.count; ++i) {
    const SysCase c = make_case(o.seed, i);
    std::vector<uint64_t> insns;
    SysRun x = o.jit ? run_xvm_jit(c, &insns) : run_xvm(c);
    if (x.end == RunEnd::Skipped) {
      ++skipped;
      continue;
    }
    const SysRun u = uc.run(c);
    if (u.end == RunEnd::Skipped) {
      // Unicorn met an address outside its map (sys_unicorn.cpp): fine if everything up to
      // there matched and xvm took an abort at that point.
      const size_t n = u.stops.size();
      bool prefix = x.stops.size() > n && x.stops[n].exception && is_abort(x.stops[n].esr);
      for (size_t k = 0; prefix && k < n; ++k) prefix = compare(x.stops[k], u.stops[k]).empty();
      if (prefix) {
        ++unmapped;
        continue;
      }
    }
    if (o.jit && u.end == RunEnd::Failed && u.detail == "budget") cut_at_budget(x, u, insns);
    const auto d = compare_runs(x, u);
    if (d.empty() && x.end == RunEnd::Failed) {
      ++looped;  // both ran out of instructions (a loop), agreeing until then
      continue;
    }
    if (d.empty()) {
      ++matched;
      for (const auto& s : x.stops) {
        exceptions += s.exception;
        el0_stops += s.exception && (s.spsr & 0xf) == 0;
      }
      continue;
    }
    const int ex = o.no_exclusions ? -1 : classify(c, x, u);
    if (ex >= 0) {
      ++excluded[size_t(ex)];
      continue;
    }
    if (mismatched++ < o.max_report) report(i, c, x, u, d, o.jit);
  }
  std::printf("xvm-sys-difftest (%s): seed %" PRIu64 " cases %" PRIu64 "..%" PRIu64
              ": %" PRIu64 " matched (%" PRIu64 " exception entries compared, %" PRIu64
              " from EL0), %" PRIu64 " mismatched, %" PRIu64 " skipped (HVC/WFI at EL1), %" PRIu64
              " ended by an address outside Unicorn's map, %" PRIu64 " looped\n",
              o.jit ? "jit" : "interp", o.seed, o.start, o.start + o.count - 1, matched,
              exceptions, el0_stops, mismatched, skipped, unmapped, looped);
  for (size_t k = 0; k < kNumExclusions; ++k)
    if (excluded[k] || !o.quiet)
      std::printf("  excluded %6" PRIu64 "  %s\n", excluded[k], exclusion_name(k));
  return mismatched ? 1 : 0;
}
