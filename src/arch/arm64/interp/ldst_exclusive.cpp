// Load/store exclusive, load-acquire/store-release and the ARMv8.1 compare-and-swap
// instructions (Arm ARM C4.1.88 "Load/store exclusive", "Compare and swap").
//
// The exclusive monitor (Arm ARM B2.9) is modelled for multi-threaded guests: a load-exclusive
// records address, size and the value loaded in the Cpu; a store-exclusive passes only if the
// monitor holds that address and size *and* a host compare-and-swap of the remembered value
// with the new one succeeds, so a write by another guest thread in between makes it fail.
// (A write that puts back the same value goes unnoticed, as in QEMU: the Arm ARM would clear
// the monitor, but an atomic sequence built on LDXR/STXR cannot tell the difference.) The
// monitor goes back to Open Access after every store-exclusive, pass or fail.
//
// CONSTRAINED UNPREDICTABLE choices, all as QEMU does: the should-be-one Rs/Rt2 fields are
// ignored; a store-exclusive reads Rt/Rt2 and Rn before writing the status register, so
// Rs == Rt or Rs == Rn behaves as "stores the old value / uses the old address"; LDXP with
// Rt == Rt2 leaves the second (higher-address) value; a store-exclusive whose monitor check
// fails makes no memory access (no translation or permission fault), but it is still checked
// for alignment first, as the Arm ARM pseudocode AArch64.ExclusiveMonitorsPass does. A
// store-exclusive must match the load-exclusive's size as well as its address to pass.
#include "arch/arm64/interp/ldst_common.h"

namespace xvm::arm64::interp {
namespace {

using u128 = unsigned __int128;

// Field positions shared by every line of this file (size 001000 o2 L o1 Rs o0 Rt2 Rn Rt).
inline constexpr Pattern kLayout{"zz001000-a-sssssluuuuunnnnnttttt"};
using F = Fields<kLayout>;

// --- load-exclusive ---

template <class T>
T load_exclusive(Cpu& cpu, uint64_t a, bool acquire) {
  const T* p = atomic_ptr<T>(cpu, a, false);
  const T v = acquire ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : __atomic_load_n(p, __ATOMIC_RELAXED);
  cpu.excl_addr = a;
  cpu.excl_value = v;
  cpu.excl_size = sizeof(T);
  return v;
}

// LDXR{B,H}, LDAXR{B,H}: one register of sizeof(T) bytes, zero-extended.
template <class T>
void ldxr(Cpu& cpu, uint32_t insn, bool acquire) {
  const F f{insn};
  cpu.set_xr(f.u<'t'>(), load_exclusive<T>(cpu, cpu.xsp(f.u<'n'>()), acquire));
}

// LDXP/LDAXP: size<0> = 0 two W registers (8 bytes, 8-aligned), 1 two X registers (16 bytes,
// 16-aligned; each doubleword single-copy atomic, as the Arm ARM requires).
void ldxp(Cpu& cpu, uint32_t insn, bool acquire) {
  const F f{insn};
  const uint64_t a = cpu.xsp(f.u<'n'>());
  const unsigned t = f.u<'t'>(), t2 = f.u<'u'>();
  if (!(f.u<'z'>() & 1)) {
    const uint64_t v = load_exclusive<uint64_t>(cpu, a, acquire);
    cpu.set_wr(t, static_cast<uint32_t>(v));
    cpu.set_wr(t2, static_cast<uint32_t>(v >> 32));
    return;
  }
  check_aligned(cpu, a, 16, false);
  const auto* p = reinterpret_cast<const uint64_t*>(host_ptr(cpu, a, 16, false));
  const int order = acquire ? __ATOMIC_ACQUIRE : __ATOMIC_RELAXED;
  const uint64_t lo = __atomic_load_n(p, order), hi = __atomic_load_n(p + 1, order);
  cpu.excl_addr = a;
  cpu.excl_value = (u128{hi} << 64) | lo;
  cpu.excl_size = 16;
  cpu.set_xr(t, lo);
  cpu.set_xr(t2, hi);
}

// --- store-exclusive ---

// True when the store happened (status 0).
template <class T>
bool store_exclusive(Cpu& cpu, uint64_t a, T v, bool release) {
  check_aligned(cpu, a, sizeof(T), true);
  const bool armed = cpu.excl_size == sizeof(T) && cpu.excl_addr == a;
  cpu.excl_size = 0;
  if (!armed) return false;
  T* p = reinterpret_cast<T*>(host_ptr(cpu, a, sizeof(T), true));
  T expected = static_cast<T>(cpu.excl_value);
  if constexpr (sizeof(T) == 16) {
    return cas16(p, &expected, v);
  } else {
    return __atomic_compare_exchange_n(p, &expected, v, false, host_order(false, release),
                                       __ATOMIC_RELAXED);
  }
}

template <class T>
void stxr(Cpu& cpu, uint32_t insn, bool release) {
  const F f{insn};
  const T v = static_cast<T>(cpu.xr(f.u<'t'>()));
  const bool ok = store_exclusive<T>(cpu, cpu.xsp(f.u<'n'>()), v, release);
  cpu.set_wr(f.u<'s'>(), ok ? 0 : 1);
}

void stxp(Cpu& cpu, uint32_t insn, bool release) {
  const F f{insn};
  const uint64_t a = cpu.xsp(f.u<'n'>());
  const uint64_t v1 = cpu.xr(f.u<'t'>()), v2 = cpu.xr(f.u<'u'>());
  bool ok;
  if (f.u<'z'>() & 1)
    ok = store_exclusive<u128>(cpu, a, (u128{v2} << 64) | v1, release);
  else
    ok = store_exclusive<uint64_t>(cpu, a, (v2 << 32) | static_cast<uint32_t>(v1), release);
  cpu.set_wr(f.u<'s'>(), ok ? 0 : 1);
}

// --- load-acquire / store-release (Arm ARM C6.2 LDAR, STLR): aligned, single-copy atomic ---

template <class T>
void ldar(Cpu& cpu, uint32_t insn) {
  const F f{insn};
  const T* p = atomic_ptr<T>(cpu, cpu.xsp(f.u<'n'>()), false);
  cpu.set_xr(f.u<'t'>(), __atomic_load_n(p, __ATOMIC_ACQUIRE));
}

template <class T>
void stlr(Cpu& cpu, uint32_t insn) {
  const F f{insn};
  const T v = static_cast<T>(cpu.xr(f.u<'t'>()));
  T* p = atomic_ptr<T>(cpu, cpu.xsp(f.u<'n'>()), true);
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);  // seq_cst: see host_order()
}

// --- compare and swap (ARMv8.1) ---

// CAS{A}{L}{B,H}: Rs is the compare value and receives the old memory value (zero-extended);
// Rt is stored when they match. The host CAS writes even on mismatch, so a read-only page
// faults either way (the Arm ARM allows a permission fault when nothing is stored).
template <class T>
void cas(Cpu& cpu, uint32_t insn) {
  const F f{insn};
  const unsigned s = f.u<'s'>();
  const bool acquire = f.u<'a'>(), release = f.u<'l'>();
  T* p = atomic_ptr<T>(cpu, cpu.xsp(f.u<'n'>()), true);
  T expected = static_cast<T>(cpu.xr(s));
  __atomic_compare_exchange_n(p, &expected, static_cast<T>(cpu.xr(f.u<'t'>())), false,
                              host_order(acquire, release), host_fail_order(acquire));
  cpu.set_xr(s, expected);
}

}  // namespace

void LDXRB(Cpu& cpu, uint32_t insn) {
  ldxr<uint8_t>(cpu, insn, false);
}
void LDAXRB(Cpu& cpu, uint32_t insn) {
  ldxr<uint8_t>(cpu, insn, true);
}
void LDXRH(Cpu& cpu, uint32_t insn) {
  ldxr<uint16_t>(cpu, insn, false);
}
void LDAXRH(Cpu& cpu, uint32_t insn) {
  ldxr<uint16_t>(cpu, insn, true);
}
void LDXR(Cpu& cpu, uint32_t insn) {
  F{insn}.u<'z'>() & 1 ? ldxr<uint64_t>(cpu, insn, false) : ldxr<uint32_t>(cpu, insn, false);
}
void LDAXR(Cpu& cpu, uint32_t insn) {
  F{insn}.u<'z'>() & 1 ? ldxr<uint64_t>(cpu, insn, true) : ldxr<uint32_t>(cpu, insn, true);
}
void LDXP(Cpu& cpu, uint32_t insn) {
  ldxp(cpu, insn, false);
}
void LDAXP(Cpu& cpu, uint32_t insn) {
  ldxp(cpu, insn, true);
}

void STXRB(Cpu& cpu, uint32_t insn) {
  stxr<uint8_t>(cpu, insn, false);
}
void STLXRB(Cpu& cpu, uint32_t insn) {
  stxr<uint8_t>(cpu, insn, true);
}
void STXRH(Cpu& cpu, uint32_t insn) {
  stxr<uint16_t>(cpu, insn, false);
}
void STLXRH(Cpu& cpu, uint32_t insn) {
  stxr<uint16_t>(cpu, insn, true);
}
void STXR(Cpu& cpu, uint32_t insn) {
  F{insn}.u<'z'>() & 1 ? stxr<uint64_t>(cpu, insn, false) : stxr<uint32_t>(cpu, insn, false);
}
void STLXR(Cpu& cpu, uint32_t insn) {
  F{insn}.u<'z'>() & 1 ? stxr<uint64_t>(cpu, insn, true) : stxr<uint32_t>(cpu, insn, true);
}
void STXP(Cpu& cpu, uint32_t insn) {
  stxp(cpu, insn, false);
}
void STLXP(Cpu& cpu, uint32_t insn) {
  stxp(cpu, insn, true);
}

void LDARB(Cpu& cpu, uint32_t insn) {
  ldar<uint8_t>(cpu, insn);
}
void LDARH(Cpu& cpu, uint32_t insn) {
  ldar<uint16_t>(cpu, insn);
}
void LDAR(Cpu& cpu, uint32_t insn) {
  F{insn}.u<'z'>() & 1 ? ldar<uint64_t>(cpu, insn) : ldar<uint32_t>(cpu, insn);
}
void STLRB(Cpu& cpu, uint32_t insn) {
  stlr<uint8_t>(cpu, insn);
}
void STLRH(Cpu& cpu, uint32_t insn) {
  stlr<uint16_t>(cpu, insn);
}
void STLR(Cpu& cpu, uint32_t insn) {
  F{insn}.u<'z'>() & 1 ? stlr<uint64_t>(cpu, insn) : stlr<uint32_t>(cpu, insn);
}

void CASB(Cpu& cpu, uint32_t insn) {
  cas<uint8_t>(cpu, insn);
}
void CASH(Cpu& cpu, uint32_t insn) {
  cas<uint16_t>(cpu, insn);
}
void CAS(Cpu& cpu, uint32_t insn) {
  F{insn}.u<'z'>() & 1 ? cas<uint64_t>(cpu, insn) : cas<uint32_t>(cpu, insn);
}

// CASP{A}{L}: a pair of W (size<0> = 0) or X registers compared and swapped as one naturally
// aligned 8- or 16-byte quantity; Rs and Rt must be even (Arm ARM C6.2 CASP: odd is
// UNDEFINED). Little-endian: the even register is the lower-address half.
void CASP(Cpu& cpu, uint32_t insn) {
  const F f{insn};
  const unsigned s = f.u<'s'>(), t = f.u<'t'>();
  if ((s | t) & 1) undefined(cpu, insn);
  const bool acquire = f.u<'a'>(), release = f.u<'l'>();
  const uint64_t a = cpu.xsp(f.u<'n'>());
  if (f.u<'z'>() & 1) {
    u128* p = atomic_ptr<u128>(cpu, a, true);
    u128 expected = (u128{cpu.xr(s + 1)} << 64) | cpu.xr(s);
    cas16(p, &expected, (u128{cpu.xr(t + 1)} << 64) | cpu.xr(t));
    cpu.set_xr(s, static_cast<uint64_t>(expected));
    cpu.set_xr(s + 1, static_cast<uint64_t>(expected >> 64));
    return;
  }
  uint64_t* p = atomic_ptr<uint64_t>(cpu, a, true);
  uint64_t expected = (cpu.xr(s + 1) << 32) | cpu.wr(s);
  const uint64_t desired = (cpu.xr(t + 1) << 32) | cpu.wr(t);
  __atomic_compare_exchange_n(p, &expected, desired, false, host_order(acquire, release),
                              host_fail_order(acquire));
  cpu.set_wr(s, static_cast<uint32_t>(expected));
  cpu.set_wr(s + 1, static_cast<uint32_t>(expected >> 32));
}

}  // namespace xvm::arm64::interp
