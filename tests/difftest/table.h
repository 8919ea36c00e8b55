// The decode table as the difftest sees it: each line with its pattern string (for field
// names), the random-encoding generator, and the exclusion list (exclusions.txt).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arch/arm64/decoder.h"
#include "state.h"

namespace xvm::difftest {

struct Line {
  const arm64::DecodeEntry* entry;
  std::string_view pattern;  // the 32-character a64.inc pattern
};

// Every line of a64.inc, in table order.
const std::vector<Line>& table_lines();

// A random encoding `value | (random & ~mask)` that decodes to this very line (a more
// specific line may claim some encodings of a general one); nullopt after `tries` misses.
std::optional<uint32_t> generate(Rng& rng, const Line& line, int tries = 1000);

// One exclusions.txt line: "HANDLER [COND ...] REASON", COND being `f==g`, `f!=g`, `f==N` or
// `f!=N` over the fields (pattern letters) of that handler's line.
struct Exclusion {
  struct Operand {
    bool is_field = false;
    unsigned lsb = 0, width = 0;
    uint32_t constant = 0;
    uint32_t eval(uint32_t insn) const {
      return is_field ? (insn >> lsb) & static_cast<uint32_t>((uint64_t{1} << width) - 1)
                      : constant;
    }
  };
  struct Cond {
    Operand lhs, rhs;
    bool equal = true;
  };
  std::string handler;
  std::vector<Cond> conds;
  std::string reason;
  int line_no = 0;
  bool matches(uint32_t insn) const;
};

// Parses the file; returns false with a message in *error on a malformed line. Lines naming a
// handler that is not (yet) in the table are kept and reported as warnings in *warnings.
bool load_exclusions(const std::string& path, std::vector<Exclusion>* out, std::string* error,
                     std::vector<std::string>* warnings);

}  // namespace xvm::difftest
