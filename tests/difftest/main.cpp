// xvm-difftest: random A64 instructions from the decode table, run on xvm's interpreter and on
// Unicorn, every piece of architectural state compared (docs/difftest.md).
#include <capstone/capstone.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "deviations.h"
#include "prologue.h"
#include "sides.h"
#include "table.h"

namespace xvm::difftest {
namespace {

constexpr const char* kUsage = R"(usage: xvm-difftest [options]

Runs random A64 instructions, generated from the lines of xvm's decode table (a64.inc), on
xvm's interpreter and on Unicorn, from identical random initial states, and compares X0-X30,
SP, PC, NZCV, V0-V31, FPCR, FPSR, TPIDR_EL0, TPIDRRO_EL0, a 64 KiB memory window and how the
instruction ended (completed, or the class of exception). Exits 1 on any mismatch not
covered by the exclusion list or by a documented known deviation (state-dependent cases where
the Arm ARM sides with xvm or leaves the choice open, docs/difftest.md); 2 on a usage or setup
error.

options:
  --count N        instructions in total, spread evenly over the selected table lines
                   (default 10000); with --insn: number of random states (default 16)
  --seed S         seed of the random generator (default 1); the same seed and options give
                   the same instructions and states
  --filter REGEX   only table lines whose handler name matches REGEX (std::regex, searched)
  --insn HEX       run this one encoding from --count random states; print each state's diff
  --list           print the table lines (handler, mask, value, pattern, Arm ARM heading)
  --max-report N   print at most N mismatches in full (default 20)
  --exclusions F   exclusion list (default: the source tree's tests/difftest/exclusions.txt)
  --no-exclusions  ignore the exclusion list
  --no-deviations  count the known deviations (docs/difftest.md) as mismatches too
  --progress SECS  print a progress line (cases done, mismatches so far) to stderr every SECS s
  --start N        begin at case N (cases are seeded independently: replays case N exactly)
  --quiet          per-handler rows only for handlers with mismatches (totals always)
  --help           this text

Unicorn runs at EL0, configured as Linux configures it for user space, on the Cortex-A57
model (ARMv8.0 + AES/PMULL/SHA1/SHA256/CRC32). When it declares an encoding UNDEFINED but
xvm executes it, the case is re-run on Unicorn's "max" model (ARMv8.1+ features such as LSE
atomics) and that result counts. Details: docs/difftest.md.
)";

struct Options {
  uint64_t count = 10000;
  bool count_set = false;
  uint64_t seed = 1;
  std::string filter;
  std::optional<uint32_t> insn;
  bool list = false;
  uint64_t max_report = 20;
  std::string exclusions = XVM_DIFFTEST_EXCLUSIONS;
  bool use_exclusions = true;
  bool use_deviations = true;
  bool quiet = false;
  uint64_t start = 0;
  uint64_t progress_secs = 0;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "xvm-difftest: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

uint64_t parse_u64(const char* s, const char* what) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 0);
  if (errno || !end || *end || !*s) usage_error(std::string("bad number for ") + what + ": " + s);
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--count") {
      o.count = parse_u64(value(), "--count");
      o.count_set = true;
    } else if (a == "--seed") {
      o.seed = parse_u64(value(), "--seed");
    } else if (a == "--filter") {
      o.filter = value();
    } else if (a == "--insn") {
      const char* v = value();
      const uint64_t x =
          parse_u64(std::strncmp(v, "0x", 2) ? (std::string("0x") + v).c_str() : v, "--insn");
      if (x > 0xffffffffu) usage_error("--insn takes a 32-bit encoding");
      o.insn = static_cast<uint32_t>(x);
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--max-report") {
      o.max_report = parse_u64(value(), "--max-report");
    } else if (a == "--exclusions") {
      o.exclusions = value();
    } else if (a == "--no-exclusions") {
      o.use_exclusions = false;
    } else if (a == "--progress") {
      o.progress_secs = parse_u64(value(), "--progress");
    } else if (a == "--no-deviations") {
      o.use_deviations = false;
    } else if (a == "--start") {
      o.start = parse_u64(value(), "--start");
    } else if (a == "--quiet") {
      o.quiet = true;
    } else {
      usage_error("unknown option " + a);
    }
  }
  return o;
}

class Disassembler {
 public:
  Disassembler() { ok_ = cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &h_) == CS_ERR_OK; }
  ~Disassembler() {
    if (ok_) cs_close(&h_);
  }
  std::string operator()(uint32_t insn, uint64_t pc) const {
    if (!ok_) return "";
    cs_insn* out = nullptr;
    const size_t n = cs_disasm(h_, reinterpret_cast<const uint8_t*>(&insn), 4, pc, 1, &out);
    std::string s = n ? std::string(out[0].mnemonic) + " " + out[0].op_str : "(capstone: ?)";
    if (n) cs_free(out, n);
    return s;
  }

 private:
  csh h_ = 0;
  bool ok_ = false;
};

// Both sides run one case; the comparison rule is in docs/difftest.md.
struct Verdict {
  bool match = false;
  const char* deviation = nullptr;  // a known_deviation() rule excused the disagreement
  bool both_exception = false;
  bool used_max = false;
  Result xvm, uc;
  std::string diff;
};

class Runner {
 public:
  explicit Runner(bool use_deviations)
      : use_deviations_(use_deviations), a57_(UcModel::A57), max_(UcModel::Max) {}

  Verdict run(uint32_t insn, const State& in) {
    Verdict v;
    v.xvm = xvm_.run(in);
    v.uc = a57_.run(in);
    if (v.uc.outcome == Outcome::Undefined && v.xvm.outcome != Outcome::Undefined) {
      v.uc = max_.run(in);
      v.used_max = true;
    }
    if (v.xvm.outcome != v.uc.outcome || v.xvm.outcome == Outcome::Other) {
      // "Other" (an xvm stop or a Unicorn error/exception number outside the table in
      // docs/difftest.md) is never a class two sides can agree on.
      v.match = false;
    } else if (v.xvm.outcome != Outcome::Ok) {
      // Both took an exception: the class agrees; the state left behind is not compared (the
      // preferred return address, partially written memory of a faulting multi-access store
      // and partially loaded registers may differ legitimately, docs/difftest.md).
      v.match = true;
      v.both_exception = true;
    } else {
      bool differs = false;
      v.diff = diff_states(in, v.xvm.state, v.uc.state, &differs);
      v.match = !differs;
    }
    if (!v.match && use_deviations_) v.deviation = known_deviation(insn, in, v.xvm, v.uc);
    return v;
  }

 private:
  bool use_deviations_;
  XvmSide xvm_;
  UnicornSide a57_, max_;
};

// The initial values of the registers the encoding names: every 5-bit field of its pattern,
// shown as both X and V register (the pattern does not say which file a field indexes).
void print_operands(std::string_view pattern, uint32_t insn, const State& in) {
  for (int i = 0; i < 32; ++i) {
    const char c = pattern[i];
    if (c == '0' || c == '1' || c == '-' || (i > 0 && pattern[i - 1] == c)) continue;
    int w = 1;
    while (i + w < 32 && pattern[i + w] == c) ++w;
    if (w != 5) continue;
    const unsigned r = (insn >> (32 - i - w)) & 31;
    const uint64_t x = r == 31 ? in.sp : in.x[r];
    std::printf("  operand %c=%-2u x%-2u=%016" PRIx64 "%s v%-2u=%016" PRIx64 "'%016" PRIx64 "\n", c,
                r, r, x, r == 31 ? " (sp; xzr=0)" : "", r, in.v[r][1], in.v[r][0]);
  }
  std::printf("  nzcv=%x fpcr=%08x fpsr=%08x\n", in.nzcv >> 28, in.fpcr, in.fpsr);
}

void print_case(const Disassembler& dis, uint32_t insn, const char* name, const State& in,
                Verdict& v, const char* label) {
  const uint64_t insn_pc = in.pc + 4 * (in.steps - 1);
  std::printf("%s: %08x %-16s %s\n", label, insn, name, dis(insn, insn_pc).c_str());
  for (unsigned i = 0; i + 1 < in.steps; ++i) {
    uint32_t pro;
    std::memcpy(&pro, in.code.data() + (in.pc + 4 * i - kCodePage), 4);
    std::printf("  after prologue: %08x %s\n", pro, dis(pro, in.pc + 4 * i).c_str());
  }
  const arm64::DecodeEntry* e = arm64::decode(insn);
  std::string_view pattern;
  for (const Line& l : table_lines())
    if (l.entry == e) pattern = l.pattern;
  std::printf("  outcome: xvm=%s%s%s%s  unicorn%s=%s%s%s%s\n", outcome_name(v.xvm.outcome),
              v.xvm.detail.empty() ? "" : " (", v.xvm.detail.c_str(),
              v.xvm.detail.empty() ? "" : ")", v.used_max ? "(max)" : "(a57)",
              outcome_name(v.uc.outcome), v.uc.detail.empty() ? "" : " (", v.uc.detail.c_str(),
              v.uc.detail.empty() ? "" : ")");
  if (v.xvm.outcome == Outcome::Ok && v.uc.outcome == Outcome::Ok) {
    if (!pattern.empty()) print_operands(pattern, insn, in);
    std::printf("    %-6s %-16s  %-16s  %-16s\n", "reg", "initial", "xvm", "unicorn");
    std::fputs(v.diff.c_str(), stdout);
  } else if (v.xvm.outcome != v.uc.outcome) {
    // One side completed or faulted differently: the operands are what explains it.
    std::printf("  initial: pc=%" PRIx64 " sp=%" PRIx64 " nzcv=%x fpcr=%08x fpsr=%08x\n", in.pc,
                in.sp, in.nzcv >> 28, in.fpcr, in.fpsr);
    for (int i = 0; i < 31; i += 4) {
      std::printf("   ");
      for (int j = i; j < i + 4 && j < 31; ++j) std::printf(" x%-2d=%016" PRIx64, j, in.x[j]);
      std::printf("\n");
    }
  }
}

// A host crash (SIGSEGV/SIGBUS outside the guest arena: a bug in xvm, Unicorn or this tool)
// should name the case that caused it. xvm's handler runs first: a fault inside the arena is a
// guest data abort and never comes back here; anything else returns, and we report and die.
struct sigaction g_prev_segv, g_prev_bus;
volatile uint64_t g_case = 0;
volatile uint32_t g_insn = 0;
uint64_t g_seed = 0;

void on_host_crash(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& prev = sig == SIGSEGV ? g_prev_segv : g_prev_bus;
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) prev.sa_sigaction(sig, info, uctx);
  char msg[200];
  const int n = std::snprintf(
      msg, sizeof msg,
      "xvm-difftest: host signal %d in case %llu (encoding %08x); "
      "replay: --seed %llu --start %llu --count %llu\n",
      sig, static_cast<unsigned long long>(g_case), g_insn, static_cast<unsigned long long>(g_seed),
      static_cast<unsigned long long>(g_case), static_cast<unsigned long long>(g_case + 1));
  if (n > 0) (void)!write(2, msg, static_cast<size_t>(n));
  signal(sig, SIG_DFL);  // the faulting access repeats and ends the process (core dump)
}

void install_crash_reporter(uint64_t seed) {
  g_seed = seed;
  struct sigaction sa {};
  sa.sa_sigaction = on_host_crash;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_prev_segv);
  sigaction(SIGBUS, &sa, &g_prev_bus);
}

struct Counts {
  uint64_t run = 0, match = 0, both_exc = 0, mismatch = 0, excluded = 0, excluded_mismatch = 0,
           skipped = 0, used_max = 0;
  bool never_generated = false;
};

int run_one_insn(const Options& o) {
  const uint32_t insn = *o.insn;
  const arm64::DecodeEntry* e = arm64::decode(insn);
  const char* name = e ? e->name.data() : "(no table line)";
  Disassembler dis;
  Runner runner(o.use_deviations);
  const uint64_t n = o.count_set ? o.count : 16;
  uint64_t bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    Rng rng(o.seed * 0x100000001b3ull + i);
    State in = random_state(rng, insn);
    add_prologues(rng, insn, in);
    Verdict v = runner.run(insn, in);
    char label[64];
    std::snprintf(label, sizeof label, "state %" PRIu64 " %s%s", i,
                  v.match       ? "MATCH"
                  : v.deviation ? "KNOWN DEVIATION "
                                : "MISMATCH",
                  v.deviation && !v.match ? v.deviation : "");
    print_case(dis, insn, name, in, v, label);
    bad += !v.match && !v.deviation;
  }
  std::printf("%" PRIu64 " states, %" PRIu64 " mismatches\n", n, bad);
  return bad ? 1 : 0;
}

int list_table(const Options& o) {
  const std::regex re(o.filter);
  for (const Line& l : table_lines()) {
    const std::string name(l.entry->name);
    if (!o.filter.empty() && !std::regex_search(name, re)) continue;
    std::printf("%-20s %08x %08x %.*s  %.*s\n", name.c_str(), l.entry->mask, l.entry->value,
                static_cast<int>(l.pattern.size()), l.pattern.data(),
                static_cast<int>(l.entry->desc.size()), l.entry->desc.data());
  }
  return 0;
}

int run_random(const Options& o) {
  std::vector<Exclusion> exclusions;
  if (o.use_exclusions) {
    std::string error;
    std::vector<std::string> warnings;
    if (!load_exclusions(o.exclusions, &exclusions, &error, &warnings)) usage_error(error);
    for (const auto& w : warnings) std::fprintf(stderr, "xvm-difftest: warning: %s\n", w.c_str());
  }
  std::vector<size_t> selected;
  {
    const std::regex re(o.filter);
    const auto& lines = table_lines();
    for (size_t i = 0; i < lines.size(); ++i)
      if (o.filter.empty() || std::regex_search(std::string(lines[i].entry->name), re))
        selected.push_back(i);
  }
  if (selected.empty()) usage_error("no table line matches --filter " + o.filter);

  const auto& lines = table_lines();
  std::vector<Counts> counts(lines.size());
  std::vector<std::vector<const Exclusion*>> excl_of(lines.size());
  for (const Exclusion& ex : exclusions)
    for (size_t i = 0; i < lines.size(); ++i)
      if (lines[i].entry->name == ex.handler) excl_of[i].push_back(&ex);

  Disassembler dis;
  Runner runner(o.use_deviations);
  uint64_t reported = 0, total_mismatch = 0;
  std::map<std::string, uint64_t> deviations;
  const auto t0 = std::chrono::steady_clock::now();
  // Case i tests line selected[i % lines], from a generator seeded by (seed, i): every case
  // can be replayed on its own and the count is spread evenly over the lines.
  auto last_progress = t0;
  uint64_t excluded_so_far = 0;
  install_crash_reporter(o.seed);  // after the Runner: xvm's fault handler is installed
  for (uint64_t i = o.start; i < o.count; ++i) {
    if (o.progress_secs && (i & 1023) == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress >= std::chrono::seconds(o.progress_secs)) {
        last_progress = now;
        const double el = std::chrono::duration<double>(now - t0).count();
        std::fprintf(stderr,
                     "progress: %" PRIu64 "/%" PRIu64 " cases, %" PRIu64 " mismatches, %" PRIu64
                     " excluded, %.0f s, %.0f cases/s\n",
                     i, o.count, total_mismatch, excluded_so_far, el, (i - o.start) / el);
      }
    }
    const size_t li = selected[i % selected.size()];
    Counts& c = counts[li];
    if (c.never_generated) {
      ++c.skipped;
      continue;
    }
    Rng rng(o.seed * 0x9e3779b97f4a7c15ull ^ (i * 0xd1b54a32d192ed03ull));
    const auto insn = generate(rng, lines[li]);
    if (!insn) {
      c.never_generated = true;
      ++c.skipped;
      continue;
    }
    g_case = i;
    g_insn = *insn;
    State in = random_state(rng, *insn);
    add_prologues(rng, *insn, in);
    Verdict v = runner.run(*insn, in);
    ++c.run;
    c.used_max += v.used_max;
    const Exclusion* ex = nullptr;
    for (const Exclusion* e : excl_of[li])
      if (e->matches(*insn)) {
        ex = e;
        break;
      }
    if (ex) {
      ++excluded_so_far;
      ++c.excluded;
      c.excluded_mismatch += !v.match;
      continue;
    }
    if (v.deviation) {
      ++excluded_so_far;
      ++c.excluded;
      ++c.excluded_mismatch;
      ++deviations[v.deviation];
      continue;
    }
    if (v.match) {
      ++c.match;
      c.both_exc += v.both_exception;
      continue;
    }
    ++c.mismatch;
    ++total_mismatch;
    if (reported < o.max_report) {
      char label[64];
      std::snprintf(label, sizeof label, "MISMATCH #%" PRIu64 " (case %" PRIu64 ")", ++reported, i);
      print_case(dis, *insn, lines[li].entry->name.data(), in, v, label);
      std::printf("  replay: xvm-difftest --insn %08x\n\n", *insn);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Counts total;
  std::vector<std::string> never;
  std::string exceptions_only;
  if (!o.quiet)
    std::printf("%-20s %9s %9s %9s %9s %9s %9s %9s %9s\n", "handler", "run", "matched",
                "(both-exc)", "MISMATCH", "excluded", "(excl-mm)", "skipped", "on-max");
  for (size_t li : selected) {
    const Counts& c = counts[li];
    total.run += c.run;
    total.match += c.match;
    total.both_exc += c.both_exc;
    total.mismatch += c.mismatch;
    total.excluded += c.excluded;
    total.excluded_mismatch += c.excluded_mismatch;
    total.skipped += c.skipped;
    total.used_max += c.used_max;
    if (c.never_generated || (c.run == 0 && c.skipped == 0))
      never.emplace_back(lines[li].entry->name);
    else if (c.run >= 50 && c.match == c.both_exc)
      exceptions_only += std::string(" ") + std::string(lines[li].entry->name);
    if (!o.quiet || c.mismatch)
      std::printf("%-20s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
                  " %9" PRIu64 " %9" PRIu64 "%s\n",
                  lines[li].entry->name.data(), c.run, c.match, c.both_exc, c.mismatch, c.excluded,
                  c.excluded_mismatch, c.skipped, c.used_max,
                  c.never_generated                      ? "  NEVER GENERATED"
                  : c.run >= 50 && c.match == c.both_exc ? "  (no case completed on both sides)"
                                                         : "");
  }
  std::printf("%-20s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
              " %9" PRIu64 " %9" PRIu64 "\n",
              "TOTAL", total.run, total.match, total.both_exc, total.mismatch, total.excluded,
              total.excluded_mismatch, total.skipped, total.used_max);
  for (const auto& n : never)
    std::printf(
        "never generated: %s (no random encoding of this line decodes to it; more "
        "specific lines cover it, or --count is below the number of lines)\n",
        n.c_str());
  if (!exceptions_only.empty())
    std::printf("only exception classes compared (no case completed on both sides):%s\n",
                exceptions_only.c_str());
  for (const auto& [rule, n] : deviations)
    std::printf("known deviation %s: %" PRIu64 " cases (counted as excluded; docs/difftest.md)\n",
                rule.c_str(), n);
  std::printf("%" PRIu64 " instructions over %zu table lines in %.1f s (seed %" PRIu64 "): %" PRIu64
              " mismatches, %" PRIu64 " excluded\n",
              total.run, selected.size(), secs, o.seed, total.mismatch, total.excluded);
  return total_mismatch ? 1 : 0;
}

}  // namespace
}  // namespace xvm::difftest

int main(int argc, char** argv) {
  using namespace xvm::difftest;
  const Options o = parse_args(argc, argv);
  try {
    if (o.list) return list_table(o);
    if (o.insn) return run_one_insn(o);
    return run_random(o);
  } catch (const std::regex_error& e) {
    usage_error(std::string("bad --filter regex: ") + e.what());
  }
}
