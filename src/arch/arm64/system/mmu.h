// Stage-1 address translation of the EL1&0 regime (Arm ARM D8, "The AArch64 Virtual Memory
// System Architecture"), for the system-mode CPU: the 4 KiB granule, TTBR0/TTBR1 with
// T0SZ/T1SZ (39- and 48-bit and anything between 25 and 48 bits), block and page descriptors,
// hierarchical table permissions, the access flag, and the fault codes the Arm ARM gives each
// failure (the DFSC/IFSC field of ESR_EL1). The 16K and 64K granules are not implemented, and
// the ID registers say so (ID_AA64MMFR0_EL1.TGran16 = 0, TGran64 = 0xF); a TCR_EL1.TGx value
// for them is treated as 4K, one of the choices the Arm ARM allows for a reserved or
// unimplemented granule size.
//
// walk() resolves a virtual address to a physical page and the permissions of every access
// kind at once, so that a soft TLB can cache the result and check each later access without
// walking again; check() applies one access to a walk result.
#pragma once
#include <cstdint>

namespace xvm::arm64::sys {

// Reads one 8-byte translation table descriptor at a physical address; false if no RAM is
// there (the walk then ends in a synchronous external abort on a translation table walk).
class DescriptorReader {
 public:
  virtual ~DescriptorReader() = default;
  virtual bool read_descriptor(uint64_t pa, uint64_t* out) = 0;
};

// The registers a stage-1 EL1&0 walk reads (Arm ARM D19: SCTLR_EL1, TCR_EL1, TTBR0_EL1,
// TTBR1_EL1), plus the implemented physical address size.
struct TranslationRegs {
  uint64_t sctlr = 0;
  uint64_t tcr = 0;
  uint64_t ttbr0 = 0;
  uint64_t ttbr1 = 0;
  unsigned pa_bits = 40;  // ID_AA64MMFR0_EL1.PARange of the emulated CPU
};

// Fault status codes (the DFSC/IFSC field of ESR_ELx, Arm ARM "ISS encoding for an exception
// from a Data Abort"): the kind in bits 5:2, the level in bits 1:0.
enum class FaultKind : uint8_t {
  None = 0xff,
  AddressSize = 0x00,   // 0b0000LL
  Translation = 0x04,   // 0b0001LL
  AccessFlag = 0x08,    // 0b0010LL
  Permission = 0x0c,    // 0b0011LL
  External = 0x10,      // synchronous external abort (nothing at the physical address)
  ExternalWalk = 0x14,  // 0b0101LL: synchronous external abort on a table walk
};

struct Fault {
  FaultKind kind = FaultKind::None;
  uint8_t level = 0;
  explicit operator bool() const { return kind != FaultKind::None; }
  uint32_t status() const { return uint32_t(kind) | level; }  // the DFSC/IFSC value
};

// Permissions of a translated page, per exception level.
namespace perm {
constexpr uint8_t kR0 = 1 << 0, kW0 = 1 << 1, kX0 = 1 << 2;  // EL0
constexpr uint8_t kR1 = 1 << 3, kW1 = 1 << 4, kX1 = 1 << 5;  // EL1
}  // namespace perm

enum class Access : uint8_t { Read, Write, Fetch };

// The perm:: bit an access of this kind at exception level `el` (0 or 1) needs.
constexpr uint8_t required_perm(Access a, unsigned el) {
  switch (a) {
    case Access::Read: return el ? perm::kR1 : perm::kR0;
    case Access::Write: return el ? perm::kW1 : perm::kW0;
    case Access::Fetch: return el ? perm::kX1 : perm::kX0;
  }
  return 0;
}

struct WalkResult {
  Fault fault;                // a fault on the walk itself (translation, access flag, …)
  uint64_t pa = 0;            // physical address of the byte at the virtual address
  uint64_t block_size = 0;    // 4 KiB page, 2 MiB or 1 GiB block (what one TLB entry may cover)
  uint8_t perms = 0;          // perm::k* bits
  uint8_t level = 0;          // level of the final descriptor (or of the fault)
  uint8_t attr_index = 0;     // AttrIndx: the MAIR_EL1 field giving the memory type
  uint8_t shareability = 0;   // SH[1:0] of the descriptor
  bool global = true;         // nG == 0: the entry matches every ASID
  uint16_t asid = 0;          // the ASID of the table that translated it (TCR_EL1.A1 picks)
  bool mmu_off = false;       // SCTLR_EL1.M == 0: flat, device memory for data
};

// Translates `va` for the EL1&0 regime. With the MMU off the result is the identity map, all
// accesses allowed, or an address size fault above the physical address range (Arm ARM D8.2
// "the effect of disabling address translation").
WalkResult walk(const TranslationRegs& regs, uint64_t va, DescriptorReader& mem);

// Can `access` at exception level `el` (0 or 1) use the page of a successful walk? A
// permission fault at the level of the final descriptor if not.
Fault check(const WalkResult& w, Access access, unsigned el);

}  // namespace xvm::arm64::sys
