// Advanced SIMD load/store multiple structures (LD1-LD4/ST1-ST4) and single structure
// (LD1-LD4/ST1-ST4 to one lane, LD1R-LD4R), with and without post-index (Arm ARM C4.1.88,
// pseudocode "LD1 (multiple structures)" / "LD1 (single structure)" shared decode).
//
// Every form touches one contiguous block of memory, so loads copy the block in first and only
// then write the registers (a fault leaves every register unchanged), and stores assemble the
// block and write it with one bounds- and page-checked copy (store_ptr: a fault on the block's
// last page is found before anything is written).
#include "arch/arm64/interp/ldst_common.h"

namespace xvm::arm64::interp {
namespace {

// Field positions of all lines of each class (a64/ldst.inc).
inline constexpr Pattern kMultLayout{"0q001100pL0mmmmmoooozznnnnnttttt"};
inline constexpr Pattern kSingleLayout{"0q001101pLRmmmmmooosZZnnnnnttttt"};

// Without post-index (p=0) the Rm field must be 00000; otherwise the encoding is unallocated.
// With it, Rm=31 means "post-increment by the transfer size" and anything else adds Xm.
template <class F>
void check_post(Cpu& cpu, uint32_t insn, const F& f) {
  if (!f.template u<'p'>() && f.template u<'m'>() != 0) undefined(cpu, insn);
}

template <class F>
void writeback(Cpu& cpu, const F& f, uint64_t address, uint64_t total) {
  if (!f.template u<'p'>()) return;
  const unsigned m = f.template u<'m'>();
  cpu.set_xsp(f.template u<'n'>(), address + (m == 31 ? total : cpu.xr(m)));
}

// kSelem elements per structure, kRpt registers per structure element (LD1 with 2-4
// registers is rpt = n, selem = 1; LDn is rpt = 1, selem = n).
template <bool kLoad, unsigned kSelem, unsigned kRpt>
void multiple(Cpu& cpu, uint32_t insn) {
  const Fields<kMultLayout> f{insn};
  check_post(cpu, insn, f);
  const unsigned size = f.u<'z'>();
  const bool q = f.u<'q'>();
  if (size == 3 && !q && kSelem > 1) undefined(cpu, insn);  // .1D is reserved for LD2-LD4
  const unsigned ebytes = 1u << size, regbytes = q ? 16 : 8, elements = regbytes / ebytes;
  const unsigned total = regbytes * kSelem * kRpt;
  const unsigned t = f.u<'t'>();
  const uint64_t a = cpu.xsp(f.u<'n'>());
  uint8_t buf[64];
  if constexpr (kLoad) {
    read_bytes(cpu, a, buf, total);
    VReg r[kSelem * kRpt] = {};  // Q=0 loads zero the upper halves
    unsigned off = 0;
    for (unsigned rp = 0; rp < kRpt; ++rp)
      for (unsigned e = 0; e < elements; ++e)
        for (unsigned s = 0; s < kSelem; ++s, off += ebytes)
          std::memcpy(&r[rp + s].b[e * ebytes], buf + off, ebytes);
    for (unsigned i = 0; i < kSelem * kRpt; ++i) cpu.v[(t + i) % 32] = r[i];
  } else {
    unsigned off = 0;
    for (unsigned rp = 0; rp < kRpt; ++rp)
      for (unsigned e = 0; e < elements; ++e)
        for (unsigned s = 0; s < kSelem; ++s, off += ebytes)
          std::memcpy(buf + off, &cpu.v[(t + rp + s) % 32].b[e * ebytes], ebytes);
    write_bytes(cpu, a, buf, total);
  }
  writeback(cpu, f, a, total);
}

// One structure of selem = opcode<0>:R + 1 elements to/from lane `index` of consecutive
// registers, or (opcode<2:1> = 11, loads only) replicated to every lane.
template <bool kLoad>
void single(Cpu& cpu, uint32_t insn) {
  const Fields<kSingleLayout> f{insn};
  check_post(cpu, insn, f);
  const unsigned opcode = f.u<'o'>(), size = f.u<'Z'>(), s_bit = f.u<'s'>();
  const bool q = f.u<'q'>();
  const unsigned selem = (((opcode & 1) << 1) | f.u<'R'>()) + 1;
  unsigned scale = opcode >> 1, index = 0;
  bool replicate = false;
  switch (scale) {
    case 3:  // LDnR
      if (!kLoad || s_bit) undefined(cpu, insn);
      scale = size;
      replicate = true;
      break;
    case 0:  // B
      index = (q << 3) | (s_bit << 2) | size;
      break;
    case 1:  // H: size<0> must be 0
      if (size & 1) undefined(cpu, insn);
      index = (q << 2) | (s_bit << 1) | (size >> 1);
      break;
    default:  // S (size 00) or D (size 01 with S = 0)
      if (size & 2) undefined(cpu, insn);
      if (size & 1) {
        if (s_bit) undefined(cpu, insn);
        index = q;
        scale = 3;
      } else {
        index = (q << 1) | s_bit;
      }
      break;
  }
  const unsigned ebytes = 1u << scale, total = ebytes * selem;
  const unsigned t = f.u<'t'>();
  const uint64_t a = cpu.xsp(f.u<'n'>());
  uint8_t buf[32];
  if constexpr (kLoad) {
    read_bytes(cpu, a, buf, total);
    for (unsigned s = 0; s < selem; ++s) {
      VReg& v = cpu.v[(t + s) % 32];
      if (replicate) {
        VReg r{};  // Q=0 zeroes the upper half
        for (unsigned e = 0; e < (q ? 16u : 8u) / ebytes; ++e)
          std::memcpy(&r.b[e * ebytes], buf + s * ebytes, ebytes);
        v = r;
      } else {
        std::memcpy(&v.b[index * ebytes], buf + s * ebytes, ebytes);
      }
    }
  } else {
    for (unsigned s = 0; s < selem; ++s)
      std::memcpy(buf + s * ebytes, &cpu.v[(t + s) % 32].b[index * ebytes], ebytes);
    write_bytes(cpu, a, buf, total);
  }
  writeback(cpu, f, a, total);
}

}  // namespace

void ST4_mult(Cpu& cpu, uint32_t insn) {
  multiple<false, 4, 1>(cpu, insn);
}
void ST3_mult(Cpu& cpu, uint32_t insn) {
  multiple<false, 3, 1>(cpu, insn);
}
void ST2_mult(Cpu& cpu, uint32_t insn) {
  multiple<false, 2, 1>(cpu, insn);
}
void ST1_mult_1(Cpu& cpu, uint32_t insn) {
  multiple<false, 1, 1>(cpu, insn);
}
void ST1_mult_2(Cpu& cpu, uint32_t insn) {
  multiple<false, 1, 2>(cpu, insn);
}
void ST1_mult_3(Cpu& cpu, uint32_t insn) {
  multiple<false, 1, 3>(cpu, insn);
}
void ST1_mult_4(Cpu& cpu, uint32_t insn) {
  multiple<false, 1, 4>(cpu, insn);
}
void LD4_mult(Cpu& cpu, uint32_t insn) {
  multiple<true, 4, 1>(cpu, insn);
}
void LD3_mult(Cpu& cpu, uint32_t insn) {
  multiple<true, 3, 1>(cpu, insn);
}
void LD2_mult(Cpu& cpu, uint32_t insn) {
  multiple<true, 2, 1>(cpu, insn);
}
void LD1_mult_1(Cpu& cpu, uint32_t insn) {
  multiple<true, 1, 1>(cpu, insn);
}
void LD1_mult_2(Cpu& cpu, uint32_t insn) {
  multiple<true, 1, 2>(cpu, insn);
}
void LD1_mult_3(Cpu& cpu, uint32_t insn) {
  multiple<true, 1, 3>(cpu, insn);
}
void LD1_mult_4(Cpu& cpu, uint32_t insn) {
  multiple<true, 1, 4>(cpu, insn);
}

void ST1_single(Cpu& cpu, uint32_t insn) {
  single<false>(cpu, insn);
}
void ST2_single(Cpu& cpu, uint32_t insn) {
  single<false>(cpu, insn);
}
void ST3_single(Cpu& cpu, uint32_t insn) {
  single<false>(cpu, insn);
}
void ST4_single(Cpu& cpu, uint32_t insn) {
  single<false>(cpu, insn);
}
void LD1_single(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}
void LD2_single(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}
void LD3_single(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}
void LD4_single(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}
void LD1R(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}
void LD2R(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}
void LD3R(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}
void LD4R(Cpu& cpu, uint32_t insn) {
  single<true>(cpu, insn);
}

}  // namespace xvm::arm64::interp
