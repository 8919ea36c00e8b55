// ARMv8.1 LSE atomic memory operations (Arm ARM C4.1.88 "Atomic memory operations"):
// LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN and SWP, in every size (B, H, W,
// X) and ordering (A acquire, L release); ST<op> is the same encoding with Rt = 31.
//
// Each is one host atomic read-modify-write on the guest location, so it is atomic against
// the other guest threads; the max/min forms are a compare-and-swap loop. The old memory
// value goes to Rt, zero-extended. The access must be naturally aligned (Alignment fault).
#include "arch/arm64/interp/ldst_common.h"

namespace xvm::arm64::interp {
namespace {

enum class Rmw { Add, Clr, Eor, Set, SMax, SMin, UMax, UMin, Swp };

inline constexpr Pattern kLayout{"zz111000al1sssss------nnnnnttttt"};
using F = Fields<kLayout>;

// Returns the old value.
template <Rmw kOp, class T>
T host_rmw(T* p, T v, int order) {
  using S = std::make_signed_t<T>;
  switch (kOp) {
    case Rmw::Add:
      return __atomic_fetch_add(p, v, order);
    case Rmw::Clr:
      return __atomic_fetch_and(p, static_cast<T>(~v), order);
    case Rmw::Eor:
      return __atomic_fetch_xor(p, v, order);
    case Rmw::Set:
      return __atomic_fetch_or(p, v, order);
    case Rmw::Swp:
      return __atomic_exchange_n(p, v, order);
    default:
      break;
  }
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  for (;;) {
    T next;
    switch (kOp) {
      case Rmw::SMax:
        next = static_cast<S>(old) > static_cast<S>(v) ? old : v;
        break;
      case Rmw::SMin:
        next = static_cast<S>(old) < static_cast<S>(v) ? old : v;
        break;
      case Rmw::UMax:
        next = old > v ? old : v;
        break;
      default:
        next = old < v ? old : v;
        break;
    }
    // The store happens even when the value is unchanged: the Arm ARM's MemAtomic always
    // writes, so a read-only page faults.
    if (__atomic_compare_exchange_n(p, &old, next, true, order, __ATOMIC_RELAXED)) return old;
  }
}

template <Rmw kOp, class T>
void rmw_sized(Cpu& cpu, uint32_t insn) {
  const F f{insn};
  const T v = static_cast<T>(cpu.xr(f.u<'s'>()));
  T* p = atomic_ptr<T>(cpu, cpu.xsp(f.u<'n'>()), true);
  cpu.set_xr(f.u<'t'>(), host_rmw<kOp, T>(p, v, host_order(f.u<'a'>(), f.u<'l'>())));
}

template <Rmw kOp>
void rmw(Cpu& cpu, uint32_t insn) {
  switch (F{insn}.u<'z'>()) {
    case 0:
      return rmw_sized<kOp, uint8_t>(cpu, insn);
    case 1:
      return rmw_sized<kOp, uint16_t>(cpu, insn);
    case 2:
      return rmw_sized<kOp, uint32_t>(cpu, insn);
    default:
      return rmw_sized<kOp, uint64_t>(cpu, insn);
  }
}

}  // namespace

void LDADD(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::Add>(cpu, insn);
}
void LDCLR(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::Clr>(cpu, insn);
}
void LDEOR(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::Eor>(cpu, insn);
}
void LDSET(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::Set>(cpu, insn);
}
void LDSMAX(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::SMax>(cpu, insn);
}
void LDSMIN(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::SMin>(cpu, insn);
}
void LDUMAX(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::UMax>(cpu, insn);
}
void LDUMIN(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::UMin>(cpu, insn);
}
void SWP(Cpu& cpu, uint32_t insn) {
  rmw<Rmw::Swp>(cpu, insn);
}

}  // namespace xvm::arm64::interp
