// Private helpers of the Advanced SIMD integer handlers (simd_*.cpp): lane access, the reserved
// size/Q rules, saturation (FPSR.QC) and the element loops the encoding classes share.
//
// Lane values are widened to 128-bit integers before any arithmetic, as the Arm ARM pseudocode
// computes on unbounded integers (SInt()/UInt() of each element, then +, *, <<, rounding
// constants). Every intermediate of these instructions fits: operands are at most 64 bits and
// the largest product (SQDMULL on 32-bit lanes, 2 * a * b) needs 65.
#pragma once
#include <algorithm>
#include <bit>
#include <type_traits>

#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp::simd {

using Wide = __int128;

// Field C of pattern P (Fields<P>, spelled for the templates below that take the pattern).
template <const Pattern& P, char C>
inline unsigned fld(uint32_t insn) {
  return Fields<P>{insn}.template u<C>();
}

// Whether pattern P has field C: scalar lines have no Q, so shared templates ask.
consteval bool has_field(const Pattern& p, char c) {
  for (char x : p.s)
    if (x == c) return true;
  return false;
}

// Element i of size 8 << size bits (Arm ARM Elem[]).
inline uint64_t lane(const VReg& v, unsigned size, unsigned i) {
  switch (size) {
    case 0:
      return v.b[i];
    case 1:
      return v.h[i];
    case 2:
      return v.s[i];
    default:
      return v.d[i];
  }
}

// Writes element i, keeping the low 8 << size bits of x (the pseudocode's truncation).
inline void set_lane(VReg& v, unsigned size, unsigned i, uint64_t x) {
  switch (size) {
    case 0:
      v.b[i] = static_cast<uint8_t>(x);
      break;
    case 1:
      v.h[i] = static_cast<uint16_t>(x);
      break;
    case 2:
      v.s[i] = static_cast<uint32_t>(x);
      break;
    default:
      v.d[i] = x;
      break;
  }
}

// SInt() or UInt() of an esize-bit element.
inline Wide widen(uint64_t raw, unsigned esize, bool uns) {
  return uns ? Wide(raw & ones(esize)) : Wide(sign_extend(raw, esize));
}

// Arm ARM SignedSatQ / UnsignedSatQ: x clamped to the esize-bit range; a clamp sets FPSR.QC
// (the cumulative saturation bit, Arm ARM D17.2.51).
inline Wide clamp(Cpu& cpu, Wide x, unsigned esize, bool uns) {
  const Wide hi = uns ? (Wide(1) << esize) - 1 : (Wide(1) << (esize - 1)) - 1;
  const Wide lo = uns ? Wide(0) : -(Wide(1) << (esize - 1));
  if (x > hi || x < lo) {
    cpu.fpsr |= fpsr::kQC;
    return x > hi ? hi : lo;
  }
  return x;
}

// SQDMULL's doubled product, saturated on its own (only -2^(esize-1) squared overflows) before
// SQDMLAL/SQDMLSL add it to the accumulator and saturate again; both clamps set QC (Arm ARM
// C7.2 SQDMLAL pseudocode).
inline Wide sqdmull_product(Cpu& cpu, Wide a, Wide b, unsigned esize) {
  return clamp(cpu, 2 * a * b, 2 * esize, false);
}

// The lane op of SQDMULL (accumulate = 0), SQDMLAL (+1) and SQDMLSL (-1) for map_long; the
// caller saturates the sum.
inline auto sqdmlal_op(Cpu& cpu, int accumulate) {
  return [&cpu, accumulate](Wide a, Wide b, Wide d, unsigned esize) {
    const Wide p = sqdmull_product(cpu, a, b, esize);
    return accumulate == 0 ? p : d + accumulate * p;
  };
}

// How an element loop turns an unbounded result into a lane: truncate (modular arithmetic) or
// saturate to the signed or unsigned range.
enum Res { kWrap, kSatS, kSatU };

inline uint64_t finish(Cpu& cpu, Wide x, unsigned esize, Res res) {
  if (res != kWrap) x = clamp(cpu, x, esize, res == kSatU);
  return static_cast<uint64_t>(x);
}

// Element sizes an encoding allows, as a mask over the size field (bit 0 = size 00 = bytes).
enum Sizes : unsigned { kB = 1, kH = 2, kS = 4, kD = 8, kHS = 6, kBHS = 7, kBHSD = 15 };

// Reserved size fields are UNDEF. Vector forms also reserve size = 11 with Q = 0 (the 1D
// arrangement) wherever they allow 64-bit elements at all.
inline void need_size(Cpu& cpu, uint32_t insn, unsigned allowed, unsigned size) {
  if (!((allowed >> size) & 1)) undefined(cpu, insn);
}
inline void need_vec_size(Cpu& cpu, uint32_t insn, unsigned allowed, unsigned size, unsigned q) {
  if (!((allowed >> size) & 1) || (size == 3 && !q)) undefined(cpu, insn);
}

// Number of lanes of a 64-bit (Q = 0) or 128-bit (Q = 1) vector of 8 << size bit elements.
inline unsigned lanes(unsigned size, unsigned q) {
  return (q ? 16u : 8u) >> size;
}

// The shared core of SSHL, SRSHL, SQSHL, SQRSHL and their unsigned forms (Arm ARM C7.2, the
// "element << shift" with a signed shift count): a negative shift is a right shift, rounded
// (+ 2^(n-1) first) when `round`. A left shift by esize or more leaves no bit inside the lane
// and saturates any nonzero element; +-2^120 stands for that value (it truncates to 0 and
// clamps like the exact result).
inline Wide shift_by(Wide x, int shift, bool round, unsigned esize) {
  if (shift >= 0) {
    if (shift >= static_cast<int>(esize))
      return x == 0 ? Wide(0) : x < 0 ? -(Wide(1) << 120) : Wide(1) << 120;
    return x << shift;
  }
  // Right shifts past 65 bits all give 0 (rounded) or the sign (truncated) for 64-bit lanes.
  const int n = std::min(-shift, 100);
  if (round) x += Wide(1) << (n - 1);
  return x >> n;
}

// The lane loops below run with the element size as a compile-time constant (one
// instantiation per size, chosen once per instruction): get<S>/put<S> are plain array accesses.
template <class F>
inline void with_size(unsigned size, F&& f) {
  switch (size) {
    case 0:
      f(std::integral_constant<unsigned, 0>{});
      break;
    case 1:
      f(std::integral_constant<unsigned, 1>{});
      break;
    case 2:
      f(std::integral_constant<unsigned, 2>{});
      break;
    default:
      f(std::integral_constant<unsigned, 3>{});
      break;
  }
}

// Element i of 8 << S bits as SInt() or UInt().
template <unsigned S>
inline Wide get(const VReg& v, unsigned i, bool uns) {
  if constexpr (S == 0)
    return uns ? Wide(v.b[i]) : Wide(v.sb[i]);
  else if constexpr (S == 1)
    return uns ? Wide(v.h[i]) : Wide(v.sh[i]);
  else if constexpr (S == 2)
    return uns ? Wide(v.s[i]) : Wide(v.ss[i]);
  else
    return uns ? Wide(v.d[i]) : Wide(v.sd[i]);
}

template <unsigned S>
inline void put(VReg& v, unsigned i, uint64_t x) {
  if constexpr (S == 0)
    v.b[i] = static_cast<uint8_t>(x);
  else if constexpr (S == 1)
    v.h[i] = static_cast<uint16_t>(x);
  else if constexpr (S == 2)
    v.s[i] = static_cast<uint32_t>(x);
  else
    v.d[i] = x;
}

// Lane loop of the same-size forms: lane i of Vd becomes op(a[i], b[i], old d[i], esize) for
// `count` lanes, every other bit of Vd zero (the upper half of a 64-bit vector, the rest of a
// scalar). Lanes are widened by `uns` first. op takes Wide values and returns a Wide.
template <class Op>
inline void map_lanes(Cpu& cpu, unsigned d, const VReg& a, const VReg& b, unsigned size,
                      unsigned count, bool uns, Res res, Op op) {
  const VReg acc = cpu.v[d];
  VReg r{};
  with_size(size, [&](auto s) {
    constexpr unsigned S = decltype(s)::value, esize = 8u << S;
    for (unsigned i = 0; i < count; ++i)
      put<S>(r, i,
             finish(cpu, op(get<S>(a, i, uns), get<S>(b, i, uns), get<S>(acc, i, uns), esize),
                    esize, res));
  });
  cpu.v[d] = r;
}

// Widening loop (the "L"/"W" forms): elements of 8 << size bits from the Q-selected half of a
// (a_wide: a already holds 2*esize-bit elements, the "W" forms) and of b give 2*esize-bit
// results; op sees the narrow esize, the accumulator is the wide old Vd lane. size < 3.
template <class Op>
inline void map_long(Cpu& cpu, unsigned d, const VReg& a, bool a_wide, const VReg& b, unsigned size,
                     unsigned q, unsigned count, bool uns, Res res, Op op) {
  const VReg acc = cpu.v[d];
  const unsigned base = q ? count : 0;
  VReg r{};
  with_size(size, [&](auto s) {
    constexpr unsigned S = decltype(s)::value, esize = 8u << S;
    if constexpr (S < 3) {
      for (unsigned i = 0; i < count; ++i) {
        const Wide x = a_wide ? get<S + 1>(a, i, uns) : get<S>(a, base + i, uns);
        put<S + 1>(r, i,
                   finish(cpu, op(x, get<S>(b, base + i, uns), get<S + 1>(acc, i, uns), esize),
                          2 * esize, res));
      }
    }
  });
  cpu.v[d] = r;
}

// Narrowing loop (the "N"/"XTN" forms): 2*esize-bit elements of a and b give esize-bit results
// written to the low half of Vd (upper half zeroed) or, for the "2" forms (q), to the upper
// half with the low half kept (Arm ARM Vpart[d, part]). size < 3.
template <class Op>
inline void map_narrow(Cpu& cpu, unsigned d, const VReg& a, const VReg& b, unsigned size,
                       unsigned q, unsigned count, bool uns, Res res, Op op) {
  VReg r = q ? cpu.v[d] : VReg{};
  const unsigned base = q ? count : 0;
  with_size(size, [&](auto s) {
    constexpr unsigned S = decltype(s)::value, esize = 8u << S;
    if constexpr (S < 3) {
      for (unsigned i = 0; i < count; ++i)
        put<S>(r, base + i,
               finish(cpu, op(get<S + 1>(a, i, uns), get<S + 1>(b, i, uns), Wide(0), esize), esize,
                      res));
    }
  });
  cpu.v[d] = r;
}

// Vm with element `index` (8 << size bits) copied to every lane: the by-element forms then run
// the ordinary lane loops.
inline VReg broadcast(const VReg& m, unsigned size, unsigned index) {
  VReg r{};
  const uint64_t x = lane(m, size, index);
  for (unsigned i = 0; i < (16u >> size); ++i) set_lane(r, size, i, x);
  return r;
}

}  // namespace xvm::arm64::interp::simd
