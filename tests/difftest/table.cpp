#include "table.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unordered_map>

namespace xvm::difftest {

const std::vector<Line>& table_lines() {
  static const std::vector<Line> lines = [] {
    // The same a64.inc expanded once more, for the pattern strings.
    static constexpr std::string_view kPatterns[] = {
#define INST(name, desc, pattern, flags) pattern,
#include "arch/arm64/a64.inc"
#undef INST
    };
    std::vector<Line> v;
    const auto table = arm64::decode_table();
    for (size_t i = 0; i < table.size(); ++i) v.push_back(Line{&table[i], kPatterns[i]});
    return v;
  }();
  return lines;
}

namespace {

// System register and SYS operation encodings worth testing at EL0, as the 16-bit
// op0:op1:CRn:CRm:op2 field (bits 20..5) of MRS, MSR (register) and SYS (Arm ARM C5.3). Random
// draws would almost never hit them among the 65536 values, nearly all UNDEFINED at EL0.
constexpr uint32_t sysreg(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2) {
  return (op0 << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5);
}
constexpr uint32_t kSysregMask = 0x001fffe0;
constexpr uint32_t kFocusSysreg[] = {
    sysreg(3, 3, 4, 2, 0),   // NZCV
    sysreg(3, 3, 4, 4, 0),   // FPCR
    sysreg(3, 3, 4, 4, 1),   // FPSR
    sysreg(3, 3, 13, 0, 2),  // TPIDR_EL0
    sysreg(3, 3, 13, 0, 3),  // TPIDRRO_EL0 (read-only at EL0)
    sysreg(3, 3, 0, 0, 1),   // CTR_EL0
    sysreg(3, 3, 0, 0, 7),   // DCZID_EL0
    sysreg(3, 3, 4, 2, 1),   // DAIF (EL0 access depends on SCTLR_EL1.UMA)
    sysreg(3, 0, 4, 2, 2),   // CurrentEL (EL1 only)
    sysreg(3, 0, 13, 0, 4),  // TPIDR_EL1 (EL1 only)
    sysreg(1, 3, 7, 4, 1),   // DC ZVA
    sysreg(1, 3, 7, 11, 1),  // DC CVAU
    sysreg(1, 3, 7, 10, 1),  // DC CVAC
    sysreg(1, 3, 7, 14, 1),  // DC CIVAC
    sysreg(1, 3, 7, 5, 1),   // IC IVAU
    sysreg(1, 0, 7, 6, 1),   // DC IVAC (EL1 only)
};

bool has_sysreg_field(std::string_view name) {
  return name == "MRS" || name == "MSR_reg" || name == "SYS" || name == "SYSL";
}

// With probability 1/4 per wide field (7+ bits), a small magnitude: the low 1..6 bits random,
// the rest all zeros (or all ones: small negative offsets). Branch and load offsets then land
// near the code page and the window, shift amounts and bit positions hit their ends.
uint32_t shrink_wide_fields(Rng& rng, std::string_view pattern, uint32_t insn) {
  for (int i = 0; i < 32;) {
    const char c = pattern[i];
    int w = 1;
    while (i + w < 32 && pattern[i + w] == c) ++w;
    const bool field = c != '0' && c != '1' && c != '-';
    if (field && w >= 7 && rng.chance(25)) {
      const unsigned lsb = static_cast<unsigned>(32 - i - w);
      const unsigned keep = 1 + static_cast<unsigned>(rng.below(6));
      const uint32_t fmask = static_cast<uint32_t>(((uint64_t{1} << w) - 1) << lsb);
      const uint32_t high = fmask & ~static_cast<uint32_t>(((uint64_t{1} << keep) - 1) << lsb);
      insn = rng.chance(70) ? (insn & ~high) : (insn | high);
    }
    i += w;
  }
  return insn;
}

}  // namespace

std::optional<uint32_t> generate(Rng& rng, const Line& line, int tries) {
  const arm64::DecodeEntry& e = *line.entry;
  const bool sys = has_sysreg_field(e.name);
  for (int i = 0; i < tries; ++i) {
    uint32_t insn = e.value | (static_cast<uint32_t>(rng.next()) & ~e.mask);
    if (sys && rng.chance(60)) {
      const uint32_t f = kFocusSysreg[rng.below(std::size(kFocusSysreg))];
      insn = (insn & ~kSysregMask) | f;
    } else if (rng.chance(50)) {
      insn = e.value | (shrink_wide_fields(rng, line.pattern, insn) & ~e.mask);
    }
    if (arm64::decode(insn) == &e) return insn;
  }
  return std::nullopt;
}

bool Exclusion::matches(uint32_t insn) const {
  for (const Cond& c : conds)
    if ((c.lhs.eval(insn) == c.rhs.eval(insn)) != c.equal) return false;
  return true;
}

namespace {

bool parse_operand(std::string_view tok, std::string_view pattern, Exclusion::Operand* op) {
  if (tok.empty()) return false;
  if (std::isdigit(static_cast<unsigned char>(tok[0]))) {
    op->is_field = false;
    op->constant = static_cast<uint32_t>(std::stoul(std::string(tok), nullptr, 0));
    return true;
  }
  if (tok.size() != 1 || !std::isalpha(static_cast<unsigned char>(tok[0]))) return false;
  int first = -1, last = -1;
  for (int i = 0; i < 32; ++i)
    if (pattern[i] == tok[0]) {
      if (first < 0) first = i;
      last = i;
    }
  if (first < 0) return false;
  op->is_field = true;
  op->lsb = static_cast<unsigned>(31 - last);
  op->width = static_cast<unsigned>(last - first + 1);
  return true;
}

}  // namespace

bool load_exclusions(const std::string& path, std::vector<Exclusion>* out, std::string* error,
                     std::vector<std::string>* warnings) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  std::unordered_map<std::string_view, std::string_view> patterns;
  for (const Line& l : table_lines()) patterns[l.entry->name] = l.pattern;
  std::string text;
  int no = 0;
  while (std::getline(in, text)) {
    ++no;
    const auto hash = text.find_first_not_of(" \t");
    if (hash == std::string::npos || text[hash] == '#') continue;
    std::istringstream ss(text);
    Exclusion ex;
    ex.line_no = no;
    ss >> ex.handler;
    auto it = patterns.find(ex.handler);
    const bool known = it != patterns.end();
    if (!known)
      warnings->push_back(path + ":" + std::to_string(no) + ": no table line named " + ex.handler +
                          " (yet)");
    std::string tok;
    std::streampos reason_at = ss.tellg();
    while (ss >> tok) {
      const auto eq = tok.find("==");
      const auto ne = tok.find("!=");
      if (eq == std::string::npos && ne == std::string::npos) break;
      const size_t at = eq != std::string::npos ? eq : ne;
      Exclusion::Cond c;
      c.equal = eq != std::string::npos;
      if (known && (!parse_operand(std::string_view(tok).substr(0, at), it->second, &c.lhs) ||
                    !parse_operand(std::string_view(tok).substr(at + 2), it->second, &c.rhs))) {
        *error = path + ":" + std::to_string(no) + ": bad condition '" + tok +
                 "' (fields are pattern letters of " + ex.handler + ", or numbers)";
        return false;
      }
      ex.conds.push_back(c);
      reason_at = ss.tellg();
    }
    if (reason_at == std::streampos(-1)) reason_at = static_cast<std::streampos>(text.size());
    ex.reason = text.substr(static_cast<size_t>(reason_at));
    const auto start = ex.reason.find_first_not_of(" \t");
    ex.reason = start == std::string::npos ? "" : ex.reason.substr(start);
    if (ex.reason.empty()) {
      *error = path + ":" + std::to_string(no) + ": an exclusion needs a reason";
      return false;
    }
    if (known) out->push_back(std::move(ex));
  }
  return true;
}

}  // namespace xvm::difftest
