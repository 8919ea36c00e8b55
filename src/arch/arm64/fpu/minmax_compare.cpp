// FPMax, FPMin, FPMaxNum, FPMinNum, FPCompare, FPCompareEQ/GE/GT (Arm ARM J1
// shared/functions/float). All exact: the only rounding-free work is ordering two values.
#include <bit>

#include "arch/arm64/fpu/soft.h"

namespace xvm::arm64::fpu {
namespace {

using namespace detail;

// Ordering of two unpacked non-NaN values: -1, 0, +1 (zeros of either sign are equal).
template <class T> int order(const Unpacked<T>& a, const Unpacked<T>& b) {
  // Flushed denormals are zeros: compare the effective bit patterns as sign-magnitude.
  auto key = [](const Unpacked<T>& u) -> T {
    return u.type == Type::Zero ? T(0) : abs(u.bits);
  };
  const T ka = key(a), kb = key(b);
  if (ka == 0 && kb == 0) return 0;
  const bool sa = a.sign && ka != 0, sb = b.sign && kb != 0;
  if (sa != sb) return sa ? -1 : 1;
  if (ka == kb) return 0;
  const int mag = ka < kb ? -1 : 1;
  return sa ? -mag : mag;
}

// The FPMax/FPMin tail once NaNs are out of the way: the chosen operand, with FZ's flush and
// Arm's sign rule for two zeros (max prefers +0, min prefers -0).
template <class T> T pick(const Unpacked<T>& a, const Unpacked<T>& b, bool is_max) {
  const int o = order(a, b);
  const Unpacked<T>& w = (is_max ? o > 0 : o < 0) ? a : b;
  if (w.type == Type::Zero) {
    const bool sign = is_max ? (a.sign && b.sign) : (a.sign || b.sign);
    // Only when both are zeros does the pseudocode's sign rule see two zeros; otherwise the
    // chosen zero is the larger (smaller) value and keeps its own sign.
    if (a.type == Type::Zero && b.type == Type::Zero) return zero<T>(sign);
    return zero<T>(w.sign);
  }
  return w.bits;  // FPRound of an unflushed operand is exact and raises nothing
}

template <class T> T minmax(T op1, T op2, bool is_max, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  T r;
  if (process_nans(a, b, fpcr, fpsr, r)) return r;
  return pick(a, b, is_max);
}

// FPMaxNum/FPMinNum: a single quiet NaN loses to any number (it becomes -inf for max, +inf
// for min, then FPMax/FPMin run as usual).
template <class T> T minmax_num(T op1, T op2, bool is_max, uint32_t fpcr, uint32_t& fpsr) {
  uint32_t ignored = 0;
  const auto a = unpack(op1, fpcr, ignored);
  const auto b = unpack(op2, fpcr, ignored);
  const T repl = infinity<T>(is_max);
  if (a.type == Type::QNaN && b.type != Type::QNaN) op1 = repl;
  else if (a.type != Type::QNaN && b.type == Type::QNaN) op2 = repl;
  return minmax(op1, op2, is_max, fpcr, fpsr);
}

}  // namespace

template <class T> T max(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return minmax(op1, op2, true, fpcr, fpsr);
}
template <class T> T min(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return minmax(op1, op2, false, fpcr, fpsr);
}
template <class T> T max_num(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return minmax_num(op1, op2, true, fpcr, fpsr);
}
template <class T> T min_num(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  return minmax_num(op1, op2, false, fpcr, fpsr);
}

template <class T>
uint32_t compare(T op1, T op2, bool signal_nans, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  const bool nan1 = a.type == Type::QNaN || a.type == Type::SNaN;
  const bool nan2 = b.type == Type::QNaN || b.type == Type::SNaN;
  if (nan1 || nan2) {
    if (a.type == Type::SNaN || b.type == Type::SNaN || signal_nans) fpsr |= fpsr::kIOC;
    return 0x3u << 28;  // unordered: C and V
  }
  const int o = order(a, b);
  return o == 0 ? 0x6u << 28 : o < 0 ? 0x8u << 28 : 0x2u << 28;
}

template <class T> bool compare_eq(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  if (a.type >= Type::QNaN || b.type >= Type::QNaN) {
    if (a.type == Type::SNaN || b.type == Type::SNaN) fpsr |= fpsr::kIOC;
    return false;
  }
  return order(a, b) == 0;
}

// GE and GT signal on every NaN (they are the ordered comparisons).
template <class T> bool compare_ge(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  if (a.type >= Type::QNaN || b.type >= Type::QNaN) {
    fpsr |= fpsr::kIOC;
    return false;
  }
  return order(a, b) >= 0;
}

template <class T> bool compare_gt(T op1, T op2, uint32_t fpcr, uint32_t& fpsr) {
  const auto a = unpack(op1, fpcr, fpsr);
  const auto b = unpack(op2, fpcr, fpsr);
  if (a.type >= Type::QNaN || b.type >= Type::QNaN) {
    fpsr |= fpsr::kIOC;
    return false;
  }
  return order(a, b) > 0;
}

#define XVM_INSTANTIATE(T)                                            \
  template T max(T, T, uint32_t, uint32_t&);                          \
  template T min(T, T, uint32_t, uint32_t&);                          \
  template T max_num(T, T, uint32_t, uint32_t&);                      \
  template T min_num(T, T, uint32_t, uint32_t&);                      \
  template uint32_t compare(T, T, bool, uint32_t, uint32_t&);         \
  template bool compare_eq(T, T, uint32_t, uint32_t&);                \
  template bool compare_ge(T, T, uint32_t, uint32_t&);                \
  template bool compare_gt(T, T, uint32_t, uint32_t&);
XVM_INSTANTIATE(uint32_t)
XVM_INSTANTIATE(uint64_t)
#undef XVM_INSTANTIATE

}  // namespace xvm::arm64::fpu
