// Lifting loads and stores of general-purpose registers (Arm ARM C4.1.88), with the same
// observable order as the interpreter (interp/ldst_common.h): the access comes first, then the
// base writeback, so with Rn == Rt on a load the written-back address wins and a store stores
// the original register; a pair loads both elements before writing either register.
#include <optional>

#include "arch/arm64/lift/lifter.h"

namespace xvm::arm64::lift {
namespace {

using ir::Opcode;
using ir::Temp;

// One register <-> memory transfer: `bytes` wide, sign-extending loads when `sign`, into a W
// (reg_bits 32) or X register, or (vec) a SIMD&FP register B/H/S/D/Q.
struct Access {
  unsigned bytes;
  bool load;
  bool sign = false;
  unsigned reg_bits = 64;
  bool vec = false;
};
constexpr unsigned scale(const Access& a) { return __builtin_ctz(a.bytes); }

Temp load(Lifter& L, const Access& a, Temp addr) {
  Temp v = L.b.emit({.op = Opcode::Load, .width = uint8_t(a.bytes), .aux = uint8_t(a.sign),
                     .a = {addr, ir::kNoTemp, ir::kNoTemp}});
  if (a.reg_bits == 32 && a.sign) v = L.zext32(v);
  return v;
}

void store(Lifter& L, unsigned bytes, Temp addr, Temp v) {
  L.b.emit({.op = Opcode::Store, .width = uint8_t(bytes), .a = {addr, v, ir::kNoTemp}});
}

// A SIMD&FP register transfer; `t2` + 1 names the second register of a pair (0: none).
void vaccess(Lifter& L, const Access& a, unsigned t, Temp addr, unsigned t2_plus1 = 0) {
  L.b.emit({.op = a.load ? Opcode::VLoad : Opcode::VStore, .width = uint8_t(a.bytes),
            .aux = uint8_t(t), .a = {addr, ir::kNoTemp, ir::kNoTemp}, .imm = t2_plus1});
}

void access(Lifter& L, const Access& a, unsigned t, Temp addr) {
  if (a.vec) vaccess(L, a, t, addr);
  else if (a.load) L.set_x(t, load(L, a, addr));
  else store(L, a.bytes, addr, L.x(t));
}

Temp add(Lifter& L, Temp base, uint64_t off) {
  return off ? L.op(Opcode::Add, 64, base, L.k(off)) : base;
}

template <const Pattern& P>
bool uimm(Lifter& L, uint32_t insn, Access a) {
  const Fields<P> f{insn};
  const uint64_t off = uint64_t{f.template u<'i'>()} << scale(a);
  access(L, a, f.template u<'t'>(), add(L, L.xsp(f.template u<'n'>()), off));
  return true;
}

template <const Pattern& P>
bool imm_wb(Lifter& L, uint32_t insn, Access a) {
  const Fields<P> f{insn};
  const unsigned n = f.template u<'n'>();
  const Temp base = L.xsp(n);
  const Temp next = add(L, base, static_cast<uint64_t>(f.template s<'i'>()));
  access(L, a, f.template u<'t'>(), f.template u<'p'>() ? next : base);
  L.set_xsp(n, next);
  return true;
}

template <const Pattern& P>
bool unscaled(Lifter& L, uint32_t insn, Access a) {
  const Fields<P> f{insn};
  access(L, a, f.template u<'t'>(),
         add(L, L.xsp(f.template u<'n'>()), static_cast<uint64_t>(f.template s<'i'>())));
  return true;
}

// Register offset: option<1> == 0 is UNDEFINED (declined); ExtendReg then the optional scale.
template <const Pattern& P>
bool reg_off(Lifter& L, uint32_t insn, Access a) {
  const Fields<P> f{insn};
  const unsigned option = f.template u<'o'>();
  if (!(option & 2)) return false;
  Temp m = L.x(f.template u<'m'>());
  if (option == 2) m = L.b.op1(Opcode::ZExt, 64, m, 32);
  else if (option == 6) m = L.b.op1(Opcode::SExt, 64, m, 32);
  if (f.template u<'S'>() && scale(a)) m = L.op(Opcode::Lsl, 64, m, L.k(scale(a)));
  access(L, a, f.template u<'t'>(), L.op(Opcode::Add, 64, L.xsp(f.template u<'n'>()), m));
  return true;
}

template <const Pattern& P>
bool literal(Lifter& L, uint32_t insn, Access a) {
  const Fields<P> f{insn};
  access(L, a, f.template u<'t'>(), L.k(L.pc + (static_cast<uint64_t>(f.template s<'i'>()) << 2)));
  return true;
}

// Pair, field w: 01 post-index, 10 signed offset, 11 pre-index (no_alloc: always offset).
template <const Pattern& P, bool kNoAlloc = false>
bool pair(Lifter& L, uint32_t insn, Access a) {
  const Fields<P> f{insn};
  const unsigned n = f.template u<'n'>(), t = f.template u<'t'>(), t2 = f.template u<'u'>();
  unsigned w = 2;
  if constexpr (!kNoAlloc) w = f.template u<'w'>();
  const Temp base = L.xsp(n);
  const Temp next = add(L, base, static_cast<uint64_t>(f.template s<'i'>()) << scale(a));
  const Temp addr = w == 1 ? base : next;
  const Temp addr2 = add(L, addr, a.bytes);
  // The whole range first: a fault reports the pair's address, and a store that would fault
  // on its second page writes nothing (interp store_ptr).
  L.b.emit({.op = Opcode::CheckRange, .width = uint8_t(2 * a.bytes), .aux = uint8_t(!a.load),
            .a = {addr, ir::kNoTemp, ir::kNoTemp}});
  if (a.vec && a.load) {
    vaccess(L, a, t, addr, t2 + 1);  // both read first; Vt2 written last (as the interpreter)
  } else if (a.vec) {
    vaccess(L, a, t, addr);
    vaccess(L, a, t2, addr2);
  } else if (a.load) {
    const Temp v0 = load(L, a, addr), v1 = load(L, a, addr2);
    L.set_x(t2, v1);
    L.set_x(t, v0);
  } else {
    const Temp v0 = L.x(t), v1 = L.x(t2);
    store(L, a.bytes, addr, v0);
    store(L, a.bytes, addr2, v1);
  }
  if (w != 2) L.set_xsp(n, next);
  return true;
}

constexpr Access StB{1, false}, StH{2, false}, StW{4, false}, StX{8, false};
constexpr Access LdB{1, true, false, 32}, LdH{2, true, false, 32}, LdW{4, true, false, 32},
    LdX{8, true};
constexpr Access LdSBW{1, true, true, 32}, LdSBX{1, true, true, 64}, LdSHW{2, true, true, 32},
    LdSHX{2, true, true, 64}, LdSW{4, true, true, 64};

// SIMD&FP single-register forms: opc<1> (field q) with size 00 is Q, opc<1> == 0 gives B/H/S/D
// by size, anything else is UNDEFINED (declined: the handler raises it).
template <const Pattern& P>
std::optional<Access> vec_sized(uint32_t insn, bool load) {
  const Fields<P> f{insn};
  const unsigned size = f.template u<'z'>();
  if (f.template u<'q'>()) {
    if (size != 0) return std::nullopt;
    return Access{16, load, false, 64, true};
  }
  return Access{1u << size, load, false, 64, true};
}

// SIMD&FP pairs and literals: opc 00 S, 01 D, 10 Q, 11 UNDEFINED.
template <const Pattern& P>
std::optional<Access> vec_opc(uint32_t insn, bool load) {
  const unsigned opc = Fields<P>{insn}.template u<'z'>();
  if (opc == 3) return std::nullopt;
  return Access{4u << opc, load, false, 64, true};
}

template <const Pattern& P, bool (*Form)(Lifter&, uint32_t, Access)>
bool vec_single(Lifter& L, uint32_t insn, bool load) {
  const auto a = vec_sized<P>(insn, load);
  return a && Form(L, insn, *a);
}

}  // namespace

// clang-format off
bool STRB_imm(Lifter& L, uint32_t i) { return uimm<pat::STRB_imm>(L, i, StB); }
bool LDRB_imm(Lifter& L, uint32_t i) { return uimm<pat::LDRB_imm>(L, i, LdB); }
bool LDRSB_imm(Lifter& L, uint32_t i) { return uimm<pat::LDRSB_imm>(L, i, Fields<pat::LDRSB_imm>{i}.u<'c'>() ? LdSBW : LdSBX); }
bool STRH_imm(Lifter& L, uint32_t i) { return uimm<pat::STRH_imm>(L, i, StH); }
bool LDRH_imm(Lifter& L, uint32_t i) { return uimm<pat::LDRH_imm>(L, i, LdH); }
bool LDRSH_imm(Lifter& L, uint32_t i) { return uimm<pat::LDRSH_imm>(L, i, Fields<pat::LDRSH_imm>{i}.u<'c'>() ? LdSHW : LdSHX); }
bool STR_imm(Lifter& L, uint32_t i) { return uimm<pat::STR_imm>(L, i, Fields<pat::STR_imm>{i}.u<'s'>() ? StX : StW); }
bool LDR_imm(Lifter& L, uint32_t i) { return uimm<pat::LDR_imm>(L, i, Fields<pat::LDR_imm>{i}.u<'s'>() ? LdX : LdW); }
bool LDRSW_imm(Lifter& L, uint32_t i) { return uimm<pat::LDRSW_imm>(L, i, LdSW); }
bool PRFM_imm(Lifter&, uint32_t) { return true; }  // a hint: no access, no fault

bool STRB_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::STRB_imm_wb>(L, i, StB); }
bool LDRB_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::LDRB_imm_wb>(L, i, LdB); }
bool LDRSB_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::LDRSB_imm_wb>(L, i, Fields<pat::LDRSB_imm_wb>{i}.u<'c'>() ? LdSBW : LdSBX); }
bool STRH_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::STRH_imm_wb>(L, i, StH); }
bool LDRH_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::LDRH_imm_wb>(L, i, LdH); }
bool LDRSH_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::LDRSH_imm_wb>(L, i, Fields<pat::LDRSH_imm_wb>{i}.u<'c'>() ? LdSHW : LdSHX); }
bool STR_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::STR_imm_wb>(L, i, Fields<pat::STR_imm_wb>{i}.u<'s'>() ? StX : StW); }
bool LDR_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::LDR_imm_wb>(L, i, Fields<pat::LDR_imm_wb>{i}.u<'s'>() ? LdX : LdW); }
bool LDRSW_imm_wb(Lifter& L, uint32_t i) { return imm_wb<pat::LDRSW_imm_wb>(L, i, LdSW); }

bool STURB(Lifter& L, uint32_t i) { return unscaled<pat::STURB>(L, i, StB); }
bool LDURB(Lifter& L, uint32_t i) { return unscaled<pat::LDURB>(L, i, LdB); }
bool LDURSB(Lifter& L, uint32_t i) { return unscaled<pat::LDURSB>(L, i, Fields<pat::LDURSB>{i}.u<'c'>() ? LdSBW : LdSBX); }
bool STURH(Lifter& L, uint32_t i) { return unscaled<pat::STURH>(L, i, StH); }
bool LDURH(Lifter& L, uint32_t i) { return unscaled<pat::LDURH>(L, i, LdH); }
bool LDURSH(Lifter& L, uint32_t i) { return unscaled<pat::LDURSH>(L, i, Fields<pat::LDURSH>{i}.u<'c'>() ? LdSHW : LdSHX); }
bool STUR(Lifter& L, uint32_t i) { return unscaled<pat::STUR>(L, i, Fields<pat::STUR>{i}.u<'s'>() ? StX : StW); }
bool LDUR(Lifter& L, uint32_t i) { return unscaled<pat::LDUR>(L, i, Fields<pat::LDUR>{i}.u<'s'>() ? LdX : LdW); }
bool LDURSW(Lifter& L, uint32_t i) { return unscaled<pat::LDURSW>(L, i, LdSW); }
// LDTR/STTR: as the interpreter runs them (ldst_common.h Unscaled), ordinary accesses at the
// current EL -- exact at EL0; at EL1 the EL0 permission check is not modelled (docs/status.md).
bool STTRB(Lifter& L, uint32_t i) { return unscaled<pat::STTRB>(L, i, StB); }
bool LDTRB(Lifter& L, uint32_t i) { return unscaled<pat::LDTRB>(L, i, LdB); }
bool LDTRSB(Lifter& L, uint32_t i) { return unscaled<pat::LDTRSB>(L, i, Fields<pat::LDTRSB>{i}.u<'c'>() ? LdSBW : LdSBX); }
bool STTRH(Lifter& L, uint32_t i) { return unscaled<pat::STTRH>(L, i, StH); }
bool LDTRH(Lifter& L, uint32_t i) { return unscaled<pat::LDTRH>(L, i, LdH); }
bool LDTRSH(Lifter& L, uint32_t i) { return unscaled<pat::LDTRSH>(L, i, Fields<pat::LDTRSH>{i}.u<'c'>() ? LdSHW : LdSHX); }
bool STTR(Lifter& L, uint32_t i) { return unscaled<pat::STTR>(L, i, Fields<pat::STTR>{i}.u<'s'>() ? StX : StW); }
bool LDTR(Lifter& L, uint32_t i) { return unscaled<pat::LDTR>(L, i, Fields<pat::LDTR>{i}.u<'s'>() ? LdX : LdW); }
bool LDTRSW(Lifter& L, uint32_t i) { return unscaled<pat::LDTRSW>(L, i, LdSW); }

bool STRB_reg(Lifter& L, uint32_t i) { return reg_off<pat::STRB_reg>(L, i, StB); }
bool LDRB_reg(Lifter& L, uint32_t i) { return reg_off<pat::LDRB_reg>(L, i, LdB); }
bool LDRSB_reg(Lifter& L, uint32_t i) { return reg_off<pat::LDRSB_reg>(L, i, Fields<pat::LDRSB_reg>{i}.u<'c'>() ? LdSBW : LdSBX); }
bool STRH_reg(Lifter& L, uint32_t i) { return reg_off<pat::STRH_reg>(L, i, StH); }
bool LDRH_reg(Lifter& L, uint32_t i) { return reg_off<pat::LDRH_reg>(L, i, LdH); }
bool LDRSH_reg(Lifter& L, uint32_t i) { return reg_off<pat::LDRSH_reg>(L, i, Fields<pat::LDRSH_reg>{i}.u<'c'>() ? LdSHW : LdSHX); }
bool STR_reg(Lifter& L, uint32_t i) { return reg_off<pat::STR_reg>(L, i, Fields<pat::STR_reg>{i}.u<'s'>() ? StX : StW); }
bool LDR_reg(Lifter& L, uint32_t i) { return reg_off<pat::LDR_reg>(L, i, Fields<pat::LDR_reg>{i}.u<'s'>() ? LdX : LdW); }
bool LDRSW_reg(Lifter& L, uint32_t i) { return reg_off<pat::LDRSW_reg>(L, i, LdSW); }

bool LDR_lit(Lifter& L, uint32_t i) { return literal<pat::LDR_lit>(L, i, Fields<pat::LDR_lit>{i}.u<'s'>() ? LdX : LdW); }
bool LDRSW_lit(Lifter& L, uint32_t i) { return literal<pat::LDRSW_lit>(L, i, LdSW); }

bool STP(Lifter& L, uint32_t i) { return pair<pat::STP>(L, i, Fields<pat::STP>{i}.u<'x'>() ? StX : StW); }
bool LDP(Lifter& L, uint32_t i) { return pair<pat::LDP>(L, i, Fields<pat::LDP>{i}.u<'x'>() ? LdX : LdW); }
bool STNP(Lifter& L, uint32_t i) { return pair<pat::STNP, true>(L, i, Fields<pat::STNP>{i}.u<'x'>() ? StX : StW); }
bool LDNP(Lifter& L, uint32_t i) { return pair<pat::LDNP, true>(L, i, Fields<pat::LDNP>{i}.u<'x'>() ? LdX : LdW); }
bool STR_imm_simd(Lifter& L, uint32_t i) { return vec_single<pat::STR_imm_simd, uimm<pat::STR_imm_simd>>(L, i, false); }
bool LDR_imm_simd(Lifter& L, uint32_t i) { return vec_single<pat::LDR_imm_simd, uimm<pat::LDR_imm_simd>>(L, i, true); }
bool STR_imm_wb_simd(Lifter& L, uint32_t i) { return vec_single<pat::STR_imm_wb_simd, imm_wb<pat::STR_imm_wb_simd>>(L, i, false); }
bool LDR_imm_wb_simd(Lifter& L, uint32_t i) { return vec_single<pat::LDR_imm_wb_simd, imm_wb<pat::LDR_imm_wb_simd>>(L, i, true); }
bool STUR_simd(Lifter& L, uint32_t i) { return vec_single<pat::STUR_simd, unscaled<pat::STUR_simd>>(L, i, false); }
bool LDUR_simd(Lifter& L, uint32_t i) { return vec_single<pat::LDUR_simd, unscaled<pat::LDUR_simd>>(L, i, true); }
bool STR_reg_simd(Lifter& L, uint32_t i) { return vec_single<pat::STR_reg_simd, reg_off<pat::STR_reg_simd>>(L, i, false); }
bool LDR_reg_simd(Lifter& L, uint32_t i) { return vec_single<pat::LDR_reg_simd, reg_off<pat::LDR_reg_simd>>(L, i, true); }
bool LDR_lit_simd(Lifter& L, uint32_t i) {
  const auto a = vec_opc<pat::LDR_lit_simd>(i, true);
  return a && literal<pat::LDR_lit_simd>(L, i, *a);
}
bool STP_simd(Lifter& L, uint32_t i) {
  const auto a = vec_opc<pat::STP_simd>(i, false);
  return a && Fields<pat::STP_simd>{i}.u<'w'>() != 0 && pair<pat::STP_simd>(L, i, *a);
}
bool LDP_simd(Lifter& L, uint32_t i) {
  const auto a = vec_opc<pat::LDP_simd>(i, true);
  return a && Fields<pat::LDP_simd>{i}.u<'w'>() != 0 && pair<pat::LDP_simd>(L, i, *a);
}
bool STNP_simd(Lifter& L, uint32_t i) {
  const auto a = vec_opc<pat::STNP_simd>(i, false);
  return a && pair<pat::STNP_simd, true>(L, i, *a);
}
bool LDNP_simd(Lifter& L, uint32_t i) {
  const auto a = vec_opc<pat::LDNP_simd>(i, true);
  return a && pair<pat::LDNP_simd, true>(L, i, *a);
}
// LD1/ST1 (multiple structures) with one or two registers: consecutive whole registers (8 or 16
// bytes each); post-index adds the transfer size (Rm = 31) or Xm, and without post-index a
// non-zero Rm field is unallocated (declined).
template <const Pattern& P, unsigned kRegs>
bool ld1_st1(Lifter& L, uint32_t insn, bool load) {
  const Fields<P> f{insn};
  const bool post = f.template u<'p'>();
  const unsigned m = f.template u<'m'>(), n = f.template u<'n'>(), t = f.template u<'t'>();
  if (!post && m != 0) return false;
  const unsigned bytes = f.template u<'q'>() ? 16 : 8, total = bytes * kRegs;
  const Access a{bytes, load, false, 64, true};
  const Temp base = L.xsp(n);
  if (kRegs == 1) {
    vaccess(L, a, t, base);
  } else if (load) {
    vaccess(L, a, t, base, (t + 1) % 32 + 1);  // checks the whole range, then writes both
  } else {
    L.b.emit({.op = Opcode::CheckRange, .width = uint8_t(total), .aux = 1,
              .a = {base, ir::kNoTemp, ir::kNoTemp}});
    vaccess(L, a, t, base);
    vaccess(L, a, (t + 1) % 32, add(L, base, bytes));
  }
  if (post) L.set_xsp(n, L.op(Opcode::Add, 64, base, m == 31 ? L.k(total) : L.x(m)));
  return true;
}

bool LD1_mult_1(Lifter& L, uint32_t i) { return ld1_st1<pat::LD1_mult_1, 1>(L, i, true); }
bool LD1_mult_2(Lifter& L, uint32_t i) { return ld1_st1<pat::LD1_mult_2, 2>(L, i, true); }
bool ST1_mult_1(Lifter& L, uint32_t i) { return ld1_st1<pat::ST1_mult_1, 1>(L, i, false); }
bool ST1_mult_2(Lifter& L, uint32_t i) { return ld1_st1<pat::ST1_mult_2, 2>(L, i, false); }

bool LDPSW(Lifter& L, uint32_t i) {
  if (Fields<pat::LDPSW>{i}.u<'w'>() == 0) return false;
  return pair<pat::LDPSW>(L, i, LdSW);
}
// clang-format on

}  // namespace xvm::arm64::lift
