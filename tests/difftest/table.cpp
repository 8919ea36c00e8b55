#include "table.h"

#include <cctype>
#include <fstream>
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

std::optional<uint32_t> generate(Rng& rng, const Line& line, int tries) {
  const arm64::DecodeEntry& e = *line.entry;
  for (int i = 0; i < tries; ++i) {
    const uint32_t insn = e.value | (static_cast<uint32_t>(rng.next()) & ~e.mask);
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
      warnings->push_back(path + ":" + std::to_string(no) + ": no table line named " +
                          ex.handler + " (yet)");
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
