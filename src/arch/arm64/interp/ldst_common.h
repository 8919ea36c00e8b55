// Shared pieces of the load/store handlers (Arm ARM C4.1.88): how one register moves between
// the register file and memory, and the addressing forms that compute the address. Private to
// the interp/ldst*.cpp files.
//
// Each addressing form is a struct template over the table line's Pattern (for its fields) and
// an access Op (GprLoad, GprStore, VecOp, Prefetch), so that a handler is one line naming the
// Arm ARM "shared decode" choices: size, signedness, register width.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {

// --- host-side memory helpers ------------------------------------------------------------

// Makes sure the last byte of a store of n bytes at guest address a can be written before any
// byte is, when the range crosses a page: a pair or structure store that faults on its second
// page must not leave its first page half-written (the Arm ARM lets a faulting store leave the
// target UNKNOWN, but Linux programs retrying after SIGSEGV expect nothing written). The probe
// is a locked OR with 0: a write access that changes nothing, atomic against other threads.
// Ranges within one page need nothing: host_ptr() checks the bounds and one page has one
// permission.
inline uint8_t* store_ptr(Cpu& cpu, uint64_t a, uint64_t n) {
  uint8_t* p = host_ptr(cpu, a, n, true);
  if (((a ^ (a + n - 1)) >> 12) != 0) {
#if defined(__x86_64__)
    asm volatile("lock orb $0, %0" : "+m"(p[n - 1])::"memory");
#else
    __atomic_fetch_or(&p[n - 1], uint8_t{0}, __ATOMIC_RELAXED);
#endif
  }
  return p;
}

// n bytes to guest address a, all or nothing across a page boundary.
inline void write_bytes(Cpu& cpu, uint64_t a, const void* src, uint64_t n) {
  if (cpu.sys) [[unlikely]]
    return cpu.sys->write_bytes(cpu, a, src, n);
  std::memcpy(store_ptr(cpu, a, n), src, n);
}

// A load whose result is discarded (Rt = XZR) still accesses memory and can fault (Arm ARM
// C6.2 LDR: the load happens regardless of the destination), but the compiler drops a load
// nobody uses, so such loads read their first and last byte through volatile: that touches
// every page of the (at most 16-byte) range.
inline void touch_load(Cpu& cpu, uint64_t a, uint64_t n) {
  if (cpu.sys) [[unlikely]] {
    uint8_t scratch[64];
    return read_bytes(cpu, a, scratch, n);  // n <= 64: the largest structure access
  }
  const volatile uint8_t* p = host_ptr(cpu, a, n, false);
  (void)p[0];
  (void)p[n - 1];
}

// Arm ARM B2.5.2: exclusives, load-acquire/store-release and atomics must be naturally aligned
// (to the size of the whole access, pairs included) whatever SCTLR_EL1.A says.
inline void check_aligned(Cpu& cpu, uint64_t a, uint64_t bytes, bool write) {
  if (a & (bytes - 1)) [[unlikely]]
    alignment_fault(cpu, a, write);
}

// Arm ARM J1 "ExtendReg" for the register-offset forms: option 010 UXTW, 011 LSL (UXTX),
// 110 SXTW, 111 SXTX; the caller has rejected option<1> == 0 (UNDEFINED).
inline uint64_t extend_offset(uint64_t m, unsigned option, unsigned shift) {
  uint64_t v;
  switch (option) {
    case 2:
      v = static_cast<uint32_t>(m);
      break;
    case 6:
      v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(m)));
      break;
    default:
      v = m;
      break;
  }
  return v << shift;
}

// --- access ops: one register <-> memory -------------------------------------------------

// Load of a T from memory into Xt/Wt. A signed T sign-extends (LDRS*); kRegBits 32 writes Wt
// (which zeroes the upper half), 64 writes Xt.
template <class T, unsigned kRegBits>
struct GprLoad {
  static constexpr unsigned kScale = std::countr_zero(sizeof(T));
  static constexpr bool kLoad = true;
  static uint64_t extend(T v) {
    const uint64_t r = std::is_signed_v<T> ? static_cast<uint64_t>(static_cast<int64_t>(v))
                                           : static_cast<uint64_t>(v);
    return kRegBits == 32 ? static_cast<uint32_t>(r) : r;
  }
  static void access(Cpu& cpu, unsigned t, uint64_t a) {
    if (t == 31) [[unlikely]]
      return touch_load(cpu, a, sizeof(T));
    cpu.set_xr(t, extend(load<T>(cpu, a)));
  }
  // Pair: both loads happen before either register is written, so a fault on the second leaves
  // both registers untouched. With t == t2 (CONSTRAINED UNPREDICTABLE, Arm ARM C6.2 LDP) Xt is
  // written last, so the first element wins, as in QEMU.
  static void pair(Cpu& cpu, unsigned t, unsigned t2, uint64_t a) {
    T v[2];
    if (t == 31 || t2 == 31) [[unlikely]]
      touch_load(cpu, a, sizeof v);
    read_bytes(cpu, a, v, sizeof v);
    cpu.set_xr(t2, extend(v[1]));
    cpu.set_xr(t, extend(v[0]));
  }
};

template <class T>
struct GprStore {
  static constexpr unsigned kScale = std::countr_zero(sizeof(T));
  static constexpr bool kLoad = false;
  static void access(Cpu& cpu, unsigned t, uint64_t a) {
    store<T>(cpu, a, static_cast<T>(cpu.xr(t)));
  }
  static void pair(Cpu& cpu, unsigned t, unsigned t2, uint64_t a) {
    const T v[2] = {static_cast<T>(cpu.xr(t)), static_cast<T>(cpu.xr(t2))};
    write_bytes(cpu, a, v, sizeof v);
  }
};

// SIMD&FP register access of sizeof(T) bytes (B, H, S, D or Q). Loads zero the rest of Vt.
template <class T, bool kIsLoad>
struct VecOp {
  static constexpr unsigned kScale = std::countr_zero(sizeof(T));
  static constexpr bool kLoad = kIsLoad;
  static void access(Cpu& cpu, unsigned t, uint64_t a) {
    if constexpr (kIsLoad) {
      VReg r{};
      read_bytes(cpu, a, r.b, sizeof(T));
      cpu.v[t] = r;
    } else {
      // store_ptr: a Q store may be two host stores; keep it all-or-nothing across pages.
      write_bytes(cpu, a, cpu.v[t].b, sizeof(T));
    }
  }
  // With t == t2 on a load, Vt2 is written last (QEMU's order; the value is UNKNOWN in the Arm
  // ARM).
  static void pair(Cpu& cpu, unsigned t, unsigned t2, uint64_t a) {
    if constexpr (kIsLoad) {
      VReg r[2] = {};
      uint8_t buf[2 * sizeof(T)];
      read_bytes(cpu, a, buf, sizeof buf);
      std::memcpy(r[0].b, buf, sizeof(T));
      std::memcpy(r[1].b, buf + sizeof(T), sizeof(T));
      cpu.v[t] = r[0];
      cpu.v[t2] = r[1];
    } else {
      uint8_t buf[2 * sizeof(T)];
      std::memcpy(buf, cpu.v[t].b, sizeof(T));
      std::memcpy(buf + sizeof(T), cpu.v[t2].b, sizeof(T));
      write_bytes(cpu, a, buf, sizeof buf);
    }
  }
};

// PRFM/PRFUM: a hint. It never faults and never changes state (Arm ARM C6.2 PRFM).
struct Prefetch {
  static constexpr unsigned kScale = 3;
  static constexpr bool kLoad = true;
  static void access(Cpu&, unsigned, uint64_t) {}
};

// --- addressing forms (Arm ARM C6.2 LDR (immediate) / (register) / (literal), LDP) ----------
// Register writeback happens after the access: with Rn == Rt on a load (CONSTRAINED
// UNPREDICTABLE) the base register ends up holding the written-back address, as in QEMU; a
// store with Rn == Rt stores the original register value (the Arm ARM's Constraint_NONE).

// Unsigned offset: address = Rn|SP + imm12 << scale.
template <const Pattern& P, class Op>
struct UImm {
  static void run(Cpu& cpu, uint32_t insn) {
    const Fields<P> f{insn};
    const uint64_t off = uint64_t{f.template u<'i'>()} << Op::kScale;
    Op::access(cpu, f.template u<'t'>(), cpu.xsp(f.template u<'n'>()) + off);
  }
};

// Pre-index (p=1: access at Rn+imm9) or post-index (p=0: access at Rn), then Rn += imm9.
template <const Pattern& P, class Op>
struct ImmWb {
  static void run(Cpu& cpu, uint32_t insn) {
    const Fields<P> f{insn};
    const unsigned n = f.template u<'n'>();
    const uint64_t base = cpu.xsp(n);
    const uint64_t next = base + static_cast<uint64_t>(f.template s<'i'>());
    Op::access(cpu, f.template u<'t'>(), f.template u<'p'>() ? next : base);
    cpu.set_xsp(n, next);
  }
};

// Unscaled (LDUR) and unprivileged (LDTR, which at EL0 is an ordinary access): Rn + imm9.
template <const Pattern& P, class Op>
struct Unscaled {
  static void run(Cpu& cpu, uint32_t insn) {
    const Fields<P> f{insn};
    const uint64_t off = static_cast<uint64_t>(f.template s<'i'>());
    Op::access(cpu, f.template u<'t'>(), cpu.xsp(f.template u<'n'>()) + off);
  }
};

// Register offset: Rn + ExtendReg(Rm, option, S ? scale : 0); option<1> == 0 is UNDEFINED.
template <const Pattern& P, class Op>
struct RegOff {
  static void run(Cpu& cpu, uint32_t insn) {
    const Fields<P> f{insn};
    const unsigned option = f.template u<'o'>();
    if (!(option & 2)) undefined(cpu, insn);
    const uint64_t off =
        extend_offset(cpu.xr(f.template u<'m'>()), option, f.template u<'S'>() ? Op::kScale : 0);
    Op::access(cpu, f.template u<'t'>(), cpu.xsp(f.template u<'n'>()) + off);
  }
};

// PC-relative literal: address = PC + imm19 * 4.
template <const Pattern& P, class Op>
struct Literal {
  static void run(Cpu& cpu, uint32_t insn) {
    const Fields<P> f{insn};
    Op::access(cpu, f.template u<'t'>(),
               cpu.pc + (static_cast<uint64_t>(f.template s<'i'>()) << 2));
  }
};

// Register pair, field w: 01 post-index, 10 signed offset, 11 pre-index (00 is the no-allocate
// pair, its own table lines, which call this with kNoAlloc). Offset = imm7 << scale.
template <const Pattern& P, class Op, bool kNoAlloc = false>
struct Pair {
  static void run(Cpu& cpu, uint32_t insn) {
    const Fields<P> f{insn};
    const unsigned n = f.template u<'n'>();
    unsigned w = 2;  // LDNP/STNP: signed offset, no writeback
    if constexpr (!kNoAlloc) w = f.template u<'w'>();
    const uint64_t base = cpu.xsp(n);
    const uint64_t next = base + (static_cast<uint64_t>(f.template s<'i'>()) << Op::kScale);
    Op::pair(cpu, f.template u<'t'>(), f.template u<'u'>(), w == 1 ? base : next);
    if (w != 2) cpu.set_xsp(n, next);
  }
};

// Runs Form with Op1 when `sel` (a size or signedness bit of the encoding) is set, else Op0.
template <template <const Pattern&, class> class Form, const Pattern& P, class Op1, class Op0>
inline void run_either(bool sel, Cpu& cpu, uint32_t insn) {
  if (sel)
    Form<P, Op1>::run(cpu, insn);
  else
    Form<P, Op0>::run(cpu, insn);
}

// The general-purpose access ops by Arm ARM size/signedness name.
using LdB = GprLoad<uint8_t, 32>;
using LdSBW = GprLoad<int8_t, 32>;
using LdSBX = GprLoad<int8_t, 64>;
using LdH = GprLoad<uint16_t, 32>;
using LdSHW = GprLoad<int16_t, 32>;
using LdSHX = GprLoad<int16_t, 64>;
using LdW = GprLoad<uint32_t, 32>;
using LdSW = GprLoad<int32_t, 64>;
using LdX = GprLoad<uint64_t, 64>;
using StB = GprStore<uint8_t>;
using StH = GprStore<uint16_t>;
using StW = GprStore<uint32_t>;
using StX = GprStore<uint64_t>;

// --- host atomics (exclusives, ordered accesses, LSE) --------------------------------------

// Host memory order for an access with Arm acquire (A) / release (L) semantics. Arm's
// load-acquire/store-release are RCsc: a store-release followed by a load-acquire must not be
// reordered, which C++ release + acquire alone would allow, so anything with release semantics
// is seq_cst. (On x86-64 every locked read-modify-write is a full barrier anyway.)
inline int host_order(bool acquire, bool release) {
  return release ? __ATOMIC_SEQ_CST : acquire ? __ATOMIC_ACQUIRE : __ATOMIC_RELAXED;
}
inline int host_fail_order(bool acquire) {
  return acquire ? __ATOMIC_ACQUIRE : __ATOMIC_RELAXED;
}

// Host pointer for a naturally aligned atomic access of sizeof(T) bytes: the alignment fault
// comes first, as in the Arm ARM's CheckAlignment before translation.
template <class T>
inline T* atomic_ptr(Cpu& cpu, uint64_t a, bool write) {
  check_aligned(cpu, a, sizeof(T), write);
  return reinterpret_cast<T*>(host_ptr(cpu, a, sizeof(T), write));
}

// 16-byte compare-and-swap (CASP X, STXP X). g++ 12 sends __atomic on 16 bytes to libatomic,
// so on x86-64 this is a LOCK CMPXCHG16B (every x86-64 CPU xvm supports has CX16). On failure
// *expected receives the current memory value, like __atomic_compare_exchange.
inline bool cas16(unsigned __int128* p, unsigned __int128* expected, unsigned __int128 desired) {
#if defined(__x86_64__)
  uint64_t lo = static_cast<uint64_t>(*expected), hi = static_cast<uint64_t>(*expected >> 64);
  bool ok;
  asm volatile("lock cmpxchg16b %[m]"
               : "=@ccz"(ok), [m] "+m"(*p), "+a"(lo), "+d"(hi)
               : "b"(static_cast<uint64_t>(desired)), "c"(static_cast<uint64_t>(desired >> 64))
               : "memory");
  *expected = (static_cast<unsigned __int128>(hi) << 64) | lo;
  return ok;
#else
  return __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
#endif
}

}  // namespace xvm::arm64::interp
