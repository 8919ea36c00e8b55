// A tiny in-memory builder of AArch64 ELF images for the loader tests and the loader fuzzer.
//
// An image is a deterministic byte pattern (so that a test can tell copied file bytes from
// zero fill) with the ELF header at offset 0 and the program headers at offset 64, laid out as
// the ELF-64 Object File Format spec and <elf.h> define them. Headers are read and written
// through memcpy, so tests can break any field, including ones no toolchain would emit.
#pragma once
#include <elf.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace xvm::test {

inline uint8_t pattern_byte(uint64_t offset) { return uint8_t(offset * 131 + 7); }

struct ElfImage {
  std::vector<uint8_t> bytes;

  std::span<const uint8_t> span() const { return bytes; }

  Elf64_Ehdr ehdr() const {
    Elf64_Ehdr e{};
    std::memcpy(&e, bytes.data(), sizeof e);
    return e;
  }
  void set_ehdr(const Elf64_Ehdr& e) { std::memcpy(bytes.data(), &e, sizeof e); }
  // Program header i where the header says they are (e_phoff must lie inside the image).
  Elf64_Phdr phdr(unsigned i) const {
    Elf64_Phdr p{};
    std::memcpy(&p, bytes.data() + ehdr().e_phoff + i * sizeof p, sizeof p);
    return p;
  }
  void set_phdr(unsigned i, const Elf64_Phdr& p) {
    std::memcpy(bytes.data() + ehdr().e_phoff + i * sizeof p, &p, sizeof p);
  }
  template <class F>
  ElfImage& edit_ehdr(F f) {
    Elf64_Ehdr e = ehdr();
    f(e);
    set_ehdr(e);
    return *this;
  }
  template <class F>
  ElfImage& edit_phdr(unsigned i, F f) {
    Elf64_Phdr p = phdr(i);
    f(p);
    set_phdr(i, p);
    return *this;
  }
  void put(uint64_t offset, const std::string& s) {
    std::memcpy(bytes.data() + offset, s.data(), s.size());
  }
  // Moves every PT_LOAD and the entry point by `delta` (keeps the file layout).
  ElfImage& shift(uint64_t delta) {
    const Elf64_Ehdr e = ehdr();
    for (unsigned i = 0; i < e.e_phnum; ++i)
      edit_phdr(i, [&](Elf64_Phdr& p) {
        if (p.p_type == PT_LOAD) p.p_vaddr += delta, p.p_paddr += delta;
      });
    return edit_ehdr([&](Elf64_Ehdr& h) { h.e_entry += delta; });
  }
};

inline Elf64_Phdr load_segment(uint32_t flags, uint64_t vaddr, uint64_t offset, uint64_t filesz,
                               uint64_t memsz, uint64_t align = 0x10000) {
  Elf64_Phdr p{};
  p.p_type = PT_LOAD;
  p.p_flags = flags;
  p.p_vaddr = p.p_paddr = vaddr;
  p.p_offset = offset;
  p.p_filesz = filesz;
  p.p_memsz = memsz;
  p.p_align = align;
  return p;
}

inline Elf64_Phdr other_segment(uint32_t type, uint32_t flags, uint64_t offset = 0,
                                uint64_t filesz = 0) {
  Elf64_Phdr p{};
  p.p_type = type;
  p.p_flags = flags;
  p.p_offset = offset;
  p.p_filesz = filesz;
  p.p_align = type == PT_GNU_STACK ? 16 : 1;
  return p;
}

// file_size bytes of pattern, then a valid little-endian ELFCLASS64 EM_AARCH64 header of
// `type` and `phdrs` at offset 64.
inline ElfImage build_elf(uint16_t type, uint64_t entry, const std::vector<Elf64_Phdr>& phdrs,
                          uint64_t file_size) {
  ElfImage im;
  im.bytes.resize(file_size);
  for (uint64_t i = 0; i < file_size; ++i) im.bytes[i] = pattern_byte(i);
  Elf64_Ehdr e{};
  std::memcpy(e.e_ident, ELFMAG, SELFMAG);
  e.e_ident[EI_CLASS] = ELFCLASS64;
  e.e_ident[EI_DATA] = ELFDATA2LSB;
  e.e_ident[EI_VERSION] = EV_CURRENT;
  e.e_ident[EI_OSABI] = ELFOSABI_SYSV;
  e.e_type = type;
  e.e_machine = EM_AARCH64;
  e.e_version = EV_CURRENT;
  e.e_entry = entry;
  e.e_phoff = sizeof(Elf64_Ehdr);
  e.e_ehsize = sizeof(Elf64_Ehdr);
  e.e_phentsize = sizeof(Elf64_Phdr);
  e.e_phnum = uint16_t(phdrs.size());
  e.e_shentsize = sizeof(Elf64_Shdr);
  im.set_ehdr(e);
  for (unsigned i = 0; i < phdrs.size(); ++i) im.set_phdr(i, phdrs[i]);
  return im;
}

// A static ET_EXEC shaped like a small linked program: text R+X at 0x400000 holding the
// headers (so AT_PHDR = 0x400040), data R+W at 0x412800 with 0x300 file bytes and .bss up to
// 0x415800, a non-executable stack. The file continues past the data's file bytes so that a
// loader copying too much would put pattern bytes where .bss must be zero.
inline ElfImage static_exec() {
  return build_elf(ET_EXEC, 0x400100,
                   {load_segment(PF_R | PF_X, 0x400000, 0, 0x1800, 0x1800),
                    load_segment(PF_R | PF_W, 0x412800, 0x1800, 0x300, 0x3000),
                    other_segment(PT_GNU_STACK, PF_R | PF_W)},
                   0x2000);
}

// The same program linked as a static PIE (ET_DYN, first segment at address 0).
inline ElfImage static_pie() {
  return build_elf(ET_DYN, 0x100,
                   {load_segment(PF_R | PF_X, 0, 0, 0x1800, 0x1800),
                    load_segment(PF_R | PF_W, 0x11800, 0x1800, 0x300, 0x1000),
                    other_segment(PT_GNU_STACK, PF_R | PF_W)},
                   0x2000);
}

inline const std::string kInterpPath = "/lib/ld-linux-aarch64.so.1";
constexpr uint64_t kInterpOffset = 0x200;

// static_exec() plus a PT_INTERP (phdr 3) naming the dynamic linker, stored inside the text.
inline ElfImage dynamic_exec() {
  ElfImage im = build_elf(ET_EXEC, 0x400100,
                          {load_segment(PF_R | PF_X, 0x400000, 0, 0x1800, 0x1800),
                           load_segment(PF_R | PF_W, 0x412800, 0x1800, 0x300, 0x3000),
                           other_segment(PT_GNU_STACK, PF_R | PF_W),
                           other_segment(PT_INTERP, PF_R, kInterpOffset, kInterpPath.size() + 1)},
                          0x2000);
  im.put(kInterpOffset, kInterpPath + std::string(1, '\0'));
  return im;
}

}  // namespace xvm::test
