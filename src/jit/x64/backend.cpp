#include "jit/x64/backend.h"

#include "jit/x64/emitter.h"

namespace xvm::jit::x64 {
namespace emit {


void Emitter::binary(const Inst& i) {
  const unsigned w = i.width;
  const bool invert = i.op == Opcode::AndNot || i.op == Opcode::OrNot || i.op == Opcode::XorNot;
  const bool commutes = i.op != Opcode::Sub && !invert;
  Temp a0 = i.a[0], a1 = i.a[1];
  x86::Gp d = out(i.dst);
  // d may be the register of an operand whose range ends here: keep the second operand out
  // of it (swap when the operation commutes, else compute in rax).
  const auto in_d = [&](Temp t) { return !konst_[t] && reg(t) && reg(t)->id() == d.id(); };
  if (in_d(a1) && a0 != a1) {
    if (commutes) std::swap(a0, a1);
    else if (!invert) d = x86::rax;  // (an inverted b is copied to rcx before d is written)
  }
  // Add of a register and a small constant: one LEA (also the 32-bit form, whose result is
  // the low half zero-extended).
  if (i.op == Opcode::Add && !konst_[a0] && reg(a0)) {
    if (auto k = imm32(a1, 64)) {
      a_.lea(R(w, d), x86::ptr(*reg(a0), *k));
      save(i.dst, d);
      return;
    }
  }
  // BIC with BMI1: one non-destructive ANDN (d = ~b & a) instead of copy, NOT and AND.
  if (i.op == Opcode::AndNot && !konst_[a1] && host_has_bmi1()) {
    const x86::Gp nb = in(a1, x86::rcx);
    const x86::Gp a = in(a0, x86::rax);
    a_.andn(R(w, d), R(w, nb), R(w, a));
    save(i.dst, d);
    return;
  }
  // The second operand: an immediate, a host register, or the temp's stack slot; the inverted
  // forms compute ~b in rcx first (with a constant b, the NOT is folded here).
  Operand b;
  if (invert) {
    if (konst_[a1]) {
      a_.mov(x86::rcx, ~*konst_[a1]);
    } else {
      load(x86::rcx, a1);
      a_.not_(x86::rcx);
    }
    b = R(w, x86::rcx);
  } else if (auto k = imm32(a1, w)) {
    b = Imm(*k);
  } else if (konst_[a1]) {
    a_.mov(x86::rcx, *konst_[a1]);
    b = R(w, x86::rcx);
  } else if (reg(a1)) {
    b = reg_operand(a1, w);
  } else {
    b = mem_operand(a1, w);
  }
  load(d, a0);
  const x86::Gp dw = R(w, d);
  switch (i.op) {
    case Opcode::Add: a_.emit(x86::Inst::kIdAdd, dw, b); break;
    case Opcode::Sub: a_.emit(x86::Inst::kIdSub, dw, b); break;
    case Opcode::And: case Opcode::AndNot: a_.emit(x86::Inst::kIdAnd, dw, b); break;
    case Opcode::Or: case Opcode::OrNot: a_.emit(x86::Inst::kIdOr, dw, b); break;
    case Opcode::Xor: case Opcode::XorNot: a_.emit(x86::Inst::kIdXor, dw, b); break;
    case Opcode::Mul:
      if (b.isImm()) a_.emit(x86::Inst::kIdImul, dw, dw, b);
      else a_.emit(x86::Inst::kIdImul, dw, b);
      break;
    default: break;
  }
  // A 32-bit operation on a register left the upper half zero; load() copied 64 bits, so a
  // 32-bit op already zero-extends (x86 writes of 32-bit registers clear bits 63..32).
  save(i.dst, d);
}

void Emitter::shift(const Inst& i) {
  const unsigned w = i.width;
  // The count goes to cl first: the destination may be the count's register.
  if (!konst_[i.a[1]]) load(x86::rcx, i.a[1]);
  const x86::Gp d = out(i.dst);
  const x86::Gp dw = R(w, d);
  load(d, i.a[0]);
  if (konst_[i.a[1]]) {
    const uint32_t n = uint32_t(*konst_[i.a[1]] & (w - 1));
    switch (i.op) {
      case Opcode::Lsl: a_.shl(dw, n); break;
      case Opcode::Lsr: a_.shr(dw, n); break;
      case Opcode::Asr: a_.sar(dw, n); break;
      default: a_.ror(dw, n); break;
    }
    if (w == 32 && n == 0) a_.mov(dw, dw);
  } else {
    // x86 masks a CL count to 5 or 6 bits, which is Arm's "amount MOD datasize".
    switch (i.op) {
      case Opcode::Lsl: a_.shl(dw, x86::cl); break;
      case Opcode::Lsr: a_.shr(dw, x86::cl); break;
      case Opcode::Asr: a_.sar(dw, x86::cl); break;
      default: a_.ror(dw, x86::cl); break;
    }
    // A 32-bit shift by zero leaves the upper half alone; make the zero-extension explicit.
    if (w == 32) a_.mov(dw, dw);
  }
  save(i.dst, d);
}

// Packs the host flags of the last add/sub into Arm NZCV (bits 31..28) in eax. Arm's C after a
// subtraction is NOT borrow, the inverse of x86's CF.
void Emitter::flags_pack(bool sub) {
  a_.seto(x86::dl);
  if (sub) a_.setnc(x86::cl);
  else a_.setc(x86::cl);
  a_.lahf();  // ah = SF ZF - AF - PF - CF
  a_.movzx(x86::eax, x86::ah);
  a_.shr(x86::eax, 6);  // N Z in bits 1..0
  a_.movzx(x86::ecx, x86::cl);
  a_.movzx(x86::edx, x86::dl);
  a_.lea(x86::eax, x86::ptr(x86::rcx, x86::rax, 1));
  a_.lea(x86::eax, x86::ptr(x86::rdx, x86::rax, 1));
  a_.shl(x86::eax, 28);
}

// ADC/SBC and their flags: CF = Arm C (inverted for SBB, whose CF is a borrow).
void Emitter::carry_op(const Inst& i) {
  const unsigned w = i.width;
  const bool sub = i.op == Opcode::Sbc || i.op == Opcode::FlagsSbc;
  load(x86::rax, i.a[0]);
  load(x86::rcx, i.a[1]);
  load(x86::rdx, i.a[2]);
  a_.bt(x86::edx, 29);
  if (sub) {
    a_.cmc();
    a_.sbb(R(w, x86::rax), R(w, x86::rcx));
  } else {
    a_.adc(R(w, x86::rax), R(w, x86::rcx));
  }
  if (i.op == Opcode::FlagsAdc || i.op == Opcode::FlagsSbc) flags_pack(sub);
  save(i.dst, x86::rax);
}

// Arm UDIV/SDIV never trap: x / 0 = 0, and MIN / -1 = MIN (x86 would raise #DE for both).
void Emitter::divide(const Inst& i) {
  const unsigned w = i.width;
  const x86::Gp ax = R(w, x86::rax), cx = R(w, x86::rcx), dx = R(w, x86::rdx);
  Label zero = a_.newLabel(), done = a_.newLabel();
  load(x86::rax, i.a[0]);
  load(x86::rcx, i.a[1]);
  a_.test(cx, cx);
  a_.jz(zero);
  if (i.op == Opcode::UDiv) {
    a_.xor_(x86::edx, x86::edx);
    a_.div(dx, ax, cx);
  } else {
    Label normal = a_.newLabel();
    a_.cmp(cx, -1);
    a_.jne(normal);
    a_.neg(ax);
    a_.jmp(done);
    a_.bind(normal);
    if (w == 64) a_.cqo(x86::rdx, x86::rax);
    else a_.cdq(x86::edx, x86::eax);
    a_.idiv(dx, ax, cx);
  }
  a_.jmp(done);
  a_.bind(zero);
  a_.xor_(x86::eax, x86::eax);
  a_.bind(done);
  if (w == 32) a_.mov(x86::eax, x86::eax);
  save(i.dst, x86::rax);
}

// A linkable exit: unless a request is pending, jump to the target's translation (patched in
// when there is one); until then fall into the stub that returns to the dispatcher.
void Emitter::link_exit(uint64_t target) {
  Label slow = a_.newLabel(), site = a_.newLabel();
  if (count_insns_) a_.inc(x86::qword_ptr(kCpu, kExits));
  a_.cmp(x86::dword_ptr(kCpu, kPending), 0);
  a_.jne(slow);
  if (system_ && (target >> 12) != (b_.pc >> 12)) {
    // Another page may map elsewhere by the time this runs: through the indirect table (its
    // slot is known now), which the engine keeps to the current translation regime.
    const int32_t at = int32_t(((target >> 2) & kIndirectMask) * sizeof(IndirectEntry));
    a_.mov(x86::rax, target);
    a_.cmp(x86::qword_ptr(kTable, at), x86::rax);
    a_.jne(slow);
    a_.jmp(x86::qword_ptr(kTable, at + 8));
    a_.bind(slow);
    if (count_insns_) a_.inc(x86::qword_ptr(kCpu, kExitMisses));
    a_.mov(x86::rax, target);
    a_.mov(x86::qword_ptr(kCpu, kPc), x86::rax);
    a_.jmp(reinterpret_cast<uint64_t>(stubs_.exit));
    return;
  }
  a_.bind(site);
  a_.db(0xE9);
  a_.dd(0);
  sites.push_back({site, target});
  a_.bind(slow);
  if (count_insns_) a_.inc(x86::qword_ptr(kCpu, kExitMisses));
  a_.mov(x86::rax, target);
  a_.mov(x86::qword_ptr(kCpu, kPc), x86::rax);
  a_.jmp(reinterpret_cast<uint64_t>(stubs_.exit));
}

void Emitter::emit(const Inst& i) {
  const unsigned w = i.width;
  if (observes_state(i)) store_pending();
  switch (i.op) {
    case Opcode::Const:
      konst_[i.dst] = i.imm;
      break;
    case Opcode::GetReg: {
      // (ir::optimize forwards a SetReg to the GetRegs after it; should one remain, the
      // value is stored first.)
      if (pending_mask_ & (1u << i.aux)) {
        store_reg(i.aux, pending_[i.aux]);
        pending_mask_ &= ~(1u << i.aux);
      }
      const x86::Gp d = out(i.dst);
      a_.mov(d, x86::qword_ptr(kCpu, kX + 8 * i.aux));
      save(i.dst, d);
      break;
    }
    case Opcode::SetReg:
      // Deferred to the next instruction that observes guest state (store_pending), or into
      // the side exits in between; a later SetReg of the same register replaces it.
      pending_[i.aux] = i.a[0];
      pending_mask_ |= 1u << i.aux;
      break;
    case Opcode::GetNZCV: {
      if (pending_nzcv_ != ir::kNoTemp) {  // (ir::optimize forwards it; should one remain)
        store_nzcv(pending_nzcv_);
        pending_nzcv_ = ir::kNoTemp;
      }
      Label back = a_.newLabel();
      a_.mov(x86::eax, x86::dword_ptr(kCpu, kNzcv));
      a_.test(x86::eax, kLazyNzcv);
      a_.jnz(lazy_nzcv(back, false));
      a_.bind(back);
      save(i.dst, x86::rax);
      break;
    }
    case Opcode::SetNZCV:
      pending_nzcv_ = i.a[0];  // deferred like SetReg (store_pending)
      break;
    case Opcode::Add: case Opcode::Sub: case Opcode::And: case Opcode::Or: case Opcode::Xor:
    case Opcode::AndNot: case Opcode::OrNot: case Opcode::XorNot: case Opcode::Mul:
      binary(i);
      break;
    case Opcode::Lsl: case Opcode::Lsr: case Opcode::Asr: case Opcode::Ror:
      shift(i);
      break;
    case Opcode::UMulH: case Opcode::SMulH:
      load(x86::rax, i.a[0]);
      load(x86::rcx, i.a[1]);
      if (i.op == Opcode::UMulH) a_.mul(x86::rdx, x86::rax, x86::rcx);
      else a_.imul(x86::rdx, x86::rax, x86::rcx);
      save(i.dst, x86::rdx);
      break;
    case Opcode::UDiv: case Opcode::SDiv:
      divide(i);
      break;
    case Opcode::ZExt: {
      const x86::Gp d = out(i.dst), s = in(i.a[0], x86::rax);
      if (i.aux == 8) a_.movzx(d.r32(), s.r8());
      else if (i.aux == 16) a_.movzx(d.r32(), s.r16());
      else if (i.aux == 32 || w == 32) a_.mov(d.r32(), s.r32());
      else if (d.id() != s.id()) a_.mov(d, s);
      save(i.dst, d);
      break;
    }
    case Opcode::SExt: {
      const x86::Gp d = out(i.dst), s = in(i.a[0], x86::rax);
      if (i.aux == 8) a_.movsx(d, s.r8());
      else if (i.aux == 16) a_.movsx(d, s.r16());
      else if (i.aux == 32) a_.movsxd(d, s.r32());
      else if (d.id() != s.id()) a_.mov(d, s);
      if (w == 32) a_.mov(d.r32(), d.r32());
      save(i.dst, d);
      break;
    }
    case Opcode::Rev:
      load(x86::rax, i.a[0]);
      a_.bswap(R(w, x86::rax));
      save(i.dst, x86::rax);
      break;
    case Opcode::Ctz: {
      // BSF leaves ZF for a zero input; then the answer is the width.
      const x86::Gp d = out(i.dst);
      load(x86::rax, i.a[0]);
      a_.mov(x86::ecx, w);
      a_.bsf(R(w, x86::rax), R(w, x86::rax));
      a_.cmovz(x86::eax, x86::ecx);
      a_.mov(d.r32(), x86::eax);
      save(i.dst, d);
      break;
    }
    case Opcode::Rbit:
      rbit(i);
      break;
    case Opcode::VGet: {
      const x86::Gp d = out(i.dst);
      const int32_t at = kV + 16 * i.aux + int32_t(i.imm);
      if (w == 4) a_.mov(d.r32(), x86::dword_ptr(kCpu, at));
      else a_.mov(d, x86::qword_ptr(kCpu, at));
      save(i.dst, d);
      break;
    }
    case Opcode::VSet: {
      const int32_t v = kV + 16 * i.aux + int32_t(i.imm);
      const x86::Gp s = in(i.a[0], x86::rax);
      if (w == 4) a_.mov(x86::dword_ptr(kCpu, v), s.r32());
      else a_.mov(x86::qword_ptr(kCpu, v), s);
      if (i.imm == 0) {
        if (w == 4) a_.mov(x86::dword_ptr(kCpu, v + 4), 0);
        a_.mov(x86::qword_ptr(kCpu, v + 8), 0);
      }
      break;
    }
    case Opcode::FpOp:
      fp_op(i);
      break;
    case Opcode::VecOp:
      vec_op(i);
      break;
    case Opcode::VDup:
      vec_dup(i);
      break;
    case Opcode::FpCmp:
      fp_cmp(i);
      break;
    case Opcode::GetSysReg: {
      const x86::Gp d = out(i.dst);
      a_.mov(d, x86::qword_ptr(kCpu, kTpidr));  // SysReg::TpidrEl0, the only one
      save(i.dst, d);
      break;
    }
    case Opcode::SetSysReg:
      a_.mov(x86::qword_ptr(kCpu, kTpidr), in(i.a[0], x86::rax));
      break;
    case Opcode::Clz:
      // BSR gives the highest set bit and ZF for a zero input (then -1 stands in, so that
      // (w - 1) - (-1) = w, Arm's CountLeadingZeroBits of 0).
      load(x86::rax, i.a[0]);
      a_.mov(x86::rcx, -1);
      a_.bsr(R(w, x86::rax), R(w, x86::rax));
      a_.cmovz(x86::rax, x86::rcx);
      a_.mov(x86::ecx, w - 1);
      a_.sub(x86::ecx, x86::eax);
      a_.mov(x86::eax, x86::ecx);
      save(i.dst, x86::rax);
      break;
    case Opcode::FlagsAdd: case Opcode::FlagsSub:
      if (elided_[i.dst]) break;  // only read as host conditions (compare() again there)
      compare(i);
      flags_pack(i.op == Opcode::FlagsSub);
      save(i.dst, x86::rax);
      break;
    case Opcode::FlagsLogic:
      if (elided_[i.dst]) break;
      compare(i);
      a_.sets(x86::al);
      a_.setz(x86::cl);
      a_.movzx(x86::eax, x86::al);
      a_.movzx(x86::ecx, x86::cl);
      a_.lea(x86::eax, x86::ptr(x86::rcx, x86::rax, 1));
      a_.shl(x86::eax, 30);
      save(i.dst, x86::rax);
      break;
    case Opcode::Adc: case Opcode::Sbc: case Opcode::FlagsAdc: case Opcode::FlagsSbc:
      carry_op(i);
      break;
    case Opcode::CondHolds:
      if (fused_[i.dst]) break;  // emitted as compare-and-branch (ExitCond) or cmov (Select)
      if (auto cc = host_cond(i)) {
        compare(b_.insts[size_t(def_[i.a[0]])]);
        a_.set(*cc, x86::al);
        a_.movzx(x86::eax, x86::al);
        save(i.dst, x86::rax);
        break;
      }
      load(x86::rax, i.a[0]);
      a_.shr(x86::eax, 28);
      a_.mov(x86::ecx, uint32_t(cond_mask(i.aux)));
      a_.bt(x86::ecx, x86::eax);
      a_.setc(x86::al);
      a_.movzx(x86::eax, x86::al);
      save(i.dst, x86::rax);
      break;
    case Opcode::Select: {
      // d = a2, then d = a1 if a0 != 0. Neither a0 nor a1 may sit in d when a2 is loaded
      // into it (d may be the register of an operand whose range ends here).
      x86::Gp d = out(i.dst);
      const auto in_d = [&](Temp t) { return !konst_[t] && reg(t) && reg(t)->id() == d.id(); };
      if (in_d(i.a[1]) && i.a[1] != i.a[2]) d = x86::rax;
      if (fused_[i.a[0]]) {
        // CSEL and friends on flags of this block: the host compare, then CMOVcc. The
        // compare reads its operands first (d may be one of their registers).
        const Inst& holds = b_.insts[size_t(def_[i.a[0]])];
        compare(b_.insts[size_t(def_[holds.a[0]])]);
        x86::Gp v = x86::rdx;
        if (auto h = reg(i.a[1]); h && !konst_[i.a[1]]) v = *h;
        else load(x86::rdx, i.a[1], true);
        load(d, i.a[2], true);
        a_.cmov(*host_cond(holds), R(w, d), R(w, v));  // a 32-bit CMOV zero-extends
        save(i.dst, d);
        break;
      }
      x86::Gp c = in(i.a[0], x86::rdx);
      if (c.id() == d.id()) {
        a_.mov(x86::rdx, c);
        c = x86::rdx;
      }
      const x86::Gp v = in(i.a[1], x86::rcx);
      load(d, i.a[2]);
      a_.test(c, c);
      a_.cmovnz(R(w, d), R(w, v));  // a 32-bit CMOV zero-extends whether it moves or not
      save(i.dst, d);
      break;
    }
    case Opcode::Load: {
      x86::Gp addr;
      if (system_) {
        addr = in(i.a[0], x86::rax);
        const Label miss = tlb_probe(addr, w, false), at = a_.newLabel();
        sys_slow(miss, at, SysKind::Load, w, addr, i.a[0]);
        a_.bind(at);
      } else {
        mark_access();
        addr = in(i.a[0], x86::rax);
        if (!in_checked_range(i.a[0], w)) check(addr, w, false);
      }
      const x86::Gp d = out(i.dst);
      const x86::Mem m = guest_mem(addr, w);
      const bool sx = i.aux & 1;
      switch (w) {
        case 1: case 2: sx ? a_.movsx(d, m) : a_.movzx(d.r32(), m); break;
        case 4: sx ? a_.movsxd(d, m) : a_.mov(d.r32(), m); break;
        default: a_.mov(d, m); break;
      }
      save(i.dst, d);
      break;
    }
    case Opcode::Store: {
      Label after;
      const x86::Gp addr = store_address(i, w, &after);
      const std::optional<int32_t> k = imm32(i.a[1], 64);
      const x86::Gp v = k ? x86::Gp(x86::rcx) : in(i.a[1], x86::rcx);
      const x86::Mem m = guest_mem(addr, w);
      switch (w) {
        case 1: k ? a_.mov(m, int8_t(*k)) : a_.mov(m, v.r8()); break;
        case 2: k ? a_.mov(m, int16_t(*k)) : a_.mov(m, v.r16()); break;
        case 4: k ? a_.mov(m, *k) : a_.mov(m, v.r32()); break;
        default: k ? a_.mov(m, *k) : a_.mov(m, v); break;
      }
      if (after.isValid()) a_.bind(after);
      break;
    }
    case Opcode::VLoad: {
      const unsigned regs = i.imm ? 2 : 1;
      x86::Gp addr;
      if (system_) {
        addr = in(i.a[0], x86::rax);
        const Label miss = tlb_probe(addr, w * regs, false), at = a_.newLabel();
        sys_slow(miss, at, SysKind::Load, w * regs, addr, i.a[0]);
        a_.bind(at);
      } else {
        mark_access();
        addr = in(i.a[0], x86::rax);
        if (!in_checked_range(i.a[0], w * regs)) check(addr, w * regs, false);
      }
      for (unsigned k = 0; k < regs; ++k) {
        const x86::Xmm x = x86::xmm(k);
        const int32_t at = int32_t(k * w);
        switch (w) {
          case 1: case 2: a_.movzx(x86::ecx, guest_mem(addr, w, at)); a_.movd(x, x86::ecx); break;
          case 4: a_.movd(x, guest_mem(addr, 4, at)); break;
          case 8: a_.movq(x, guest_mem(addr, 8, at)); break;
          default: a_.movdqu(x, guest_mem(addr, 16, at)); break;
        }
      }
      a_.movdqu(x86::xmmword_ptr(kCpu, kV + 16 * i.aux), x86::xmm0);
      if (i.imm) a_.movdqu(x86::xmmword_ptr(kCpu, kV + 16 * int32_t(i.imm - 1)), x86::xmm1);
      break;
    }
    case Opcode::VStore: {
      Label after;
      const x86::Gp addr = store_address(i, w, &after);
      const int32_t v = kV + 16 * i.aux;
      const x86::Mem m = guest_mem(addr, w);
      switch (w) {
        case 1: a_.mov(x86::cl, x86::byte_ptr(kCpu, v)); a_.mov(m, x86::cl); break;
        case 2: a_.mov(x86::cx, x86::word_ptr(kCpu, v)); a_.mov(m, x86::cx); break;
        case 4: a_.mov(x86::ecx, x86::dword_ptr(kCpu, v)); a_.mov(m, x86::ecx); break;
        case 8: a_.mov(x86::rcx, x86::qword_ptr(kCpu, v)); a_.mov(m, x86::rcx); break;
        default:
          a_.movdqu(x86::xmm0, x86::xmmword_ptr(kCpu, v));
          a_.movdqu(m, x86::xmm0);
          break;
      }
      if (after.isValid()) a_.bind(after);
      break;
    }
    case Opcode::CheckRange: {
      if (system_) {
        // Only a range that crosses a page needs a check of its own (the accesses that follow
        // probe the TLB themselves, and inside one page the first of them faults first).
        const x86::Gp addr = in(i.a[0], x86::rax);
        Label done = a_.newLabel(), cross = a_.newLabel();
        a_.lea(x86::rcx, x86::ptr(addr, int32_t(w - 1)));
        a_.xor_(x86::rcx, addr);
        a_.shr(x86::rcx, 12);
        a_.jnz(cross);
        a_.bind(done);
        sys_slow(cross, done, SysKind::Check, w | (i.aux & 1) << 8, addr, i.a[0]);
        break;
      }
      mark_access();
      const x86::Gp addr = in(i.a[0], x86::rax);
      check(addr, w, i.aux & 1);
      checked_base_ = i.a[0];
      checked_bytes_ = w;
      if (i.aux & 1) {
        // Probe the last byte for write when the range crosses a page (interp store_ptr).
        Label same = a_.newLabel();
        a_.lea(x86::rdx, x86::ptr(addr, int32_t(w - 1)));
        a_.mov(x86::rcx, addr);
        a_.xor_(x86::rcx, x86::rdx);
        a_.shr(x86::rcx, 12);
        a_.jz(same);
        a_.lock().or_(x86::byte_ptr(kMem, x86::rdx), 0);
        a_.bind(same);
      }
      break;
    }
    case Opcode::InsnStart:
      pc_ = i.imm;
      pc_stored_ = false;
      pc_marked_ = false;
      checked_base_ = ir::kNoTemp;
      break;
    case Opcode::CallInterp: {
      // The handler reads the Cpu: NZCV in packed form.
      Label back = a_.newLabel();
      a_.test(x86::dword_ptr(kCpu, kNzcv), kLazyNzcv);
      a_.jnz(lazy_nzcv(back, true));
      a_.bind(back);
      store_pc();
      a_.mov(x86::rdi, kCpu);
      a_.mov(x86::esi, uint32_t(i.imm2));
      a_.mov(x86::rax, i.imm);
      a_.call(x86::rax);
      break;
    }
    case Opcode::ExitConst:
      if (i.aux & 1) {  // to the dispatcher, whatever is pending
        a_.mov(x86::rax, i.imm);
        a_.mov(x86::qword_ptr(kCpu, kPc), x86::rax);
        a_.jmp(reinterpret_cast<uint64_t>(stubs_.exit));
      } else {
        link_exit(i.imm);
      }
      break;
    case Opcode::ExitIf: {
      // A side exit of a trace: out of line (at the end of the block), linked like any exit.
      Label side = a_.newLabel();
      const bool if_zero = i.aux & 1;
      if (fused_[i.a[0]]) {
        const Inst& holds = b_.insts[size_t(def_[i.a[0]])];
        compare(b_.insts[size_t(def_[holds.a[0]])]);
        const x86::CondCode cc = *host_cond(holds);
        a_.j(if_zero ? x86::negateCond(cc) : cc, side);
      } else {
        const x86::Gp c = in(i.a[0], x86::rax);
        a_.test(c, c);
        if (if_zero) a_.jz(side);
        else a_.jnz(side);
      }
      side_exits_.push_back({{side, i.imm}, pending_mask_, pending_, pending_nzcv_});
      break;
    }
    case Opcode::ExitCond: {
      Label not_taken = a_.newLabel();
      if (fused_[i.a[0]]) {
        const Inst& holds = b_.insts[size_t(def_[i.a[0]])];
        compare(b_.insts[size_t(def_[holds.a[0]])]);
        a_.j(x86::negateCond(*host_cond(holds)), not_taken);
      } else {
        load(x86::rax, i.a[0]);
        a_.test(x86::rax, x86::rax);
        a_.jz(not_taken);
      }
      link_exit(i.imm);
      a_.bind(not_taken);
      link_exit(i.imm2);
      break;
    }
    case Opcode::ExitIndirect:
      // Look the target up in the thread's table; a miss or a pending request leaves.
      load(x86::rax, i.a[0]);
      a_.mov(x86::qword_ptr(kCpu, kPc), x86::rax);
      if (count_insns_) a_.inc(x86::qword_ptr(kCpu, kIndirect));
      a_.cmp(x86::dword_ptr(kCpu, kPending), 0);
      a_.jne(reinterpret_cast<uint64_t>(stubs_.exit));
      a_.mov(x86::rcx, x86::rax);
      a_.shr(x86::rcx, 2);
      a_.and_(x86::ecx, kIndirectMask);
      a_.shl(x86::ecx, 4);
      a_.add(x86::rcx, kTable);
      a_.cmp(x86::qword_ptr(x86::rcx), x86::rax);
      a_.jne(reinterpret_cast<uint64_t>(stubs_.exit));
      if (count_insns_) a_.inc(x86::qword_ptr(kCpu, kIndirectHits));
      a_.jmp(x86::qword_ptr(x86::rcx, 8));
      break;
    case Opcode::ExitDispatch:
      a_.jmp(reinterpret_cast<uint64_t>(stubs_.exit));
      break;
  }
}

// Arm RBIT on x86: byte swap, then swap nibbles, bit pairs and bits with masks.
void Emitter::rbit(const Inst& i) {
  const unsigned w = i.width;
  const x86::Gp ax = R(w, x86::rax), cx = R(w, x86::rcx), dx = R(w, x86::rdx);
  load(x86::rax, i.a[0]);
  a_.bswap(ax);
  static constexpr struct { unsigned shift; uint64_t mask; } kSteps[] = {
      {4, 0x0f0f0f0f0f0f0f0full}, {2, 0x3333333333333333ull}, {1, 0x5555555555555555ull}};
  for (const auto& st : kSteps) {
    a_.mov(x86::rdx, st.mask);
    a_.mov(cx, ax);
    a_.shr(cx, st.shift);
    a_.and_(cx, dx);  // high parts moved down
    a_.and_(ax, dx);
    a_.shl(ax, st.shift);  // low parts moved up
    a_.or_(ax, cx);
  }
  save(i.dst, x86::rax);
}

// The x86 condition that equals Arm condition `holds.aux` right after compare() of the flag
// op defining holds.a[0], when there is one (Arm C after a subtraction is x86 NOT CF; after a
// logical op C = V = 0, which x86 TEST also leaves in CF/OF only for the signed conditions).
std::optional<x86::CondCode> Emitter::host_cond(const Inst& holds) const {
  using CC = x86::CondCode;
  if (def_.empty() || holds.a[0] >= def_.size() || def_[holds.a[0]] < 0) return std::nullopt;
  const Opcode op = b_.insts[size_t(def_[holds.a[0]])].op;
  const unsigned cond = holds.aux;
  if (cond >= 14) return std::nullopt;
  std::optional<CC> c;
  switch (cond >> 1) {
    case 0: c = CC::kE; break;
    case 1: if (op == Opcode::FlagsSub) c = CC::kAE; else if (op == Opcode::FlagsAdd) c = CC::kB; break;
    case 2: c = CC::kS; break;
    case 3: if (op != Opcode::FlagsLogic) c = CC::kO; break;
    case 4: if (op == Opcode::FlagsSub) c = CC::kA; break;
    case 5: c = CC::kGE; break;
    case 6: c = CC::kG; break;
  }
  if (op != Opcode::FlagsSub && op != Opcode::FlagsAdd && op != Opcode::FlagsLogic)
    return std::nullopt;
  if (!c) return std::nullopt;
  return (cond & 1) ? x86::negateCond(*c) : *c;
}

// Sets the host flags as the flag op `flags` would (its operands are still live).
void Emitter::compare(const Inst& flags) {
  const unsigned w = flags.width;
  if (flags.op == Opcode::FlagsAdd) {  // ADD is destructive: work on a copy in rax
    load(x86::rax, flags.a[0]);
    if (auto k = imm32(flags.a[1], w)) a_.add(R(w, x86::rax), *k);
    else a_.add(R(w, x86::rax), R(w, in(flags.a[1], x86::rcx)));
    return;
  }
  const x86::Gp a = R(w, in(flags.a[0], x86::rax));
  if (flags.op == Opcode::FlagsLogic) a_.test(a, a);
  else if (auto k = imm32(flags.a[1], w)) a_.cmp(a, *k);
  else a_.cmp(a, R(w, in(flags.a[1], x86::rcx)));
}

// Gives temps host registers for their whole (straight-line) live range, first come first
// served: r8-r11 for temps that no call crosses, rbp/r14/r15 (callee-saved) for any. Temps left
// over live in their stack slots. Constants need neither (they become immediates).
void Emitter::allocate_registers() {
  const size_t n = b_.insts.size();
  const Temp nt = b_.ntemps;
  reg_.assign(nt, -1);
  // Per-thread scratch, reused from block to block.
  thread_local std::vector<int32_t> last, user, die_head, die_next;
  thread_local std::vector<uint32_t> calls, uses, packed_uses, recompare_at;
  last.assign(nt, -1);
  user.assign(nt, -1);  // the (last) instruction reading each temp
  uses.assign(nt, 0);
  packed_uses.assign(nt, 0);
  def_.assign(nt, -1);
  fused_.assign(nt, 0);
  elided_.assign(nt, 0);
  calls.resize(n + 1);  // calls among insts[0, k)
  calls[0] = 0;
  recompare_at.clear();
  const auto is_flag_op = [&](Temp t) {
    if (def_[t] < 0) return false;
    const Opcode op = b_.insts[size_t(def_[t])].op;
    return op == Opcode::FlagsAdd || op == Opcode::FlagsSub || op == Opcode::FlagsLogic;
  };
  // One forward pass: definitions, last uses, use counts, calls. A CondHolds of a
  // FlagsSub/FlagsAdd/FlagsLogic is emitted as the host compare and a setcc/jcc, and so is a
  // SetNZCV of a flag op (lazy NZCV): both "recompare", reading the flag op's operands again.
  // (host_cond looks at def_, which is complete for every temp defined before k.)
  for (size_t k = 0; k < n; ++k) {
    const Inst& i = b_.insts[k];
    const ir::OpInfo& inf = ir::info(i.op);
    const bool recompares = (i.op == Opcode::CondHolds && host_cond(i)) ||
                            (i.op == Opcode::SetNZCV && is_flag_op(i.a[0]));
    if (recompares) recompare_at.push_back(uint32_t(k));
    for (unsigned a = 0; a < inf.nargs; ++a) {
      const Temp t = i.a[a];
      last[t] = int32_t(k);
      user[t] = int32_t(k);
      ++uses[t];
      if (!recompares) ++packed_uses[t];
    }
    if (i.dst != ir::kNoTemp) def_[i.dst] = int32_t(k);
    // A Store's operands are reloaded after its log call, so the call counts as inside their
    // range (hence the range test below is (def, last]).
    const bool call = (inf.flags & ir::opflag::C) ||
                      ((i.op == Opcode::Store || i.op == Opcode::VStore) && log_stores_);
    calls[k + 1] = calls[k] + (call ? 1 : 0);
  }
  // A flag value that only host conditions read is never packed into NZCV form.
  for (Temp t = 0; t < nt; ++t)
    if (packed_uses[t] == 0 && is_flag_op(t)) elided_[t] = 1;
  // The flag op's operands must stay live up to each recompare; a CondHolds used only by an
  // ExitCond/ExitIf/Select moves into it (fused).
  for (const uint32_t k : recompare_at) {
    const Inst& i = b_.insts[k];
    const Inst& flags = b_.insts[size_t(def_[i.a[0]])];
    size_t at = k;
    if (i.op == Opcode::CondHolds && uses[i.dst] == 1 && user[i.dst] >= 0) {
      const Inst& u = b_.insts[size_t(user[i.dst])];
      if ((u.op == Opcode::ExitCond || u.op == Opcode::ExitIf || u.op == Opcode::Select) &&
          u.a[0] == i.dst) {
        fused_[i.dst] = 1;
        at = size_t(user[i.dst]);
      }
    }
    for (unsigned a = 0; a < ir::info(flags.op).nargs; ++a)
      last[flags.a[a]] = std::max(last[flags.a[a]], int32_t(at));
  }
  // A SetReg's operand is read where the store is emitted: at the next instruction that
  // observes guest state, and in every side exit before it (unless a later SetReg of the
  // same register replaces it first).
  {
    std::array<Temp, 32> pend{};
    uint32_t mask = 0;
    Temp nzcv = ir::kNoTemp;
    const auto keep = [&](Temp t, size_t k) { last[t] = std::max(last[t], int32_t(k)); };
    for (size_t k = 0; k < n; ++k) {
      const Inst& i = b_.insts[k];
      if (i.op == Opcode::SetReg) {
        pend[i.aux] = i.a[0];
        mask |= 1u << i.aux;
      } else if (i.op == Opcode::SetNZCV) {
        nzcv = i.a[0];
      } else if (i.op == Opcode::ExitIf || i.op == Opcode::GetNZCV || observes_state(i)) {
        // (A GetNZCV stores a pending NZCV only; the SetRegs wait.)
        if (i.op != Opcode::GetNZCV)
          for (uint32_t m = mask; m != 0; m &= m - 1) keep(pend[size_t(std::countr_zero(m))], k);
        if (nzcv != ir::kNoTemp) {
          // The lazy form compares again: the flag op's operands are what must stay.
          if (elided_[nzcv]) {
            const Inst& flags = b_.insts[size_t(def_[nzcv])];
            for (unsigned a = 0; a < ir::info(flags.op).nargs; ++a) keep(flags.a[a], k);
          } else {
            keep(nzcv, k);
          }
        }
        if (i.op != Opcode::ExitIf && i.op != Opcode::GetNZCV) mask = 0;
        if (i.op != Opcode::ExitIf) nzcv = ir::kNoTemp;
      }
    }
  }
  // Free registers as stacks; the temps whose range ends at instruction k as a list
  // (die_head[k] -> die_next[t] -> ..., -1 ends it).
  struct Pool {
    int ids[8];
    int n;
    bool empty() const { return n == 0; }
    void push(int id) { ids[n++] = id; }
    int pop() { return ids[--n]; }
  };
  Pool caller{{x86::Gp::kIdDi, x86::Gp::kIdSi, x86::Gp::kIdR11, x86::Gp::kIdR10, x86::Gp::kIdR9,
               x86::Gp::kIdR8}, 6};
  Pool callee{{x86::Gp::kIdR15, x86::Gp::kIdR14, x86::Gp::kIdBp}, 3};
  die_head.assign(n, -1);
  die_next.assign(b_.ntemps, -1);
  for (Temp t = b_.ntemps; t-- > 0;)
    if (last[t] >= 0) {
      die_next[t] = die_head[size_t(last[t])];
      die_head[size_t(last[t])] = int32_t(t);
    }
  for (size_t k = 0; k < n; ++k) {
    for (int32_t t = die_head[k]; t >= 0; t = die_next[size_t(t)]) {
      if (reg_[size_t(t)] < 0) continue;
      const int r = reg_[size_t(t)];
      const bool is_callee = r == x86::Gp::kIdR15 || r == x86::Gp::kIdR14 || r == x86::Gp::kIdBp;
      (is_callee ? callee : caller).push(r);
    }
    const Temp d = b_.insts[k].dst;
    if (d == ir::kNoTemp || b_.insts[k].op == Opcode::Const || elided_[d] || last[d] < 0) continue;
    const bool crosses = calls[size_t(last[d]) + 1] - calls[k + 1] > 0;
    Pool* pool = !crosses && !caller.empty() ? &caller : &callee;
    if (pool->empty()) continue;
    reg_[d] = int8_t(pool->pop());
  }
}

bool Emitter::run(std::string* error) {
  if (b_.ntemps > kMaxTemps) {
    *error = "too many temps";
    return false;
  }
  allocate_registers();
  // Retired-instruction count (--stats), added up front (approximate when the block faults, as
  // the interpreter's is). Off by default: the memory add chains every block to the last.
  if (count_insns_) a_.add(x86::qword_ptr(kCpu, kIcount), int32_t(b_.guest_insns));
  for (const Inst& i : b_.insts) emit(i);
  for (const SideExit& se : side_exits_) {
    a_.bind(se.site.label);
    for (unsigned r = 0; r < 32; ++r)
      if (se.mask & (1u << r)) store_reg(r, se.temps[r]);
    if (se.nzcv != ir::kNoTemp) store_nzcv(se.nzcv);
    link_exit(se.site.target);
  }
  for (const Lazy& lz : lazy_) {
    a_.bind(lz.label);
    if (lz.store) a_.mov(x86::eax, x86::dword_ptr(kCpu, kNzcv));
    // eax: SF (bit 15) ZF (14) CF (8) OF (0) -> N Z C V in bits 31..28.
    a_.mov(x86::ecx, x86::eax);
    a_.shr(x86::ecx, 14);
    a_.and_(x86::ecx, 3);
    a_.mov(x86::edx, x86::eax);
    a_.shr(x86::edx, 8);
    a_.and_(x86::edx, 1);
    a_.and_(x86::eax, 1);
    a_.lea(x86::ecx, x86::ptr(x86::rdx, x86::rcx, 1));
    a_.lea(x86::eax, x86::ptr(x86::rax, x86::rcx, 1));
    a_.shl(x86::eax, 28);
    if (lz.store) a_.mov(x86::dword_ptr(kCpu, kNzcv), x86::eax);
    a_.jmp(lz.back);
  }
  for (const Slow& sl : slow_) {
    static constexpr x86::Gp kSaved[] = {x86::rsi, x86::rdi, x86::r8, x86::r9, x86::r10, x86::r11};
    a_.bind(sl.label);
    a_.mov(x86::rax, sl.pc);
    a_.mov(x86::qword_ptr(kCpu, kPc), x86::rax);
    for (const auto& r : kSaved) a_.push(r);  // 48 bytes: rsp stays 16-byte aligned
    a_.mov(x86::rdi, kCpu);
    a_.mov(x86::esi, sl.insn);
    a_.mov(x86::rax, sl.fn);
    a_.call(x86::rax);
    for (size_t k = std::size(kSaved); k-- > 0;) a_.pop(kSaved[k]);
    a_.jmp(sl.back);
  }
  for (const SysSlow& sl : sys_slow_) emit_sys_slow(sl);
  for (const Abort& ab : aborts_) {
    // The handler finds the guest pc from its return address, here (a pc site of its own).
    a_.bind(ab.label);
    pc_sites.push_back({uint32_t(a_.offset()), ab.pc});
    a_.mov(x86::rsi, ab.addr);
    a_.mov(x86::rdi, kCpu);
    a_.mov(x86::edx, uint32_t(ab.write));
    a_.mov(x86::rax, reinterpret_cast<uint64_t>(stubs_.data_abort));
    a_.call(x86::rax);
    a_.int3();
  }
  return true;
}

// A system-mode TLB miss: the access through the System (which fills the TLB, talks to
// devices or raises the guest fault with cpu.pc stored here), every temp register kept.
void Emitter::emit_sys_slow(const SysSlow& sl) {
  static constexpr x86::Gp kSaved[] = {x86::rsi, x86::rdi, x86::r8, x86::r9, x86::r10, x86::r11};
  a_.bind(sl.label);
  // Arguments into registers no temp lives in before the pushes move rsp (slots are
  // rsp-relative): value -> rdx, address -> rcx.
  if (sl.kind == SysKind::Store) load(x86::rdx, sl.value);
  else a_.mov(x86::edx, sl.kind == SysKind::VStore ? sl.vreg : sl.bytes);
  if (sl.addr.id() != x86::Gp::kIdCx) a_.mov(x86::rcx, sl.addr);
  a_.mov(x86::rax, sl.pc);
  a_.mov(x86::qword_ptr(kCpu, kPc), x86::rax);
  for (const auto& r : kSaved) a_.push(r);  // 48 bytes: rsp stays 16-byte aligned
  a_.mov(x86::rsi, x86::rcx);
  a_.mov(x86::rdi, kCpu);
  uint64_t fn = 0;
  switch (sl.kind) {
    case SysKind::Load: fn = reinterpret_cast<uint64_t>(stubs_.sys_load); break;
    case SysKind::Store:
      a_.mov(x86::ecx, sl.bytes);
      fn = reinterpret_cast<uint64_t>(stubs_.sys_store);
      break;
    case SysKind::VStore:
      a_.mov(x86::ecx, sl.bytes);
      fn = reinterpret_cast<uint64_t>(stubs_.sys_vstore);
      break;
    case SysKind::Check: fn = reinterpret_cast<uint64_t>(stubs_.sys_check); break;
  }
  a_.mov(x86::rax, fn);
  a_.call(x86::rax);
  for (size_t k = std::size(kSaved); k-- > 0;) a_.pop(kSaved[k]);
  if (sl.kind == SysKind::Load) {
    // The fast path reads at [rdx + address]: rdx = returned pointer - address (the address
    // back in rax if that is where it was: the call's result replaced it).
    a_.mov(x86::rdx, x86::rax);
    if (sl.addr.id() == x86::Gp::kIdAx) load(x86::rax, sl.addr_temp);
    a_.sub(x86::rdx, sl.addr);
  }
  a_.jmp(sl.back);
}

// Copies the finished code to the cache cursor; false when it does not fit.
bool place(CodeHolder& code, CodeCache& cache, size_t* size) {
  code.flatten();
  code.resolveUnresolvedLinks();
  if (code.relocateToBase(reinterpret_cast<uint64_t>(cache.cursor())) != kErrorOk) return false;
  *size = code.codeSize();
  if (*size > cache.room()) return false;
  code.copyFlattenedData(cache.cursor(), *size, CopySectionFlags::kPadSectionBuffer);
  return true;
}

}  // namespace emit

using namespace emit;

void normalize_nzcv(uint32_t& nzcv) {
  if (!(nzcv & kLazyNzcv)) return;
  const uint32_t n = (nzcv >> 15) & 1, z = (nzcv >> 14) & 1, c = (nzcv >> 8) & 1, v = nzcv & 1;
  nzcv = n << 31 | z << 30 | c << 29 | v << 28;
}

bool emit_stubs(CodeCache& cache, Stubs* out) {
  CodeHolder code;
  code.init(Environment::host(), reinterpret_cast<uint64_t>(cache.cursor()));
  x86::Assembler a(&code);
  Label exit = a.newLabel(), enter_system = a.newLabel();
  // enter(rdi = cpu, rsi = code, rdx = table) and enter_system (the same, r12 = the fast TLB
  // instead of the arena base and its bounds).
  const auto prologue = [&](int32_t r12_from) {
    for (const auto& r : {x86::rbp, x86::rbx, x86::r12, x86::r13, x86::r14, x86::r15}) a.push(r);
    a.sub(x86::rsp, kFrame);
    a.mov(kCpu, x86::rdi);
    a.mov(kMem, x86::qword_ptr(kCpu, r12_from));
    a.mov(kTable, x86::rdx);
  };
  prologue(kMemBase);
  a.mov(x86::rax, x86::qword_ptr(kCpu, kMemSize));
  for (int k = 0; k < 6; ++k) {
    a.lea(x86::rcx, x86::ptr(x86::rax, -(1 << k)));
    a.mov(x86::qword_ptr(x86::rsp, 8 * k), x86::rcx);
  }
  a.jmp(x86::rsi);
  a.align(AlignMode::kCode, 16);
  a.bind(enter_system);
  prologue(kJitTlb);
  a.jmp(x86::rsi);
  a.align(AlignMode::kCode, 16);
  a.bind(exit);
  a.add(x86::rsp, kFrame);
  a.pop(x86::r15);
  a.pop(x86::r14);
  a.pop(x86::r13);
  a.pop(x86::r12);
  a.pop(x86::rbx);
  a.pop(x86::rbp);
  a.ret();
  size_t size = 0;
  uint8_t* base = cache.cursor();
  if (!place(code, cache, &size)) return false;
  out->enter = reinterpret_cast<decltype(out->enter)>(base);
  out->exit = base + code.labelOffsetFromBase(exit);
  out->enter_system =
      reinterpret_cast<decltype(out->enter_system)>(base + code.labelOffsetFromBase(enter_system));
  cache.commit(size);
  out->bytes = cache.used();
  return true;
}

EmitResult emit_block(const ir::Block& b, CodeCache& cache, const Stubs& stubs,
                      const EmitOptions& opts, Emitted* out, std::string* error) {
  // One CodeHolder per thread, reset softly between blocks: its zone memory is kept.
  thread_local CodeHolder code;
  code.reset(ResetPolicy::kSoft);
  uint8_t* base = cache.cursor();
  code.init(Environment::host(), reinterpret_cast<uint64_t>(base));
  thread_local FileLogger logger;
  logger.setFile(opts.listing);
  if (opts.listing) code.setLogger(&logger);
  else code.resetLogger();
  x86::Assembler a(&code);
  Emitter e(b, a, stubs, opts);
  if (!e.run(error)) return EmitResult::Error;
  size_t size = 0;
  if (!place(code, cache, &size)) return EmitResult::CacheFull;
  out->code = base;
  out->bytes = size;
  out->links.clear();
  for (const auto& s : e.sites)
    out->links.push_back({s.target, base + code.labelOffsetFromBase(s.label)});
  out->pc_sites.assign(e.pc_sites.begin(), e.pc_sites.end());
  cache.commit(size);
  return EmitResult::Ok;
}

}  // namespace xvm::jit::x64
