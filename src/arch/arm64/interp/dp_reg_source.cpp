// Data processing -- register (Arm ARM C4.1): data-processing (1 source), (2 source) and
// (3 source): bit reversal and counting, division, variable shifts, CRC32, multiply(-add).
#include <array>
#include <bit>

#include "arch/arm64/handlers.h"
#include "arch/arm64/interp/common.h"

namespace xvm::arm64::interp {
namespace {

uint64_t trunc(uint64_t v, bool is64) {
  return is64 ? v : static_cast<uint32_t>(v);
}

// Byte-reverses each container of `bytes` bytes inside a datasize-bit value (Arm ARM C6.2
// REV16/REV32/REV: containers of 2, 4 or datasize/8 bytes).
uint64_t reverse_bytes(uint64_t v, unsigned bytes, bool is64) {
  uint64_t r = 0;
  const unsigned total = is64 ? 8 : 4;
  for (unsigned c = 0; c < total; c += bytes)
    for (unsigned i = 0; i < bytes; ++i)
      r |= ((v >> (8 * (c + i))) & 0xff) << (8 * (c + bytes - 1 - i));
  return r;
}

// A reflected CRC-32 table for one polynomial, bit-reversed as Arm ARM C6.2 CRC32 computes it
// (BitReverse on input and output of Poly32Mod2 is the usual reflected, LSB-first algorithm,
// with no pre- or post-inversion).
constexpr std::array<uint32_t, 256> crc_table(uint32_t reflected_poly) {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? reflected_poly : 0);
    t[i] = c;
  }
  return t;
}
constexpr auto kCrc32 = crc_table(0xedb88320u);   // 0x04C11DB7, reflected
constexpr auto kCrc32c = crc_table(0x82f63b78u);  // 0x1EDC6F41, reflected

template <const Pattern& P>
void crc32(Cpu& cpu, uint32_t insn, const std::array<uint32_t, 256>& table) {
  const Fields<P> f{insn};
  const unsigned sz = f.template u<'z'>();
  // Arm ARM C6.2 CRC32: sf == 1 with sz != 11, or sf == 0 with sz == 11, is UNDEF.
  if ((sz == 3) != static_cast<bool>(f.template u<'s'>())) undefined(cpu, insn);
  uint32_t acc = cpu.wr(f.template u<'n'>());
  uint64_t val = cpu.xr(f.template u<'m'>());
  for (unsigned i = 0, n = 1u << sz; i < n; ++i, val >>= 8)
    acc = (acc >> 8) ^ table[(acc ^ val) & 0xff];
  cpu.set_wr(f.template u<'d'>(), acc);
}

// LSLV/LSRV/ASRV/RORV: the amount is Rm modulo the datasize (Arm ARM C6.2). type as ShiftReg.
template <const Pattern& P>
void shift_var(Cpu& cpu, uint32_t insn, unsigned type) {
  const Fields<P> f{insn};
  const bool is64 = f.template u<'s'>();
  const unsigned size = is64 ? 64 : 32;
  const unsigned amount = cpu.xr(f.template u<'m'>()) % size;
  const uint64_t v = trunc(cpu.xr(f.template u<'n'>()), is64);
  uint64_t r = v;
  if (amount != 0) {
    switch (type) {
      case 0:
        r = v << amount;
        break;
      case 1:
        r = v >> amount;
        break;
      case 2:
        r = is64 ? static_cast<uint64_t>(static_cast<int64_t>(v) >> amount)
                 : static_cast<uint32_t>(static_cast<int32_t>(v) >> amount);
        break;
      default:
        r = (v >> amount) | (v << (size - amount));
        break;
    }
  }
  cpu.set_xr(f.template u<'d'>(), trunc(r, is64));
}

template <const Pattern& P>
void mul_add(Cpu& cpu, uint32_t insn, bool sub) {
  const Fields<P> f{insn};
  const uint64_t prod = cpu.xr(f.template u<'n'>()) * cpu.xr(f.template u<'m'>());
  const uint64_t a = cpu.xr(f.template u<'a'>());
  cpu.set_xr(f.template u<'d'>(), trunc(sub ? a - prod : a + prod, f.template u<'s'>()));
}

// SMADDL/SMSUBL/UMADDL/UMSUBL: 64-bit Ra +/- the 64-bit product of Wn and Wm.
template <const Pattern& P>
void mul_add_long(Cpu& cpu, uint32_t insn, bool is_signed, bool sub) {
  const Fields<P> f{insn};
  const uint32_t n = cpu.wr(f.template u<'n'>()), m = cpu.wr(f.template u<'m'>());
  const uint64_t prod = is_signed ? static_cast<uint64_t>(int64_t{static_cast<int32_t>(n)} *
                                                          int64_t{static_cast<int32_t>(m)})
                                  : uint64_t{n} * m;
  const uint64_t a = cpu.xr(f.template u<'a'>());
  cpu.set_xr(f.template u<'d'>(), sub ? a - prod : a + prod);
}

}  // namespace

void RBIT(Cpu& cpu, uint32_t insn) {
  const Fields<pat::RBIT> f{insn};
  const bool is64 = f.u<'s'>();
  uint64_t v = cpu.xr(f.u<'n'>()), r = 0;
  for (unsigned i = 0, size = is64 ? 64 : 32; i < size; ++i, v >>= 1) r = (r << 1) | (v & 1);
  cpu.set_xr(f.u<'d'>(), r);
}

void REV16(Cpu& cpu, uint32_t insn) {
  const Fields<pat::REV16> f{insn};
  cpu.set_xr(f.u<'d'>(), reverse_bytes(cpu.xr(f.u<'n'>()), 2, f.u<'s'>()));
}

void REV32(Cpu& cpu, uint32_t insn) {
  const Fields<pat::REV32> f{insn};
  cpu.set_xr(f.u<'d'>(), reverse_bytes(cpu.xr(f.u<'n'>()), 4, true));
}

// opc = 10 is REV (32-bit) for sf = 0; opc = 11 is REV (64-bit) for sf = 1 and unallocated for
// sf = 0. (sf = 1, opc = 10 is REV32's line.)
void REV(Cpu& cpu, uint32_t insn) {
  const Fields<pat::REV> f{insn};
  const bool is64 = f.u<'s'>();
  if (!is64 && f.u<'o'>()) undefined(cpu, insn);
  cpu.set_xr(f.u<'d'>(), reverse_bytes(cpu.xr(f.u<'n'>()), is64 ? 8 : 4, is64));
}

void CLZ(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CLZ> f{insn};
  const uint64_t v = cpu.xr(f.u<'n'>());
  cpu.set_xr(f.u<'d'>(),
             f.u<'s'>() ? std::countl_zero(v) : std::countl_zero(static_cast<uint32_t>(v)));
}

// CLS: how many bits below the top one equal it (Arm ARM J1 "CountLeadingSignBits").
void CLS(Cpu& cpu, uint32_t insn) {
  const Fields<pat::CLS> f{insn};
  const uint64_t v = cpu.xr(f.u<'n'>());
  unsigned r;
  if (f.u<'s'>()) {
    r = std::countl_zero((v ^ (v << 1)) | 1);
  } else {
    const uint32_t w = static_cast<uint32_t>(v);
    r = std::countl_zero((w ^ (w << 1)) | 1u);
  }
  cpu.set_xr(f.u<'d'>(), r);
}

// Division rounds towards zero; a zero divisor gives 0 and INT_MIN / -1 gives INT_MIN, without
// any exception (Arm ARM C6.2 UDIV/SDIV).
void UDIV(Cpu& cpu, uint32_t insn) {
  const Fields<pat::UDIV> f{insn};
  const bool is64 = f.u<'s'>();
  const uint64_t n = trunc(cpu.xr(f.u<'n'>()), is64), m = trunc(cpu.xr(f.u<'m'>()), is64);
  cpu.set_xr(f.u<'d'>(), m == 0 ? 0 : n / m);
}

void SDIV(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SDIV> f{insn};
  uint64_t r = 0;
  if (f.u<'s'>()) {
    const int64_t n = static_cast<int64_t>(cpu.xr(f.u<'n'>()));
    const int64_t m = static_cast<int64_t>(cpu.xr(f.u<'m'>()));
    if (m == -1)
      r = 0 - static_cast<uint64_t>(n);  // wraps for INT64_MIN
    else if (m != 0)
      r = static_cast<uint64_t>(n / m);
  } else {
    const int32_t n = static_cast<int32_t>(cpu.wr(f.u<'n'>()));
    const int32_t m = static_cast<int32_t>(cpu.wr(f.u<'m'>()));
    if (m == -1)
      r = static_cast<uint32_t>(0u - static_cast<uint32_t>(n));
    else if (m != 0)
      r = static_cast<uint32_t>(n / m);
  }
  cpu.set_xr(f.u<'d'>(), r);
}

void LSLV(Cpu& cpu, uint32_t insn) {
  shift_var<pat::LSLV>(cpu, insn, 0);
}
void LSRV(Cpu& cpu, uint32_t insn) {
  shift_var<pat::LSRV>(cpu, insn, 1);
}
void ASRV(Cpu& cpu, uint32_t insn) {
  shift_var<pat::ASRV>(cpu, insn, 2);
}
void RORV(Cpu& cpu, uint32_t insn) {
  shift_var<pat::RORV>(cpu, insn, 3);
}

void CRC32(Cpu& cpu, uint32_t insn) {
  crc32<pat::CRC32>(cpu, insn, kCrc32);
}
void CRC32C(Cpu& cpu, uint32_t insn) {
  crc32<pat::CRC32C>(cpu, insn, kCrc32c);
}

void MADD(Cpu& cpu, uint32_t insn) {
  mul_add<pat::MADD>(cpu, insn, false);
}
void MSUB(Cpu& cpu, uint32_t insn) {
  mul_add<pat::MSUB>(cpu, insn, true);
}
void SMADDL(Cpu& cpu, uint32_t insn) {
  mul_add_long<pat::SMADDL>(cpu, insn, true, false);
}
void SMSUBL(Cpu& cpu, uint32_t insn) {
  mul_add_long<pat::SMSUBL>(cpu, insn, true, true);
}
void UMADDL(Cpu& cpu, uint32_t insn) {
  mul_add_long<pat::UMADDL>(cpu, insn, false, false);
}
void UMSUBL(Cpu& cpu, uint32_t insn) {
  mul_add_long<pat::UMSUBL>(cpu, insn, false, true);
}

// SMULH/UMULH: bits 127:64 of the 128-bit product.
void SMULH(Cpu& cpu, uint32_t insn) {
  const Fields<pat::SMULH> f{insn};
  const __int128 p = static_cast<__int128>(static_cast<int64_t>(cpu.xr(f.u<'n'>()))) *
                     static_cast<int64_t>(cpu.xr(f.u<'m'>()));
  cpu.set_xr(f.u<'d'>(), static_cast<uint64_t>(static_cast<unsigned __int128>(p) >> 64));
}

void UMULH(Cpu& cpu, uint32_t insn) {
  const Fields<pat::UMULH> f{insn};
  const unsigned __int128 p =
      static_cast<unsigned __int128>(cpu.xr(f.u<'n'>())) * cpu.xr(f.u<'m'>());
  cpu.set_xr(f.u<'d'>(), static_cast<uint64_t>(p >> 64));
}

}  // namespace xvm::arm64::interp
