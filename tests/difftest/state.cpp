#include "state.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace xvm::difftest {
namespace {

// Values chosen to hit the corner cases of the Arm ARM FP pseudocode (FPProcessNaN,
// FPRoundInt ties, FPToFixed saturation, denormal flushing) in each format.
constexpr uint64_t kSpecialD[] = {
    0x0000000000000000, 0x8000000000000000,                      // +-0
    0x7ff0000000000000, 0xfff0000000000000,                      // +-inf
    0x7ff8000000000000, 0xfff8000000000001, 0x7ff8dead0000beef,  // quiet NaNs with payloads
    0x7ff0000000000001, 0xfff4000000000000, 0x7ff7ffffffffffff,  // signalling NaNs
    0x0000000000000001, 0x800fffffffffffff, 0x0008000000000000,  // denormals
    0x0010000000000000, 0x8010000000000000,                      // smallest normals
    0x7fefffffffffffff, 0xffefffffffffffff,                      // largest finite
    0x3ff0000000000000, 0xbff0000000000000, 0x4000000000000000,  // 1, -1, 2
    0x3fe0000000000000, 0x3ff8000000000000, 0x4004000000000000,  // 0.5, 1.5, 2.5 (ties)
    0xbfe0000000000000, 0xc004000000000000, 0x3fdfffffffffffff,  // -0.5, -2.5, 0.5-ulp
    0x43e0000000000000, 0xc3e0000000000000, 0x43f0000000000000,  // 2^63, -2^63, 2^64
    0x41dfffffffc00000, 0x41e0000000000000, 0x41efffffffe00000,  // 2^31-1, 2^31, 2^32-1
    0xc1e0000000200000, 0x41f0000000000000, 0x4330000000000000,  // -2^31-1, 2^32, 2^52
    0x4059000000000000, 0x400921fb54442d18, 0x3ca0000000000000,  // 100, pi, 2^-53
};
constexpr uint32_t kSpecialS[] = {
    0x00000000, 0x80000000, 0x7f800000, 0xff800000,  // +-0, +-inf
    0x7fc00000, 0xffc00001, 0x7fc0beef,              // quiet NaNs
    0x7f800001, 0xffa00000, 0x7fbfffff,              // signalling NaNs
    0x00000001, 0x807fffff, 0x00400000,              // denormals
    0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,  // smallest normal, largest finite
    0x3f800000, 0xbf800000, 0x40000000, 0x3f000000,  // 1, -1, 2, 0.5
    0x3fc00000, 0x40200000, 0xbfc00000, 0x3effffff,  // 1.5, 2.5, -1.5, 0.5-ulp
    0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000,  // 2^31, -2^31, 2^32, 2^63
    0xdf000000, 0x5f800000, 0x4b000000, 0x33800000,  // -2^63, 2^64, 2^23, 2^-24
    0x42c80000, 0x40490fdb, 0x477fe000, 0x477ff000,  // 100, pi, 65504, 65520 (half overflow)
    0x387fc000, 0x33000000,                          // half denormal, half tiny
};
constexpr uint16_t kSpecialH[] = {
    0x0000, 0x8000, 0x7c00, 0xfc00,  // +-0, +-inf
    0x7e00, 0xfe01, 0x7e55,          // quiet NaNs
    0x7c01, 0xfd00, 0x7dff,          // signalling NaNs
    0x0001, 0x83ff, 0x0200,          // denormals
    0x0400, 0x8400, 0x7bff, 0xfbff,  // smallest normal, largest finite
    0x3c00, 0xbc00, 0x4000, 0x3800,  // 1, -1, 2, 0.5
    0x3e00, 0x4100, 0xbe00, 0x37ff,  // 1.5, 2.5, -1.5, 0.5-ulp
    0x7800, 0x5640, 0x4248,          // 32768, 100, pi
};
// One row per group reads better than clang-format's one value per line.
// clang-format off
constexpr uint64_t kSpecialInt[] = {
    0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64,                    // small, shift amounts
    0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,             // byte/half limits
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,             // word limits
    0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff,  // doubleword limits
    0xfffffffffffffffe, 0xffffffff80000000, 0x00000000ffff0000,  // extension edges
};
// clang-format on

template <class T, size_t N>
T pick(Rng& rng, const T (&a)[N]) {
  return a[rng.below(N)];
}

// An address-friendly register file: every register is a window pointer or a small number,
// so that base + index (register-offset loads, post-index by register, ...) often stays
// inside the window.
uint64_t address_friendly_x(Rng& rng) {
  const uint64_t r = rng.below(100);
  if (r < 50)
    return kWindow + (rng.chance(50) ? rng.below(kWindowSize / 4) & ~uint64_t{7}
                                     : rng.below(kWindowSize / 4));
  if (r < 85) return rng.below(256);
  if (r < 95) return ~rng.below(256);  // small negative index
  return pick(rng, kSpecialInt);
}

uint64_t random_x(Rng& rng) {
  const uint64_t r = rng.below(100);
  if (r < 35) {  // a pointer into the window: loads and stores hit mapped memory
    uint64_t off = rng.below(kWindowSize);
    if (rng.chance(50)) off &= ~uint64_t{15};
    if (rng.chance(30)) off = rng.below(256);  // near the start: positive offsets stay inside
    return kWindow + off;
  }
  if (r < 40) return kCodePage + rng.below(kPageSize);
  if (r < 60) return pick(rng, kSpecialInt);
  if (r < 70) return rng.below(64);   // shift amounts, bit positions, small counts
  if (r < 75) return ~rng.below(64);  // small negatives
  if (r < 85) return static_cast<uint32_t>(rng.next());  // 32-bit values with zero top
  return rng.next();
}

void random_v(Rng& rng, uint64_t v[2]) {
  uint8_t b[16];
  const uint64_t mode = rng.below(8);
  for (int lane = 0; lane < 16;) {
    switch (mode) {
      case 0:
      case 1: {  // doubles
        const uint64_t d = rng.chance(70) ? pick(rng, kSpecialD) : rng.next();
        std::memcpy(b + lane, &d, 8), lane += 8;
        break;
      }
      case 2:
      case 3: {  // singles
        const uint32_t s =
            rng.chance(70) ? pick(rng, kSpecialS) : static_cast<uint32_t>(rng.next());
        std::memcpy(b + lane, &s, 4), lane += 4;
        break;
      }
      case 4: {  // halves
        const uint16_t h =
            rng.chance(70) ? pick(rng, kSpecialH) : static_cast<uint16_t>(rng.next());
        std::memcpy(b + lane, &h, 2), lane += 2;
        break;
      }
      case 5: {  // small / boundary integers in each lane size
        // The last lane is cut at the end of b: an 8-byte lane may start at byte 12. Clamping
        // (not re-drawing) keeps the random sequence, so every seed gives the same states.
        const unsigned esize = std::min(1u << rng.below(4), 16u - lane);
        const uint64_t x = pick(rng, kSpecialInt);
        std::memcpy(b + lane, &x, esize), lane += esize;
        break;
      }
      default: {
        const uint64_t x = rng.next();
        std::memcpy(b + lane, &x, 8), lane += 8;
        break;
      }
    }
  }
  std::memcpy(v, b, 16);
}

void fill_random(Rng& rng, std::vector<uint8_t>& bytes, size_t n) {
  bytes.resize(n);
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t r = rng.next();
    std::memcpy(bytes.data() + i, &r, 8);
  }
}

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Ok:
      return "ok";
    case Outcome::Undefined:
      return "undefined";
    case Outcome::Syscall:
      return "svc";
    case Outcome::Breakpoint:
      return "brk";
    case Outcome::DataAbort:
      return "data-abort";
    case Outcome::Alignment:
      return "alignment";
    case Outcome::Other:
      return "other";
  }
  return "?";
}

void add_prologue(State& s, uint32_t prologue) {
  // The instructions already there keep their slots; the prologue takes the one before them.
  // Slot 0 has none before it, so there the sequence moves one slot up first.
  uint8_t* at = s.code.data() + (s.pc - kCodePage);
  if (s.pc == kCodePage) {
    std::memmove(at + 4, at, 4 * s.steps);
    s.pc += 4;
    at += 4;
  }
  std::memcpy(at - 4, &prologue, 4);
  s.pc -= 4;
  ++s.steps;
}

State random_state(Rng& rng, uint32_t insn) {
  State s;
  const bool friendly = rng.chance(40);
  for (auto& x : s.x) x = friendly ? address_friendly_x(rng) : random_x(rng);
  // SP stays 16-byte aligned: SP alignment checking (SCTLR_EL1.SA0) is on under Linux but not
  // modelled by Unicorn, so a misaligned SP would only test that difference.
  s.sp = kWindow + (rng.below(kWindowSize) & ~uint64_t{15});
  // The instruction sits anywhere in the code page except the last slot, so that pc+4 (the
  // next fetch Unicorn makes) is still mapped.
  s.pc = kCodePage + 4 * rng.below(kPageSize / 4 - 1);
  s.nzcv = static_cast<uint32_t>(rng.below(16)) << 28;
  // FPCR: the ARMv8.0 user-writable bits RMode, FZ, DN, AHP; plain 0 (Linux's default) half
  // of the time.
  if (rng.chance(50)) {
    s.fpcr = static_cast<uint32_t>(rng.below(4)) << 22;
    if (rng.chance(30)) s.fpcr |= 1u << 24;  // FZ
    if (rng.chance(30)) s.fpcr |= 1u << 25;  // DN
    if (rng.chance(30)) s.fpcr |= 1u << 26;  // AHP
  }
  // FPSR: cumulative flags IOC DZC OFC UFC IXC IDC and QC; usually clear so that newly raised
  // flags show.
  if (rng.chance(25)) s.fpsr = static_cast<uint32_t>(rng.next()) & (0x9fu | (1u << 27));
  s.tpidr_el0 = rng.chance(50) ? kWindow + rng.below(kWindowSize) : rng.next();
  for (auto& v : s.v) random_v(rng, v);
  s.tpidrro_el0 = rng.next();
  fill_random(rng, s.code, kPageSize);
  std::memcpy(s.code.data() + (s.pc - kCodePage), &insn, 4);
  fill_random(rng, s.mem, kWindowSize);
  return s;
}

std::string diff_states(const State& in, const State& a, const State& b, bool* differs) {
  std::string out;
  bool any = false;
  char line[256];
  auto row = [&](const char* name, uint64_t i, uint64_t x, uint64_t y) {
    if (i == x && i == y) return;
    const bool bad = x != y;
    any |= bad;
    std::snprintf(line, sizeof line, "    %-6s %016" PRIx64 "  %016" PRIx64 "  %016" PRIx64 "%s\n",
                  name, i, x, y, bad ? "  !" : "");
    out += line;
  };
  char name[16];
  for (int i = 0; i < 31; ++i) {
    std::snprintf(name, sizeof name, "x%d", i);
    row(name, in.x[i], a.x[i], b.x[i]);
  }
  row("sp", in.sp, a.sp, b.sp);
  row("pc", in.pc, a.pc, b.pc);
  row("nzcv", in.nzcv, a.nzcv, b.nzcv);
  // FPCR.Len (18:16) and Stride (21:20) only hold AArch32 FPSCR state; they are RES0 where
  // AArch32 is not implemented (Arm ARM, FPCR). xvm is AArch64-only, Unicorn's Cortex-A57 has
  // AArch32 and keeps what MSR FPCR writes there, so those bits are not compared.
  constexpr uint32_t kFpcrAarch32Only = 0x3f0000;
  row("fpcr", in.fpcr, a.fpcr & ~kFpcrAarch32Only, b.fpcr & ~kFpcrAarch32Only);
  row("fpsr", in.fpsr, a.fpsr, b.fpsr);
  row("tpidr", in.tpidr_el0, a.tpidr_el0, b.tpidr_el0);
  row("tpidrro", in.tpidrro_el0, a.tpidrro_el0, b.tpidrro_el0);
  for (int i = 0; i < 32; ++i) {
    std::snprintf(name, sizeof name, "v%d.hi", i);
    row(name, in.v[i][1], a.v[i][1], b.v[i][1]);
    std::snprintf(name, sizeof name, "v%d.lo", i);
    row(name, in.v[i][0], a.v[i][0], b.v[i][0]);
  }
  // Memory, in aligned 8-byte words (enough context to read a store's value).
  const size_t n = std::min({in.mem.size(), a.mem.size(), b.mem.size()});
  for (size_t off = 0; off + 8 <= n; off += 8) {
    uint64_t i, x, y;
    std::memcpy(&i, in.mem.data() + off, 8);
    std::memcpy(&x, a.mem.data() + off, 8);
    std::memcpy(&y, b.mem.data() + off, 8);
    std::snprintf(name, sizeof name, "%" PRIx64, kWindow + off);
    row(name, i, x, y);
  }
  if (a.mem.size() != b.mem.size()) any = true;
  if (differs) *differs = any;
  return out;
}

}  // namespace xvm::difftest
