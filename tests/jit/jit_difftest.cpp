// JIT vs interpreter on random blocks (ARCHITECTURE.md, tests 2: "JIT vs interpreter").
//
// Each case builds a block of 1..12 random encodings drawn from the a64.inc lines that have a
// lift function (the integer core: data processing, loads/stores, branches), followed by BRK,
// (and one in eight from a few integer lines that are not lifted, run through the interpreter
// handler from translated code), with random register values that mostly point into a data area. The same start state runs on
// the interpreter and on the JIT (tiered engine, threshold 0) over two identical copies of
// memory; both stop at the BRK, at a branch target outside the code (instruction abort), at a
// data abort or an UNDEF. The stop, every X and V register, NZCV, FPSR, pc and the data area
// must agree. V registers hold random bits or interesting floating-point values (zeros,
// denormals, infinities, NaNs, numbers near the rounding boundaries); one case in eight runs
// with a random FPCR (flush-to-zero, default NaN, rounding mode).
//
//   xvm-jit-difftest [--count N] [--seed S] [--filter REGEX] [--verbose]
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "arch/arm64/cpu.h"
#include "arch/arm64/decoder.h"
#include "arch/arm64/lift/lifter.h"
#include "engine/interpreter.h"
#include "engine/tiered.h"

namespace {

using namespace xvm;

constexpr uint64_t kMemSize = 1 << 20;
// The code lies above every address the random registers and offsets reach (data area plus
// offsets stays below 0x60000): a store over code about to run is self-modifying code, whose
// timing the architecture leaves open and the two engines see at different points (the JIT
// lifts past conditional branches, the interpreter decodes block by block).
constexpr uint64_t kCode = 0x80000;
constexpr uint64_t kData = 0x10000, kDataSize = 0x20000;
constexpr unsigned kMaxInsns = 12;

// Guest memory of one side: code at kCode (executable), data around kData.
struct Memory final : engine::CodeSource {
  uint8_t* base;
  uint32_t ninsns = 0;
  Memory() {
    void* p = mmap(nullptr, kMemSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    base = static_cast<uint8_t*>(p);
  }
  ~Memory() override { munmap(base, kMemSize); }
  bool fetch(uint64_t addr, uint32_t* insn) const override {
    if ((addr & 3) || addr < kCode || addr >= kCode + 4 * (ninsns + 1)) return false;
    std::memcpy(insn, base + addr, 4);
    return true;
  }
};

uint64_t random_value(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return rng();
    case 1: return rng() % 64;
    case 2: return ~uint64_t{0} - rng() % 4;
    default: return kData + 0x4000 + (rng() % 0x18000);  // an address in the data area
  }
}

// A random encoding of line e; backward branches into the block are redrawn (no loops).
uint32_t random_insn(std::mt19937_64& rng, const arm64::DecodeEntry* e, uint64_t pc, uint64_t end) {
  for (int tries = 0; tries < 100; ++tries) {
    uint32_t insn = (uint32_t(rng()) & ~e->mask) | e->value;
    const std::string_view n = e->name;
    // Mostly valid operand types, so that blocks run on past the instruction: scalar FP in
    // single or double (ftype, bits 23..22: 1x is UNDEF without FP16), and MRS/MSR of the
    // registers programs use (TPIDR_EL0, NZCV, FPCR, FPSR) rather than random system registers.
    if (n.ends_with("_float") && rng() % 8 != 0) insn = (insn & ~(3u << 22)) | uint32_t(rng() % 2) << 22;
    if ((n == "MRS" || n == "MSR_reg") && rng() % 8 != 0) {
      static constexpr uint32_t kRegs[] = {0x5e82, 0x5a10, 0x5a20, 0x5a21};  // o0:op1:CRn:CRm:op2
      insn = (insn & ~(0x7fffu << 5)) | kRegs[rng() % 4] << 5;
    }
    // The generic timer registers (CRn 14) read the host clock: the two runs see different times.
    if (n == "MRS" && ((insn >> 12) & 0xf) == 14) continue;
    if (arm64::decode(insn) != e) continue;
    const bool branch = n == "B_uncond" || n == "BL" || n == "B_cond" || n.starts_with("CB") ||
                        n.starts_with("TB");
    if (branch) {
      // Offset fields: imm26 (B, BL), imm14 (TBZ/TBNZ), imm19 (B.cond, CBZ/CBNZ).
      int64_t off;
      if (n == "B_uncond" || n == "BL") off = int64_t(int32_t(insn << 6) >> 6) * 4;
      else if (n.starts_with("TB")) off = int64_t(int32_t(insn << 13) >> 18) * 4;
      else off = int64_t(int32_t(insn << 8) >> 13) * 4;
      const uint64_t target = pc + uint64_t(off);
      if (target >= kCode && target <= pc) continue;
      (void)end;
    }
    return insn;
  }
  return 0xd503201f;  // NOP
}

// A 32- or 64-bit floating-point bit pattern chosen to reach the special cases of FP lifts.
uint64_t fp_bits(std::mt19937_64& rng, bool dbl) {
  const int exp_bits = dbl ? 11 : 8, frac_bits = dbl ? 52 : 23;
  const uint64_t sign = uint64_t(rng() & 1) << (exp_bits + frac_bits);
  const uint64_t emax = (uint64_t{1} << exp_bits) - 1, frac = rng() & ((uint64_t{1} << frac_bits) - 1);
  uint64_t e;
  switch (rng() % 10) {
    case 0: return sign;                                              // +-0
    case 1: e = 0; break;                                             // denormal
    case 2: return sign | (emax << frac_bits);                        // +-inf
    case 3: e = emax; return sign | (e << frac_bits) | (frac ? frac : 1);  // NaN (quiet or not)
    case 4: e = 1; break;                                             // smallest normals
    case 5: e = emax - 1; break;                                      // largest normals
    default: e = (emax >> 1) - 4 + rng() % 9; break;                  // around 1.0
  }
  return sign | (e << frac_bits) | frac;
}

void random_vreg(std::mt19937_64& rng, arm64::VReg& v) {
  uint64_t lo, hi;
  switch (rng() % 3) {
    case 0: lo = rng(); hi = rng(); break;
    case 1: lo = fp_bits(rng, true); hi = fp_bits(rng, true); break;
    default:
      lo = fp_bits(rng, false) | fp_bits(rng, false) << 32;
      hi = fp_bits(rng, false) | fp_bits(rng, false) << 32;
      break;
  }
  std::memcpy(v.b, &lo, 8);
  std::memcpy(v.b + 8, &hi, 8);
}

std::string describe(const arm64::Stop& s) {
  char b[96];
  std::snprintf(b, sizeof b, "stop %d addr 0x%llx write %d insn 0x%x", int(s.kind),
                (unsigned long long)s.addr, int(s.write), s.insn);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t count = 20000, seed = 1;
  std::string filter;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--count" && i + 1 < argc) count = std::strtoull(argv[++i], nullptr, 0);
    else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 0);
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "--verbose") verbose = true;
    else {
      std::fprintf(stderr,
                   "usage: xvm-jit-difftest [--count N] [--seed S] [--filter REGEX] [--verbose]\n"
                   "Random blocks of lifted A64 encodings (names matching REGEX) run on the "
                   "interpreter and the JIT; any difference in state is printed.\n");
      return 2;
    }
  }
  std::vector<const arm64::DecodeEntry*> lines;
  const std::regex re(filter.empty() ? ".*" : filter);
  for (const auto& e : arm64::decode_table())
    if (arm64::lift::lifter_for(&e) && std::regex_search(std::string(e.name), re))
      lines.push_back(&e);
  // Some integer lines without a lift function, so blocks also call interpreter handlers from
  // translated code (values live across those calls).
  std::vector<const arm64::DecodeEntry*> unlifted;
  for (const auto& e : arm64::decode_table())
    for (const char* name : {"CLZ", "CLS", "RBIT", "REV16", "REV32", "CRC32", "CRC32C"})
      if (!arm64::lift::lifter_for(&e) && e.name == name) unlifted.push_back(&e);
  if (lines.empty()) {
    std::fprintf(stderr, "no lifted table line matches\n");
    return 2;
  }
  std::mt19937_64 rng(seed);
  Memory mi, mj;
  engine::JitOptions jo;
  jo.threshold = 0;
  jo.verify_ir = true;
  uint64_t mismatches = 0, stops[16] = {};
  for (uint64_t c = 0; c < count; ++c) {
    const unsigned n = 1 + unsigned(rng() % kMaxInsns);
    std::vector<uint32_t> insns;
    for (unsigned k = 0; k < n; ++k) {
      const auto* e = !unlifted.empty() && rng() % 8 == 0 ? unlifted[rng() % unlifted.size()]
                                                          : lines[rng() % lines.size()];
      insns.push_back(random_insn(rng, e, kCode + 4 * k, kCode + 4 * n));
    }
    insns.push_back(0xd4200000);  // BRK #0
    arm64::Cpu start;
    for (auto& x : start.x) x = random_value(rng);
    start.x[31] = kData + 0x10000 + (rng() % 0x100) * 16;
    start.nzcv = uint32_t(rng() & 0xf) << 28;
    for (auto& v : start.v) random_vreg(rng, v);
    if (rng() % 8 == 0) start.fpcr = uint32_t(rng()) & arm64::fpcr::kWritable;
    start.pc = kCode;
    std::vector<uint64_t> data(kDataSize / 8);
    for (auto& w : data) w = rng();
    // Both sides start from identical memory and state; each side gets a fresh engine so no
    // translation from an earlier case is reused for different code.
    arm64::Stop si, sj;
    arm64::Cpu ci, cj;
    for (Memory* m : {&mi, &mj}) {
      std::memset(m->base + kCode, 0, 4 * kMaxInsns + 64);
      std::memcpy(m->base + kCode, insns.data(), 4 * insns.size());
      std::memcpy(m->base + kData, data.data(), kDataSize);
      m->ninsns = n;
    }
    if (verbose) {
      std::printf("case %llu:\n", (unsigned long long)c);
      for (unsigned k = 0; k < insns.size(); ++k) {
        const auto* e = arm64::decode(insns[k]);
        std::printf("  0x%llx: %08x %s\n", (unsigned long long)(kCode + 4 * k), insns[k],
                    e ? std::string(e->name).c_str() : "?");
      }
      std::fflush(stdout);
    }
    ci = start;
    ci.mem_base = mi.base;
    ci.mem_size = kMemSize;
    cj = start;
    cj.mem_base = mj.base;
    cj.mem_size = kMemSize;
    {
      engine::Interpreter interp(mi);
      si = interp.run(ci);
    }
    {
      engine::Tiered jit(mj, jo);
      sj = jit.run(cj);
    }
    ++stops[int(si.kind) & 15];
    std::string what;
    char b[200];
    if (si.kind != sj.kind || si.addr != sj.addr || si.write != sj.write)
      what = "interpreter " + describe(si) + ", jit " + describe(sj);
    for (unsigned r = 0; r < 32 && what.empty(); ++r)
      if (ci.x[r] != cj.x[r]) {
        std::snprintf(b, sizeof b, "x%u: interpreter 0x%llx, jit 0x%llx", r,
                      (unsigned long long)ci.x[r], (unsigned long long)cj.x[r]);
        what = b;
      }
    if (what.empty() && ci.nzcv != cj.nzcv) {
      std::snprintf(b, sizeof b, "nzcv: interpreter 0x%x, jit 0x%x", ci.nzcv, cj.nzcv);
      what = b;
    }
    for (unsigned r = 0; r < 32 && what.empty(); ++r)
      if (std::memcmp(ci.v[r].b, cj.v[r].b, 16) != 0) {
        uint64_t a[2], j[2];
        std::memcpy(a, ci.v[r].b, 16);
        std::memcpy(j, cj.v[r].b, 16);
        std::snprintf(b, sizeof b, "v%u: interpreter 0x%016llx%016llx, jit 0x%016llx%016llx", r,
                      (unsigned long long)a[1], (unsigned long long)a[0],
                      (unsigned long long)j[1], (unsigned long long)j[0]);
        what = b;
      }
    if (what.empty() && ci.fpsr != cj.fpsr) {
      std::snprintf(b, sizeof b, "fpsr: interpreter 0x%x, jit 0x%x", ci.fpsr, cj.fpsr);
      what = b;
    }
    if (what.empty() && ci.pc != cj.pc) {
      std::snprintf(b, sizeof b, "pc: interpreter 0x%llx, jit 0x%llx", (unsigned long long)ci.pc,
                    (unsigned long long)cj.pc);
      what = b;
    }
    if (what.empty() && std::memcmp(mi.base + kData, mj.base + kData, kDataSize) != 0)
      what = "data memory differs";
    if (!what.empty() || verbose) {
      if (!what.empty()) ++mismatches;
      std::printf("case %llu: %s\n", (unsigned long long)c, what.empty() ? "ok" : what.c_str());
      for (unsigned k = 0; k < insns.size() && !verbose; ++k) {
        const auto* e = arm64::decode(insns[k]);
        std::printf("  0x%llx: %08x %s\n", (unsigned long long)(kCode + 4 * k), insns[k],
                    e ? std::string(e->name).c_str() : "?");
      }
      if (mismatches >= 20) break;
    }
  }
  std::printf("xvm-jit-difftest: %llu blocks from %zu lifted table lines, %llu mismatches "
              "(stops: %llu BRK, %llu insn abort, %llu data abort, %llu undefined, %llu other)\n",
              (unsigned long long)count, lines.size(), (unsigned long long)mismatches,
              (unsigned long long)stops[int(arm64::StopKind::Breakpoint)],
              (unsigned long long)stops[int(arm64::StopKind::InsnAbort)],
              (unsigned long long)stops[int(arm64::StopKind::DataAbort)],
              (unsigned long long)stops[int(arm64::StopKind::Undefined)],
              (unsigned long long)(count - stops[int(arm64::StopKind::Breakpoint)] -
                                   stops[int(arm64::StopKind::InsnAbort)] -
                                   stops[int(arm64::StopKind::DataAbort)] -
                                   stops[int(arm64::StopKind::Undefined)]));
  return mismatches ? 1 : 0;
}
