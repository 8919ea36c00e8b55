#include "sys_compare.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace xvm::difftest::sys {

bool is_abort(uint64_t esr) {
  const unsigned ec = unsigned(esr >> 26) & 0x3f;
  return ec == 0x20 || ec == 0x21 || ec == 0x22 || ec == 0x24 || ec == 0x25;
}

// PAR_EL1 (Arm ARM D17.2.?, "PAR_EL1, Physical Address Register"): with F = 0, NS (bit 9) is
// UNKNOWN for a Non-secure translation regime; with F = 1, bits 63:48 are IMPLEMENTATION
// DEFINED. Neither is compared.
namespace {

uint64_t par_mask(uint64_t par) {
  return (par & 1) ? 0x0000'ffff'ffff'ffffull : ~(uint64_t{1} << 9);
}

void diff(std::vector<std::string>& out, const char* name, uint64_t a, uint64_t b) {
  if (a == b) return;
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %-10s xvm %#018" PRIx64 "  unicorn %#018" PRIx64, name, a, b);
  out.push_back(buf);
}

}  // namespace

std::vector<std::string> compare(const SysSnap& a, const SysSnap& b) {
  std::vector<std::string> d;
  for (int i = 0; i < 31; ++i) {
    char n[8];
    std::snprintf(n, sizeof n, "X%d", i);  // (not "X" + to_string: g++ 12 -Wrestrict false positive)
    diff(d, n, a.x[i], b.x[i]);
  }
  diff(d, "SP_EL0", a.sp_el0, b.sp_el0);
  diff(d, "SP_EL1", a.sp_el1, b.sp_el1);
  diff(d, "PC", a.pc, b.pc);
  // PSTATE.NZCV right after an exception entry: QEMU 5.0 builds the new PSTATE from zero
  // (arm_cpu_do_interrupt_aarch64: pstate_write(env, PSTATE_DAIF | new_mode)), xvm keeps the
  // flags. The vector stubs never read them and ERET restores them from SPSR_EL1 (compared),
  // so they are compared only at the end of a sequence (docs/difftest.md).
  if (!a.exception || !b.exception) diff(d, "NZCV", a.nzcv, b.nzcv);
  diff(d, "EL", a.el, b.el);
  diff(d, "SPSel", a.sp_sel, b.sp_sel);
  diff(d, "DAIF", a.daif, b.daif);
  diff(d, "PSTATE.IL", a.il, b.il);
  diff(d, "ELR_EL1", a.elr, b.elr);
  diff(d, "SPSR_EL1", a.spsr, b.spsr);
  diff(d, "ESR_EL1", a.esr, b.esr);
  if (a.exception && b.exception && is_abort(a.esr) && is_abort(b.esr))
    diff(d, "FAR_EL1", a.far, b.far);
  diff(d, "PAR_EL1", a.par & par_mask(a.par), b.par & par_mask(b.par));
  diff(d, "TPIDR_EL1", a.tpidr_el1, b.tpidr_el1);
  diff(d, "V0.lo", a.v0[0], b.v0[0]);
  diff(d, "V0.hi", a.v0[1], b.v0[1]);
  if (a.exception != b.exception) d.push_back("  stop kind differs (exception vs end)");
  return d;
}

std::vector<std::string> compare_runs(const SysRun& x, const SysRun& u) {
  std::vector<std::string> d;
  if (x.end != u.end) d.push_back("  run end: xvm " + x.detail + " / unicorn " + u.detail);
  const size_t n = std::min(x.stops.size(), u.stops.size());
  for (size_t i = 0; i < n; ++i) {
    auto s = compare(x.stops[i], u.stops[i]);
    if (!s.empty()) {
      d.push_back("  at stop " + std::to_string(i) + (x.stops[i].exception ? " (exception)" : " (end)") +
                  ":");
      d.insert(d.end(), s.begin(), s.end());
      return d;  // later stops follow from the first difference
    }
  }
  if (x.stops.size() != u.stops.size())
    d.push_back("  stops: xvm " + std::to_string(x.stops.size()) + ", unicorn " +
                std::to_string(u.stops.size()));
  if (d.empty() && x.ram.size() == u.ram.size()) {
    for (const auto& r : kLiveRanges) {
      for (uint64_t o = r[0]; o < r[1] && d.size() <= 8; o += 8) {
        uint64_t a, b;
        std::memcpy(&a, &x.ram[o], 8);
        std::memcpy(&b, &u.ram[o], 8);
        if (a == b) continue;
        char buf[160];
        std::snprintf(buf, sizeof buf, "  RAM pa %#" PRIx64 ": xvm %#018" PRIx64 " unicorn %#018" PRIx64,
                      kRamBase + o, a, b);
        d.push_back(buf);
      }
    }
  }
  return d;
}

}  // namespace xvm::difftest::sys
