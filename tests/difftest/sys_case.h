// The system-level difftest (docs/difftest.md, "System level"): one physical RAM image with
// stage-1 translation tables, a vector table and a short random instruction sequence, run by
// xvm's system interpreter and by Unicorn from the same EL1/EL0 state. Both stop at every
// exception entry (the state is compared there) and at the end of the sequence.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace xvm::difftest::sys {

// Physical memory: 4 MiB of RAM at 1 GiB (offsets below are from kRamBase).
constexpr uint64_t kRamBase = 0x4000'0000, kRamSize = 4ull << 20;
constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kKernelPage = 0x0000;     // vector table (0x000-0x7ff), boot stub (0x800)
constexpr uint64_t kCodePage = 0x1000;       // the random sequence
constexpr uint64_t kDataPages = 0x2000;      // D0..D7, one page each
constexpr unsigned kNumData = 8;
constexpr uint64_t kTables = 0x10000;        // translation tables, one page each (sys_case.cpp)
constexpr uint64_t kBlockPa = 0x200000;      // target of the 2 MiB block
// The only RAM a case can reach (pointers stay near the start and the end of the block), so
// the only RAM written to Unicorn, read back and compared.
constexpr uint64_t kLiveRanges[][2] = {
    {0x0, 0x20000}, {kBlockPa, kBlockPa + 0x3000}, {kBlockPa + 0x1fd000, 0x400000}};

// Virtual addresses (39-bit VA: T0SZ = T1SZ = 25, 4 KiB granule, walks start at level 1).
constexpr uint64_t kCodeVa = 0x1000;                       // code page, RO at EL0 and EL1
constexpr uint64_t kDataVa = 0x2000;                       // D0..D7
constexpr uint64_t kPtWindowVa = 0x10000;                  // the level-3 table, RW at EL1
constexpr uint64_t kBlockVa = 0x200000;                    // 2 MiB block, RW at EL0 and EL1
constexpr uint64_t kAliasVa = 0x4000'0000;                 // under a table with APTable etc.
constexpr uint64_t kKernelVa = 0xffff'ff80'0000'0000;      // TTBR1: kernel page (VBAR)
constexpr uint64_t kVbar = kKernelVa;
constexpr uint64_t kBootVa = kKernelVa + 0x800;

// Registers the generator reserves: X27 is the vector stubs' scratch register; X20-X22 hold
// the page-table-entry pointer, the new entry and its VA>>12 for the "change a table entry,
// then TLBI" macro. Random instructions only use X0-X15.
constexpr unsigned kStubReg = 27, kPteReg = 20, kPteValReg = 21, kPteVaReg = 22;

constexpr unsigned kMaxSegments = 6;   // exception entries compared per case
constexpr unsigned kMaxSteps = 256;    // instructions per segment (a runaway is a mismatch)

struct SysCase {
  std::vector<uint32_t> code;        // instruction slots at kCodeVa; the end is the slot after
  std::vector<uint8_t> ram;          // the whole physical RAM image
  uint64_t x[31] = {};
  uint64_t sp_el0 = 0, sp_el1 = 0;
  unsigned el = 1;
  bool sp_sel = true;
  uint32_t nzcv = 0;
  uint64_t daif = 0x3c0;
  uint64_t sctlr = 0, tcr = 0, mair = 0, ttbr0 = 0, ttbr1 = 0, cpacr = 0;
  uint64_t elr = 0, spsr = 0, esr = 0, far = 0, par = 0, tpidr_el1 = 0;
  uint64_t v0[2] = {};
  uint64_t end_va() const { return kCodeVa + 4 * code.size(); }
  uint64_t boot_spsr() const;  // PSTATE the bootstrap ERET establishes
};

// Architectural state at a stop: an exception entry (after it was taken) or the end.
struct SysSnap {
  bool exception = false;  // false: reached the end of the sequence
  uint64_t x[31] = {};
  uint64_t sp_el0 = 0, sp_el1 = 0, pc = 0;
  uint32_t nzcv = 0;
  unsigned el = 0;
  bool sp_sel = false, il = false;
  uint64_t daif = 0;
  uint64_t elr = 0, spsr = 0, esr = 0, far = 0, par = 0, tpidr_el1 = 0;
  uint64_t v0[2] = {};
};

enum class RunEnd { Done, Skipped, Failed };

struct SysRun {
  RunEnd end = RunEnd::Done;
  std::string detail;                // why skipped or failed
  std::vector<SysSnap> stops;        // one per exception entry, then the end (if reached)
  std::vector<uint8_t> ram;          // final RAM
};

SysCase make_case(uint64_t seed, uint64_t index);

// Fields that are written with a descriptor: offsets and helpers shared with the report.
std::string describe_va(uint64_t va);

}  // namespace xvm::difftest::sys
