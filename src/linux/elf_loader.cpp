#include "linux/elf_loader.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace xvm::linux_user {
namespace {

constexpr uint64_t kMaxPhnum = 512;

using Err = std::unexpected<std::string>;

struct Checked {
  Elf64_Ehdr eh;
  std::vector<Elf64_Phdr> loads;
  std::string interp;
  bool exec_stack = false;
  uint64_t lo = 0, hi = 0;  // page-aligned span of all PT_LOADs (before bias)
};

std::expected<Checked, std::string> check(std::span<const uint8_t> img) {
  Checked c;
  if (img.size() < sizeof(Elf64_Ehdr)) return Err("truncated ELF header");
  std::memcpy(&c.eh, img.data(), sizeof c.eh);
  const Elf64_Ehdr& eh = c.eh;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return Err("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return Err("not a 64-bit ELF file");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return Err("not a little-endian ELF file");
  if (eh.e_ident[EI_VERSION] != EV_CURRENT) return Err("unknown ELF version");
  if (eh.e_machine != EM_AARCH64)
    return Err("not an AArch64 program (ELF e_machine " + std::to_string(eh.e_machine) + ")");
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
    return Err("not an executable (ELF type " + std::to_string(eh.e_type) + ")");
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) return Err("bad program header entry size");
  if (eh.e_phnum == 0 || eh.e_phnum > kMaxPhnum) return Err("bad program header count");
  const uint64_t ph_bytes = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (eh.e_phoff > img.size() || ph_bytes > img.size() - eh.e_phoff)
    return Err("program headers lie outside the file");

  bool first = true;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, img.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type == PT_GNU_STACK) c.exec_stack = (ph.p_flags & PF_X) != 0;
    if (ph.p_type == PT_INTERP) {
      if (!c.interp.empty()) return Err("more than one PT_INTERP");
      if (ph.p_filesz < 2 || ph.p_filesz > 4096 || ph.p_offset > img.size() ||
          ph.p_filesz > img.size() - ph.p_offset)
        return Err("bad PT_INTERP");
      const char* s = reinterpret_cast<const char*>(img.data() + ph.p_offset);
      if (s[ph.p_filesz - 1] != '\0') return Err("PT_INTERP is not NUL-terminated");
      c.interp.assign(s);
      if (c.interp.empty()) return Err("empty PT_INTERP");
    }
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_filesz > ph.p_memsz) return Err("segment file size exceeds its memory size");
    if (ph.p_offset > img.size() || ph.p_filesz > img.size() - ph.p_offset)
      return Err("segment data lies outside the file");
    if (ph.p_align > 1 && (ph.p_align & (ph.p_align - 1)) != 0)
      return Err("segment alignment is not a power of two");
    if ((ph.p_vaddr - ph.p_offset) % kPageSize != 0)
      return Err("segment address and file offset disagree modulo the page size");
    if (ph.p_memsz > (uint64_t{1} << 40) || ph.p_vaddr > (uint64_t{1} << 48) ||
        ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
      return Err("segment is too large or lies outside the address space");
    if (!c.loads.empty()) {
      const Elf64_Phdr& prev = c.loads.back();
      if (ph.p_vaddr < prev.p_vaddr + prev.p_memsz)
        return Err("segments overlap or are not in ascending order");
    }
    c.loads.push_back(ph);
    const uint64_t lo = page_down(ph.p_vaddr), hi = page_up(ph.p_vaddr + ph.p_memsz);
    if (first) c.lo = lo, c.hi = hi, first = false;
    c.lo = std::min(c.lo, lo);
    c.hi = std::max(c.hi, hi);
  }
  if (c.loads.empty()) return Err("no loadable segments");
  return c;
}

int prot_of(uint32_t flags) {
  return ((flags & PF_R) ? memory::kRead : 0) | ((flags & PF_W) ? memory::kWrite : 0) |
         ((flags & PF_X) ? memory::kExec : 0);
}

}  // namespace

bool is_aarch64_elf(std::span<const uint8_t> head) {
  if (head.size() < sizeof(Elf64_Ehdr)) return false;
  Elf64_Ehdr eh;
  std::memcpy(&eh, head.data(), sizeof eh);
  return std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
         eh.e_machine == EM_AARCH64;
}

std::expected<uint64_t, std::string> elf_load_span(std::span<const uint8_t> image) {
  auto c = check(image);
  if (!c) return Err(c.error());
  return c->hi - c->lo;
}

std::expected<LoadedElf, std::string> load_elf(memory::Arena& arena, std::span<const uint8_t> img,
                                               uint64_t dyn_base, const std::string& name) {
  auto checked = check(img);
  if (!checked) return Err(checked.error());
  const Checked& c = *checked;
  const uint64_t bias = c.eh.e_type == ET_DYN ? dyn_base - c.lo : 0;
  const uint64_t lo = c.lo + bias, hi = c.hi + bias;
  if (hi < lo || hi > arena.size() || lo < kPageSize)
    return Err("segments do not fit in the guest address space");
  bool entry_ok = false;
  for (const Elf64_Phdr& ph : c.loads)
    entry_ok |= c.eh.e_entry >= ph.p_vaddr && c.eh.e_entry - ph.p_vaddr < ph.p_memsz;
  if (!entry_ok) return Err("entry point lies outside the loaded segments");

  // Map the whole span writable, copy the file bytes (.bss stays zero), then give each page the
  // union of the permissions of the segments on it and unmap whole-page holes, as Linux's
  // per-segment mappings end up.
  if (int e = arena.map_fixed(lo, hi - lo, memory::kRead | memory::kWrite, false, -1, 0, name))
    return Err("cannot map segments: " + std::string(std::strerror(-e)));
  std::vector<int> page_prot((hi - lo) / kPageSize, -1);
  for (const Elf64_Phdr& ph : c.loads) {
    arena.write(ph.p_vaddr + bias, img.data() + ph.p_offset, ph.p_filesz);
    const uint64_t s = page_down(ph.p_vaddr + bias), e = page_up(ph.p_vaddr + bias + ph.p_memsz);
    for (uint64_t p = s; p < e; p += kPageSize) {
      int& pp = page_prot[(p - lo) / kPageSize];
      pp = (pp < 0 ? 0 : pp) | prot_of(ph.p_flags);
    }
  }
  for (uint64_t i = 0; i < page_prot.size();) {
    uint64_t j = i;
    while (j < page_prot.size() && page_prot[j] == page_prot[i]) ++j;
    const uint64_t a = lo + i * kPageSize, len = (j - i) * kPageSize;
    if (page_prot[i] < 0) arena.unmap(a, len);
    else arena.protect(a, len, page_prot[i]);
    i = j;
  }

  LoadedElf out;
  out.entry = c.eh.e_entry + bias;
  out.load_bias = bias;
  out.phnum = c.eh.e_phnum;
  out.lowest = lo;
  out.highest = hi;
  out.interp = c.interp;
  out.exec_stack = c.exec_stack;
  // AT_PHDR: where the program headers are in memory (inside the PT_LOAD that holds them).
  for (const Elf64_Phdr& ph : c.loads)
    if (c.eh.e_phoff >= ph.p_offset && c.eh.e_phoff - ph.p_offset < ph.p_filesz)
      out.phdr = ph.p_vaddr + (c.eh.e_phoff - ph.p_offset) + bias;
  return out;
}

}  // namespace xvm::linux_user
