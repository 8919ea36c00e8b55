// Scalar floating point and Advanced SIMD for the block emitter (emitter.h).
#include "jit/x64/emitter.h"

namespace xvm::jit::x64::emit {

// Scalar FP on the host. Fast path: FPCR default (round to nearest, no FZ/DN), the nearest
// result finite, normal and above the smallest normal (so no NaN rules, no underflow, no
// overflow, no invalid or divide-by-zero); then the only flag is inexact, found by rounding
// the same operation up and down (AVX-512 embedded rounding: MXCSR is neither read nor
// written). Everything else runs the interpreter handler out of line.
void Emitter::fp_op(const Inst& i) {
  const auto kind = ir::FpKind(i.aux);
  const bool dbl = i.width == 8;
  const unsigned d = i.imm & 0xff, n = (i.imm >> 8) & 0xff, m = (i.imm >> 16) & 0xff,
                 ad = (i.imm >> 24) & 0xff;
  const auto vscalar = [&](unsigned r) {
    return dbl ? x86::qword_ptr(kCpu, kV + 16 * int32_t(r)) : x86::dword_ptr(kCpu, kV + 16 * int32_t(r));
  };
  const int32_t vd = kV + 16 * int32_t(d);
  const auto store_result = [&](const x86::Xmm& x) {
    if (dbl) {
      a_.movq(x86::qword_ptr(kCpu, vd), x);
    } else {
      a_.movd(x86::dword_ptr(kCpu, vd), x);
      a_.mov(x86::dword_ptr(kCpu, vd + 4), 0);
    }
    a_.mov(x86::qword_ptr(kCpu, vd + 8), 0);
  };
  const uint64_t sign = dbl ? uint64_t{1} << 63 : uint64_t{1} << 31;
  if (kind == ir::FpKind::Mov || kind == ir::FpKind::Abs || kind == ir::FpKind::Neg) {
    if (dbl) a_.mov(x86::rax, vscalar(n));
    else a_.mov(x86::eax, vscalar(n));
    if (kind == ir::FpKind::Abs) {
      a_.mov(x86::rcx, ~sign);
      a_.and_(x86::rax, x86::rcx);
    } else if (kind == ir::FpKind::Neg) {
      a_.mov(x86::rcx, sign);
      a_.xor_(x86::rax, x86::rcx);
    }
    a_.mov(x86::qword_ptr(kCpu, vd), x86::rax);  // a single's upper half is zero here
    a_.mov(x86::qword_ptr(kCpu, vd + 8), 0);
    return;
  }
  Label done = a_.newLabel();
  const Label slow = slow_call(i.imm2, i.imm >> 32, done);
  if (!host_has_avx512f()) {
    a_.jmp(slow);
    a_.bind(done);
    return;
  }
  a_.test(x86::dword_ptr(kCpu, kFpcr), kFpcrNonDefault);
  a_.jnz(slow);
  using x86::xmm0, x86::xmm1, x86::xmm2, x86::xmm3, x86::xmm4, x86::xmm5;
  const auto load_x = [&](const x86::Xmm& x, unsigned r) {
    if (dbl) a_.vmovsd(x, vscalar(r));
    else a_.vmovss(x, vscalar(r));
  };
  // xmm1 = n, xmm2 = m, xmm3 = a; xmm0 nearest, xmm4 up, xmm5 down.
  load_x(xmm1, n);
  if (kind != ir::FpKind::Sqrt) load_x(xmm2, m);
  const bool fused = kind == ir::FpKind::MAdd || kind == ir::FpKind::MSub ||
                     kind == ir::FpKind::NMAdd || kind == ir::FpKind::NMSub;
  Label exact = a_.newLabel();
  for (int round = 0; round < 3; ++round) {
    const x86::Xmm out = round == 0 ? xmm0 : round == 1 ? xmm4 : xmm5;
    if (fused) load_x(out, ad);
    if (round == 1) a_.ru_sae();
    else if (round == 2) a_.rd_sae();
    else a_.rn_sae();
    using K = ir::FpKind;
    switch (kind) {
      case K::Add: dbl ? a_.vaddsd(out, xmm1, xmm2) : a_.vaddss(out, xmm1, xmm2); break;
      case K::Sub: dbl ? a_.vsubsd(out, xmm1, xmm2) : a_.vsubss(out, xmm1, xmm2); break;
      case K::Mul: case K::NMul: dbl ? a_.vmulsd(out, xmm1, xmm2) : a_.vmulss(out, xmm1, xmm2); break;
      case K::Div: dbl ? a_.vdivsd(out, xmm1, xmm2) : a_.vdivss(out, xmm1, xmm2); break;
      case K::Sqrt: dbl ? a_.vsqrtsd(out, xmm1, xmm1) : a_.vsqrtss(out, xmm1, xmm1); break;
      // Arm: FMADD a + n*m, FMSUB a - n*m, FNMADD -a - n*m, FNMSUB -a + n*m.
      case K::MAdd: dbl ? a_.vfmadd231sd(out, xmm1, xmm2) : a_.vfmadd231ss(out, xmm1, xmm2); break;
      case K::MSub: dbl ? a_.vfnmadd231sd(out, xmm1, xmm2) : a_.vfnmadd231ss(out, xmm1, xmm2); break;
      case K::NMAdd: dbl ? a_.vfnmsub231sd(out, xmm1, xmm2) : a_.vfnmsub231ss(out, xmm1, xmm2); break;
      case K::NMSub: dbl ? a_.vfmsub231sd(out, xmm1, xmm2) : a_.vfmsub231ss(out, xmm1, xmm2); break;
      default: break;
    }
    if (round == 0) {
      // Exponent field of the nearest result in 2 .. max-1, else the slow path.
      if (dbl) {
        a_.vmovq(x86::rax, xmm0);
        a_.shr(x86::rax, 52);
        a_.and_(x86::eax, 0x7ff);
        a_.sub(x86::eax, 2);
        a_.cmp(x86::eax, 0x7fe - 2);
      } else {
        a_.vmovd(x86::eax, xmm0);
        a_.shr(x86::eax, 23);
        a_.and_(x86::eax, 0xff);
        a_.sub(x86::eax, 2);
        a_.cmp(x86::eax, 0xfe - 2);
      }
      a_.ja(slow);
      // IXC is sticky: once set (the usual state of a program that computes), the up and
      // down roundings that detect an inexact result are not needed.
      static_assert(arm64::fpsr::kIXC < 0x80);
      a_.test(x86::byte_ptr(kCpu, kFpsr), int32_t(arm64::fpsr::kIXC));
      a_.jnz(exact);
    }
  }
  if (dbl) a_.vucomisd(xmm4, xmm5);
  else a_.vucomiss(xmm4, xmm5);
  a_.je(exact);
  a_.or_(x86::dword_ptr(kCpu, kFpsr), arm64::fpsr::kIXC);
  a_.bind(exact);
  if (kind == ir::FpKind::NMul) {  // FNMUL negates the rounded product
    if (dbl) {
      a_.vmovq(x86::rax, xmm0);
      a_.btc(x86::rax, 63);
      a_.mov(x86::qword_ptr(kCpu, vd), x86::rax);
      a_.mov(x86::qword_ptr(kCpu, vd + 8), 0);
    } else {
      a_.vmovd(x86::eax, xmm0);
      a_.btc(x86::eax, 31);
      a_.mov(x86::qword_ptr(kCpu, vd), x86::rax);
      a_.mov(x86::qword_ptr(kCpu, vd + 8), 0);
    }
  } else {
    store_result(xmm0);
  }
  a_.bind(done);
}

// Advanced SIMD on SSE2..SSE4.1 registers xmm0-xmm3 (the V registers stay in the Cpu).
void Emitter::vec_op(const Inst& i) {
  using ir::VecKind;
  using x86::xmm0, x86::xmm1, x86::xmm2, x86::xmm3;
  const auto kind = VecKind(i.aux);
  const unsigned d = i.imm & 0xff, n = (i.imm >> 8) & 0xff, m = (i.imm >> 16) & 0xff,
                 extra = (i.imm >> 24) & 0xff;
  const bool q = (i.imm >> 62) & 1;  // encoding bit 30
  if (!host_has_sse41()) {
    Label back = a_.newLabel();
    a_.jmp(slow_call(i.imm2, i.imm >> 32, back));
    a_.bind(back);
    return;
  }
  const auto V = [&](unsigned r) { return x86::xmmword_ptr(kCpu, kV + 16 * int32_t(r)); };
  const int32_t vd = kV + 16 * int32_t(d);
  const auto put = [&](const x86::Xmm& x) {  // V[d] = x; Q=0: the low 64 bits, upper zeroed
    if (q) {
      a_.movdqu(V(d), x);
    } else {
      a_.movq(x86::qword_ptr(kCpu, vd), x);
      a_.mov(x86::qword_ptr(kCpu, vd + 8), 0);
    }
  };
  // Bytes of x as zero-extended words: even bytes stay in x, odd ones go to xmm2 (clobbers xmm3).
  const auto split_bytes = [&](const x86::Xmm& x) {
    a_.movdqa(xmm2, x);
    a_.psrlw(xmm2, 8);
    a_.pcmpeqw(xmm3, xmm3);
    a_.psrlw(xmm3, 8);
    a_.pand(x, xmm3);
  };
  a_.movdqu(xmm0, V(n));
  if (kind != VecKind::CmEqZero && kind != VecKind::Shrn) a_.movdqu(xmm1, V(m));
  switch (kind) {
    case VecKind::CmEq: case VecKind::CmEqZero:
      if (kind == VecKind::CmEqZero) a_.pxor(xmm1, xmm1);
      switch (i.width) {
        case 1: a_.pcmpeqb(xmm0, xmm1); break;
        case 2: a_.pcmpeqw(xmm0, xmm1); break;
        case 4: a_.pcmpeqd(xmm0, xmm1); break;
        default: a_.pcmpeqq(xmm0, xmm1); break;
      }
      put(xmm0);
      break;
    case VecKind::UMinP: case VecKind::UMaxP: {
      // Pairs of bytes: min/max of the even and odd byte of each word, packed back to bytes;
      // the n pairs first, then the m pairs.
      const bool min = kind == VecKind::UMinP;
      if (!q) a_.punpcklqdq(xmm0, xmm1);  // the 8 bytes of n, then the 8 of m
      split_bytes(xmm0);
      min ? a_.pminuw(xmm0, xmm2) : a_.pmaxuw(xmm0, xmm2);
      if (q) {
        split_bytes(xmm1);
        min ? a_.pminuw(xmm1, xmm2) : a_.pmaxuw(xmm1, xmm2);
        a_.packuswb(xmm0, xmm1);
      } else {
        a_.packuswb(xmm0, xmm0);
      }
      put(xmm0);
      break;
    }
    case VecKind::Shrn:
      // Each source element shifted right and truncated to half its width; SHRN2 (Q=1)
      // writes the upper half of V[d] and keeps the lower.
      if (i.width == 2) {
        a_.psrlw(xmm0, extra);
        a_.pcmpeqw(xmm3, xmm3);
        a_.psrlw(xmm3, 8);
        a_.pand(xmm0, xmm3);
        a_.packuswb(xmm0, xmm0);
      } else if (i.width == 4) {
        a_.psrld(xmm0, extra);
        a_.pcmpeqd(xmm3, xmm3);
        a_.psrld(xmm3, 16);
        a_.pand(xmm0, xmm3);
        a_.packusdw(xmm0, xmm0);
      } else {
        a_.psrlq(xmm0, extra);
        a_.pshufd(xmm0, xmm0, 0x08);  // the low dword of each qword
      }
      if (q) {
        a_.movq(x86::qword_ptr(kCpu, vd + 8), xmm0);
      } else {
        a_.movq(x86::qword_ptr(kCpu, vd), xmm0);
        a_.mov(x86::qword_ptr(kCpu, vd + 8), 0);
      }
      break;
    case VecKind::And: a_.pand(xmm0, xmm1); put(xmm0); break;
    case VecKind::Orr: a_.por(xmm0, xmm1); put(xmm0); break;
    case VecKind::Eor: a_.pxor(xmm0, xmm1); put(xmm0); break;
    case VecKind::Bic: a_.pandn(xmm1, xmm0); put(xmm1); break;  // ~m & n
    case VecKind::Orn:
      a_.pcmpeqd(xmm2, xmm2);
      a_.pxor(xmm1, xmm2);
      a_.por(xmm0, xmm1);
      put(xmm0);
      break;
    case VecKind::Bsl: case VecKind::Bit: case VecKind::Bif: {
      // y ^ ((y ^ n) & mask): BSL y = m, mask = d; BIT y = d, mask = m; BIF y = d, mask = ~m.
      a_.movdqu(xmm2, V(d));
      const x86::Xmm y = kind == VecKind::Bsl ? xmm1 : xmm2, mask = kind == VecKind::Bsl ? xmm2 : xmm1;
      a_.pxor(xmm0, y);
      if (kind == VecKind::Bif) {
        a_.pandn(mask, xmm0);  // mask = ~m & (y ^ n)
        a_.movdqa(xmm0, mask);
      } else {
        a_.pand(xmm0, mask);
      }
      a_.pxor(xmm0, y);
      put(xmm0);
      break;
    }
  }
}

void Emitter::vec_dup(const Inst& i) {
  using x86::xmm0;
  a_.movq(xmm0, in(i.a[0], x86::rax));
  switch (i.width) {
    case 1: a_.punpcklbw(xmm0, xmm0); [[fallthrough]];
    case 2: a_.punpcklwd(xmm0, xmm0); [[fallthrough]];
    case 4: a_.pshufd(xmm0, xmm0, 0); break;
    default: a_.punpcklqdq(xmm0, xmm0); break;
  }
  const int32_t vd = kV + 16 * int32_t(i.aux);
  if (i.imm) {
    a_.movdqu(x86::xmmword_ptr(kCpu, vd), xmm0);
  } else {
    a_.movq(x86::qword_ptr(kCpu, vd), xmm0);
    a_.mov(x86::qword_ptr(kCpu, vd + 8), 0);
  }
}

// FCMP/FCMPE: NZCV from the host's unordered compare; a NaN operand (unordered: FCMPE always
// signals, FCMP only for a signalling NaN) or FPCR.FZ runs the handler, and NZCV is read back.
void Emitter::fp_cmp(const Inst& i) {
  const bool dbl = i.width == 8, with_zero = i.aux & 2;
  const unsigned n = (i.imm >> 8) & 0xff, m = (i.imm >> 16) & 0xff;
  const auto vscalar = [&](unsigned r) {
    return dbl ? x86::qword_ptr(kCpu, kV + 16 * int32_t(r)) : x86::dword_ptr(kCpu, kV + 16 * int32_t(r));
  };
  Label done = a_.newLabel(), after_slow = a_.newLabel();
  const Label slow = slow_call(i.imm2, i.imm >> 32, after_slow);
  a_.test(x86::dword_ptr(kCpu, kFpcr), arm64::fpcr::kFZ);
  a_.jnz(slow);
  // ucomis m, n: "above" is n < m (ordered), "below or equal" is n >= m or unordered.
  if (dbl) {
    a_.movsd(x86::xmm0, vscalar(n));
    if (with_zero) a_.xorpd(x86::xmm1, x86::xmm1);
    else a_.movsd(x86::xmm1, vscalar(m));
    a_.ucomisd(x86::xmm1, x86::xmm0);
  } else {
    a_.movss(x86::xmm0, vscalar(n));
    if (with_zero) a_.xorps(x86::xmm1, x86::xmm1);
    else a_.movss(x86::xmm1, vscalar(m));
    a_.ucomiss(x86::xmm1, x86::xmm0);
  }
  a_.jp(slow);
  // Ordered: N = n < m, Z = n == m, C = n >= m, V = 0.
  a_.seta(x86::al);
  a_.sete(x86::cl);
  a_.setbe(x86::dl);
  a_.movzx(x86::eax, x86::al);
  a_.movzx(x86::ecx, x86::cl);
  a_.movzx(x86::edx, x86::dl);
  a_.lea(x86::eax, x86::ptr(x86::rcx, x86::rax, 1));
  a_.lea(x86::eax, x86::ptr(x86::rdx, x86::rax, 1));
  a_.shl(x86::eax, 29);
  a_.jmp(done);
  a_.bind(after_slow);
  a_.mov(x86::eax, x86::dword_ptr(kCpu, kNzcv));
  a_.bind(done);
  save(i.dst, x86::rax);
}

}  // namespace xvm::jit::x64::emit
