// The AArch64 ELF loader (linux/elf_loader.h) on synthetic images: valid ET_EXEC and ET_DYN
// files load where the ELF-64 spec and Linux's fs/binfmt_elf.c put them (segment addresses,
// permissions from p_flags, .bss zero-filled, AT_PHDR/AT_PHNUM/entry/brk start), and every
// malformed file is refused with the message of the rule it breaks, mapping nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "elf_builder.h"
#include "linux/elf_loader.h"

namespace xvm::linux_user {
namespace {

using memory::kExec;
using memory::kRead;
using memory::kWrite;
using test::ElfImage;
using ::testing::HasSubstr;

constexpr uint64_t P = kPageSize;
constexpr uint64_t kArenaSize = uint64_t{1} << 36;
constexpr uint64_t kDynBase = 0x800000000;

std::unique_ptr<memory::Arena> make_arena() {
  auto a = memory::Arena::create(kArenaSize);
  EXPECT_TRUE(a.has_value());
  return std::move(*a);
}

// Guest bytes [addr, addr+len) equal the file bytes [off, off+len).
void expect_file_bytes(const memory::Arena& a, const ElfImage& im, uint64_t addr, uint64_t off,
                       uint64_t len) {
  std::vector<uint8_t> got(len);
  ASSERT_TRUE(a.read(addr, got.data(), len)) << std::hex << addr;
  EXPECT_TRUE(std::equal(got.begin(), got.end(), im.bytes.begin() + off)) << std::hex << addr;
}

void expect_zero(const memory::Arena& a, uint64_t addr, uint64_t len) {
  std::vector<uint8_t> got(len, 0xcc);
  ASSERT_TRUE(a.read(addr, got.data(), len)) << std::hex << addr;
  EXPECT_EQ(std::count(got.begin(), got.end(), 0), int64_t(len)) << std::hex << addr;
}

TEST(ElfLoader, StaticExecLoadsAtItsAddresses) {
  auto a = make_arena();
  const ElfImage im = test::static_exec();
  auto r = load_elf(*a, im.span(), kDynBase, "prog");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->entry, 0x400100u);
  EXPECT_EQ(r->load_bias, 0u);  // ET_EXEC: dyn_base is ignored
  EXPECT_EQ(r->phdr, 0x400040u);  // e_phoff 64 inside the segment at file offset 0
  EXPECT_EQ(r->phnum, 3);
  EXPECT_EQ(r->lowest, 0x400000u);
  EXPECT_EQ(r->highest, 0x416000u);  // page_up(0x412800 + 0x3000): where brk starts
  EXPECT_EQ(r->interp, "");
  EXPECT_FALSE(r->exec_stack);

  // Permissions from p_flags (ELF-64 spec "Program header", PF_R/PF_W/PF_X).
  EXPECT_TRUE(a->accessible(0x400000, 0x2000, kRead | kExec));
  EXPECT_FALSE(a->accessible(0x400000, P, kWrite));
  EXPECT_TRUE(a->accessible(0x412000, 0x4000, kRead | kWrite));
  EXPECT_FALSE(a->any_exec(0x412000, 0x4000));
  // Whole pages between the segments and around them stay unmapped.
  EXPECT_TRUE(a->is_free(0x402000, 0x10000));
  EXPECT_TRUE(a->is_free(0x416000, P));
  EXPECT_TRUE(a->is_free(0x3ff000, P));

  // File bytes copied, the rest of p_memsz zero — including the part of the first data page
  // that the file continues into (Linux's padzero() clears it).
  expect_file_bytes(*a, im, 0x400000, 0, 0x1800);
  expect_file_bytes(*a, im, 0x412800, 0x1800, 0x300);
  expect_zero(*a, 0x412b00, 0x415800 - 0x412b00);
  // The program headers are readable where AT_PHDR points.
  Elf64_Phdr ph{};
  ASSERT_TRUE(a->read(r->phdr + sizeof ph, &ph, sizeof ph));
  EXPECT_EQ(ph.p_vaddr, 0x412800u);
}

TEST(ElfLoader, StaticPieIsRelocatedToDynBase) {
  auto a = make_arena();
  const ElfImage im = test::static_pie();
  auto r = load_elf(*a, im.span(), kDynBase, "pie");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->load_bias, kDynBase);
  EXPECT_EQ(r->entry, kDynBase + 0x100);
  EXPECT_EQ(r->phdr, kDynBase + 0x40);
  EXPECT_EQ(r->lowest, kDynBase);
  EXPECT_EQ(r->highest, kDynBase + 0x13000);
  EXPECT_TRUE(a->accessible(kDynBase, 0x2000, kRead | kExec));
  EXPECT_TRUE(a->accessible(kDynBase + 0x11000, 0x2000, kRead | kWrite));
  EXPECT_TRUE(a->is_free(0, kDynBase));
  expect_file_bytes(*a, im, kDynBase + 0x11800, 0x1800, 0x300);
  expect_zero(*a, kDynBase + 0x11b00, 0x12800 - 0x11b00);
  auto span = elf_load_span(im.span());
  ASSERT_TRUE(span);
  EXPECT_EQ(*span, 0x13000u);
}

TEST(ElfLoader, PieNotLinkedAtZeroGoesToDynBaseToo) {
  // dyn_base is where the *lowest* segment goes (what process.cpp chooses the span for).
  auto a = make_arena();
  ElfImage im = test::static_pie();
  im.shift(0x10000);
  auto r = load_elf(*a, im.span(), kDynBase, "pie");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->lowest, kDynBase);
  EXPECT_EQ(r->load_bias, kDynBase - 0x10000);
  EXPECT_EQ(r->entry, kDynBase + 0x100);
}

TEST(ElfLoader, ReportsInterpreterAndExecutableStack) {
  auto a = make_arena();
  ElfImage im = test::dynamic_exec();
  im.edit_phdr(2, [](Elf64_Phdr& p) { p.p_flags = PF_R | PF_W | PF_X; });
  auto r = load_elf(*a, im.span(), 0, "dyn");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->interp, test::kInterpPath);
  EXPECT_TRUE(r->exec_stack);
  EXPECT_EQ(r->phnum, 4);
}

TEST(ElfLoader, RecognisesAArch64Elf) {
  const ElfImage im = test::static_exec();
  EXPECT_TRUE(is_aarch64_elf(im.span()));
  EXPECT_FALSE(is_aarch64_elf(im.span().first(63)));
  ElfImage x86 = im;
  x86.edit_ehdr([](Elf64_Ehdr& e) { e.e_machine = EM_X86_64; });
  EXPECT_FALSE(is_aarch64_elf(x86.span()));
  const std::string script = "#!/bin/sh\necho hello, this is long enough to be a header......\n";
  EXPECT_FALSE(is_aarch64_elf({reinterpret_cast<const uint8_t*>(script.data()), script.size()}));
}

TEST(ElfLoader, EntryInAHoleBetweenSegmentsIsRefused) {
  // The entry lies inside [lowest, highest) but on an unmapped page between the segments: it is
  // outside every loaded segment.
  auto a = make_arena();
  ElfImage im = test::static_exec();
  im.edit_ehdr([](Elf64_Ehdr& e) { e.e_entry = 0x408000; });
  auto r = load_elf(*a, im.span(), 0, "prog");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error(), HasSubstr("entry point lies outside the loaded segments"));
}

// ---- Malformed files: each rule, its message, nothing mapped, no crash. ----

struct Bad {
  const char* name;
  std::function<ElfImage()> make;
  const char* message;
  uint64_t dyn_base = kDynBase;
  bool arena_rule = false;  // depends on where it loads, so elf_load_span() accepts it
};

// gtest prints a failing parameter with this (instead of its bytes).
void PrintTo(const Bad& b, std::ostream* os) { *os << b.name; }

ElfImage exec_with(std::function<void(ElfImage&)> f) {
  ElfImage im = test::static_exec();
  f(im);
  return im;
}
ElfImage with_ehdr(std::function<void(Elf64_Ehdr&)> f) {
  return exec_with([&](ElfImage& im) { im.edit_ehdr(f); });
}
ElfImage with_phdr(unsigned i, std::function<void(Elf64_Phdr&)> f) {
  return exec_with([&](ElfImage& im) { im.edit_phdr(i, f); });
}
ElfImage with_interp(std::function<void(ElfImage&)> f) {
  ElfImage im = test::dynamic_exec();
  f(im);
  return im;
}
void set_interp(ElfImage& im, uint64_t offset, uint64_t filesz) {
  im.edit_phdr(3, [&](Elf64_Phdr& p) { p.p_offset = offset, p.p_filesz = filesz; });
}

const Bad kBad[] = {
    {"Empty", [] { return ElfImage{}; }, "truncated ELF header"},
    {"TruncatedHeader", [] { return exec_with([](ElfImage& i) { i.bytes.resize(63); }); },
     "truncated ELF header"},
    {"BadMagic", [] { return exec_with([](ElfImage& i) { i.bytes[0] = 0x7e; }); },
     "not an ELF file"},
    {"Class32", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_ident[EI_CLASS] = ELFCLASS32; }); },
     "not a 64-bit ELF file"},
    {"BigEndian", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_ident[EI_DATA] = ELFDATA2MSB; }); },
     "not a little-endian ELF file"},
    {"BadVersion", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_ident[EI_VERSION] = 2; }); },
     "unknown ELF version"},
    {"MachineX86_64", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_machine = EM_X86_64; }); },
     "not an AArch64 program (ELF e_machine 62)"},
    {"Relocatable", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_type = ET_REL; }); },
     "not an executable (ELF type 1)"},
    {"Core", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_type = ET_CORE; }); },
     "not an executable (ELF type 4)"},
    {"PhentSize", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_phentsize = 32; }); },
     "bad program header entry size"},
    {"PhnumZero", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_phnum = 0; }); },
     "bad program header count"},
    {"PhnumHuge", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_phnum = 0xffff; }); },
     "bad program header count"},
    {"PhdrsPastEnd", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_phoff = 0x2000 - 100; }); },
     "program headers lie outside the file"},
    {"PhoffWraps", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_phoff = ~uint64_t{0} - 15; }); },
     "program headers lie outside the file"},
    {"FileszOverMemsz", [] { return with_phdr(1, [](Elf64_Phdr& p) { p.p_filesz = 0x3001; }); },
     "segment file size exceeds its memory size"},
    {"SegmentPastEnd",
     [] { return with_phdr(1, [](Elf64_Phdr& p) { p.p_filesz = 0x801, p.p_memsz = 0x3000; }); },
     "segment data lies outside the file"},
    {"SegmentOffsetWraps",
     [] { return with_phdr(1, [](Elf64_Phdr& p) { p.p_offset = ~uint64_t{0} - 0x7ff; }); },
     "segment data lies outside the file"},
    {"AlignNotPowerOfTwo", [] { return with_phdr(0, [](Elf64_Phdr& p) { p.p_align = 0x3000; }); },
     "segment alignment is not a power of two"},
    {"VaddrOffsetIncongruent", [] { return with_phdr(1, [](Elf64_Phdr& p) { p.p_vaddr += 8; }); },
     "segment address and file offset disagree modulo the page size"},
    {"Overlapping", [] { return with_phdr(1, [](Elf64_Phdr& p) { p.p_vaddr = 0x400800; }); },
     "segments overlap or are not in ascending order"},
    {"Descending",
     [] {
       return exec_with([](ElfImage& im) {
         const Elf64_Phdr t = im.phdr(0), d = im.phdr(1);
         im.set_phdr(0, d);
         im.set_phdr(1, t);
       });
     },
     "segments overlap or are not in ascending order"},
    {"EnormousMemsz",
     [] { return with_phdr(1, [](Elf64_Phdr& p) { p.p_memsz = uint64_t{1} << 41; }); },
     "segment is too large or lies outside the address space"},
    {"VaddrNear2to64",
     [] { return with_phdr(1, [](Elf64_Phdr& p) { p.p_vaddr = ~uint64_t{0} - 0x7ff; }); },
     "segment is too large or lies outside the address space"},
    {"VaddrAbove48Bits",
     [] { return exec_with([](ElfImage& im) { im.shift(uint64_t{1} << 48); }); },
     "segment is too large or lies outside the address space"},
    {"OutsideTheArena", [] { return exec_with([](ElfImage& im) { im.shift(kArenaSize); }); },
     "segments do not fit in the guest address space", 0, true},
    {"InPageZero", [] { return exec_with([](ElfImage& im) { im.shift(-uint64_t{0x400000}); }); },
     "segments do not fit in the guest address space", 0, true},
    {"PieBaseAtArenaEnd", [] { return test::static_pie(); },
     "segments do not fit in the guest address space", kArenaSize - P, true},
    {"PieBaseWraps", [] { return test::static_pie(); },
     "segments do not fit in the guest address space", ~uint64_t{0} - P + 1, true},
    {"EntryBelow", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_entry = 0x10; }); },
     "entry point lies outside the loaded segments", 0, true},
    {"EntryAbove", [] { return with_ehdr([](Elf64_Ehdr& e) { e.e_entry = 0x416000; }); },
     "entry point lies outside the loaded segments", 0, true},
    {"InterpNotTerminated",
     [] {
       return with_interp([](ElfImage& i) { i.bytes[test::kInterpOffset + 26] = 'X'; });
     },
     "PT_INTERP is not NUL-terminated"},
    {"InterpEmptyString",
     [] {
       return with_interp([](ElfImage& i) {
         i.put(test::kInterpOffset, std::string(2, '\0'));
         set_interp(i, test::kInterpOffset, 2);
       });
     },
     "empty PT_INTERP"},
    {"InterpOnlyNul",
     [] {
       return with_interp([](ElfImage& i) {
         i.bytes[test::kInterpOffset] = 0;
         set_interp(i, test::kInterpOffset, 1);
       });
     },
     "PT_INTERP"},
    {"InterpPastEnd",
     [] { return with_interp([](ElfImage& i) { set_interp(i, 0x2000 - 10, 27); }); },
     "bad PT_INTERP"},
    {"InterpOffsetWraps",
     [] { return with_interp([](ElfImage& i) { set_interp(i, ~uint64_t{0} - 8, 27); }); },
     "bad PT_INTERP"},
    {"InterpTooLong",
     [] { return with_interp([](ElfImage& i) { set_interp(i, 0, 0x1800); }); }, "bad PT_INTERP"},
    {"TwoInterps",
     [] {
       return with_interp([](ElfImage& i) {
         // Turn PT_GNU_STACK into a second PT_INTERP naming the same string.
         i.set_phdr(2, i.phdr(3));
       });
     },
     "more than one PT_INTERP"},
    {"NoLoadableSegments",
     [] {
       return exec_with([](ElfImage& im) {
         for (unsigned k : {0u, 1u}) im.edit_phdr(k, [](Elf64_Phdr& p) { p.p_type = PT_NOTE; });
       });
     },
     "no loadable segments"},
};

class ElfLoaderRefuses : public ::testing::TestWithParam<Bad> {};

TEST_P(ElfLoaderRefuses, WithItsMessageAndMapsNothing) {
  const Bad& b = GetParam();
  const ElfImage im = b.make();
  auto a = make_arena();
  auto r = load_elf(*a, im.span(), b.dyn_base, "bad");
  ASSERT_FALSE(r) << "accepted; entry " << std::hex << r->entry;
  EXPECT_THAT(r.error(), HasSubstr(b.message));
  EXPECT_TRUE(a->mappings().empty());
  auto span = elf_load_span(im.span());
  if (b.arena_rule) {
    EXPECT_TRUE(span) << span.error();
  } else {
    ASSERT_FALSE(span);
    EXPECT_EQ(span.error(), r.error());
  }
}

INSTANTIATE_TEST_SUITE_P(Malformed, ElfLoaderRefuses, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace xvm::linux_user
