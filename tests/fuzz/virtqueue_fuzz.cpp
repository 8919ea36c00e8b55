// Fuzz target for the virtqueue and virtio-blk (devices/virtio/): descriptor tables, rings and
// requests come from a hostile guest (docs/threat-model.md), so no input may crash the host,
// touch memory outside guest RAM, or make the device misbehave.
//
// LLVMFuzzerTestOneInput reads the input as a script for a guest driver: it picks a queue size
// and ring placement (sometimes misaligned or outside RAM), negotiates features, fills the
// descriptor table, avail ring and request headers with values biased towards edges (RAM
// boundaries, 2^64 wrap, capacity ±1, loops, out-of-range next/head, zero and 4 GiB lengths),
// notifies, waits for the device, and resets it. It checks:
//   - no crash and no sanitizer report (RAM has guard pages; ASan watches the host heap);
//   - the device finishes: every offered chain used, or DEVICE_NEEDS_RESET, within 5 s;
//   - a queue the transport accepted has its rings inside RAM;
//   - the image file keeps its size (no write beyond the capacity ever reaches it), and the
//     read-only device's image keeps its contents.
// Any violation aborts.
//
// With libFuzzer (clang, -fsanitize=fuzzer -DXVM_LIBFUZZER) only the entry point is built.
// Otherwise a deterministic driver feeds random scripts:
//   xvm-virtqueue-fuzz [--iterations N] [--seed S] [--replay FILE]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/splitmix.h"
#include "devices/virtio/blk/device.h"
#include "devices/virtio/mmio.h"
#include "memory/phys.h"
#include "virtio_mmio_regs.h"
#include "virtq_driver.h"

namespace {

using namespace xvm;
using namespace xvm::devices::virtio;

constexpr uint64_t kRam = 0x40000000, kRamSize = 0x10000;  // 64 KiB
constexpr uint64_t kImageSectors = 64;
using namespace xvm::test::reg;  // register offsets and status bits (virtio_mmio_regs.h)

[[noreturn]] void violated(const std::string& what) {
  std::fprintf(stderr, "virtqueue_fuzz: invariant violated: %s\n", what.c_str());
  std::abort();
}

// Reads the input front to back; zeros once it runs out.
struct Script {
  const uint8_t* p;
  size_t n;
  uint64_t take(unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; ++i) v |= uint64_t(n ? (--n, *p++) : 0) << (8 * i);
    return v;
  }
  uint8_t u8() { return uint8_t(take(1)); }
  uint16_t u16() { return uint16_t(take(2)); }
  uint32_t u32() { return uint32_t(take(4)); }
  uint64_t u64() { return take(8); }
};

class NullIrq : public devices::IrqLine {
 public:
  void set_level(bool) override {}
};

struct Device {
  std::string path;
  std::unique_ptr<MmioTransport> t;
  blk::BlkDevice* blk = nullptr;
  std::vector<uint8_t> initial;  // image contents at start (checked for the read-only one)
};

struct World {
  memory::PhysMemory mem;
  NullIrq irq;
  Device dev[2];  // [0] read-write, [1] read-only
};

World* world() {
  static World* w = [] {
    auto* w = new World;
    if (!w->mem.add_ram(GuestPhysAddr{kRam}, kRamSize)) violated("cannot add RAM");
    for (int i = 0; i < 2; ++i) {
      Device& d = w->dev[i];
      const char* tmp = std::getenv("TMPDIR");
      d.path = std::string(tmp && *tmp ? tmp : "/tmp") + "/xvm-virtqueue-fuzz-XXXXXX";
      const int fd = mkstemp(d.path.data());
      if (fd < 0) violated("cannot create the image file");
      d.initial.resize(kImageSectors * 512);
      for (size_t k = 0; k < d.initial.size(); ++k) d.initial[k] = uint8_t(k * 13 + i);
      if (write(fd, d.initial.data(), d.initial.size()) != ssize_t(d.initial.size()))
        violated("cannot write the image file");
      close(fd);
      auto b = blk::BlkDevice::open({d.path, i == 1, "fuzz"});
      if (!b) violated(b.error());
      d.blk = b->get();
      d.t = std::make_unique<MmioTransport>(w->mem, std::move(*b), &w->irq);
    }
    std::atexit([] {
      for (Device& d : world()->dev) {
        d.t.reset();
        unlink(d.path.c_str());
      }
    });
    return w;
  }();
  return w;
}

// Guest-physical addresses a hostile driver would try.
uint64_t pick_addr(Script& s) {
  const uint64_t end = kRam + kRamSize;
  switch (s.u8() % 12) {
    case 0: return kRam + (s.u16() % kRamSize);
    case 1: return end - (s.u8() % 32);
    case 2: return kRam - (s.u8() % 32);
    case 3: return end + (s.u8() % 32);
    case 4: return ~uint64_t{0} - (s.u8() % 32);
    case 5: return s.u64();
    case 6: return s.u8() % 32;
    default: return kRam + 0x4000 + 0x100 * (s.u8() % 48);  // header/data/status area
  }
}

uint32_t pick_len(Script& s) {
  static const uint32_t k[] = {0, 1, 2, 15, 16, 17, 20, 21, 511, 512, 513, 1024, 4096,
                               0x8000, 0xffff, 0x10000, 0x80000000, 0xffffffff};
  switch (s.u8() % 4) {
    case 0: return s.u16();
    case 1: return s.u32();
    default: return k[s.u8() % std::size(k)];
  }
}

uint64_t pick_sector(Script& s) {
  switch (s.u8() % 8) {
    case 0: return kImageSectors - 1;
    case 1: return kImageSectors;
    case 2: return kImageSectors + 1;
    case 3: return s.u64();
    case 4: return ~uint64_t{0} - (s.u8() % 4);
    case 5: return uint64_t{1} << (55 + s.u8() % 9);
    default: return s.u8() % kImageSectors;
  }
}

uint32_t pick_type(Script& s) {
  static const uint32_t k[] = {0, 1, 4, 8, 10, 11, 13, 14, 2, 0xffffffff};
  return s.u8() % 4 == 0 ? s.u32() : k[s.u8() % std::size(k)];
}

uint64_t file_size(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) violated("cannot stat the image");
  return uint64_t(st.st_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World* w = world();
  Script s{data, size};
  Device& d = w->dev[s.u8() & 1];
  MmioTransport& t = *d.t;
  auto wr = [&](uint64_t off, uint32_t v) { t.write(off, 4, v); };
  auto rd = [&](uint64_t off) { return uint32_t(t.read(off, 4)); };

  // Clear guest RAM so that one input does not depend on the previous one.
  static const std::vector<uint8_t> zero(kRamSize, 0);
  w->mem.write(GuestPhysAddr{kRam}, zero.data(), kRamSize);

  // Queue size: mostly a power of 2 up to 16, sometimes anything.
  const uint8_t qs = s.u8();
  const uint32_t qsize = qs % 32 == 31 ? s.u16() : 1u << (2 + qs % 3);  // 4, 8, 16
  // Ring placement: mostly a sane layout in the first 16 KiB, sometimes hostile.
  uint64_t desc = kRam, avail = kRam + 0x1000, used = kRam + 0x2000;
  const uint8_t place = s.u8() % 16;
  if (place == 14) {
    desc = pick_addr(s), avail = pick_addr(s), used = pick_addr(s);
  } else if (place == 15) {
    desc += s.u8() % 16, avail += s.u8() % 4, used += s.u8() % 8;  // misaligned
  }
  // Features: mostly what Linux accepts; sometimes any 64 bits.
  uint64_t features = kFVersion1 | blk::kFFlush | blk::kFSegMax | (s.u8() & 1 ? blk::kFRo : 0);
  if (s.u8() % 16 == 0) features = s.u64();

  test::mmio_negotiate(t, features);
  const uint32_t qsel = s.u8() % 32 == 0 ? 1 : 0;  // sometimes a queue that does not exist
  test::mmio_setup_queue(t, qsel, qsize, desc, avail, used);
  test::mmio_driver_ok(t);

  // Descriptors (through the bounded PhysMemory helpers: a hostile table may lie outside RAM,
  // where these writes simply fail). Mostly chains shaped like Linux's requests (header, data,
  // status) with a field broken now and then; sometimes a table of random descriptors.
  const uint32_t ndesc = std::min<uint32_t>(qsize, 32);
  auto put_desc = [&](uint32_t i, uint64_t a, uint32_t len, uint16_t flags, uint16_t next) {
    uint8_t dsc[16];
    std::memcpy(dsc, &a, 8);
    std::memcpy(dsc + 8, &len, 4);
    std::memcpy(dsc + 12, &flags, 2);
    std::memcpy(dsc + 14, &next, 2);
    w->mem.write(GuestPhysAddr{desc + 16 * uint64_t{i}}, dsc, 16);
  };
  std::vector<uint16_t> heads;
  if (s.u8() % 4 != 0) {
    uint32_t i = 0;
    for (unsigned c = 0; c < 8 && i + 2 <= ndesc; ++c) {
      const uint16_t head = uint16_t(i);
      const unsigned ndata = s.u8() % 4;
      const bool in = s.u8() & 1;
      for (unsigned k = 0; k < ndata + 2 && i < ndesc; ++k, ++i) {
        const bool first = k == 0, last = k == ndata + 1 || i + 1 == ndesc;
        uint64_t a = first  ? kRam + 0x4000 + 0x100 * (s.u8() % 48)
                     : last ? kRam + 0x7800 + s.u8()
                            : kRam + 0x8000 + 0x800 * (s.u8() % 16);
        uint32_t len = first ? 16 : last ? 1 : 512 * (s.u8() % 5);
        uint16_t flags = uint16_t((last ? 0 : 1) | ((last || (!first && in)) ? 2 : 0));
        uint16_t next = uint16_t(i + 1);
        if (s.u8() % 16 == 0) a = pick_addr(s);
        if (s.u8() % 16 == 0) len = pick_len(s);
        if (s.u8() % 16 == 0) flags ^= uint16_t(1 << (s.u8() % 3));
        if (s.u8() % 16 == 0) next = uint16_t(s.u8() % (qsize + 1));
        put_desc(i, a, len, flags, next);
        if (last) {
          ++i;
          break;
        }
      }
      heads.push_back(head);
    }
  } else {
    for (uint32_t i = 0; i < ndesc; ++i) {
      const uint64_t a = pick_addr(s);
      const uint32_t len = pick_len(s);
      const uint16_t flags = s.u8() % 8 == 0 ? s.u16() : uint16_t(s.u8() & 3);
      const uint8_t nb = s.u8();
      const uint16_t next = nb % 8 == 0 ? s.u16() : uint16_t(nb % (qsize + 1));
      put_desc(i, a, len, flags, next);
      heads.push_back(uint16_t(s.u8() % qsize));
    }
  }
  // Request headers in the header area (where pick_addr aims a good part of the time).
  for (unsigned i = 0; i < 48; i += 1 + s.u8() % 4) {
    uint8_t h[16] = {};
    const uint32_t type = pick_type(s);
    const uint64_t sector = pick_sector(s);
    std::memcpy(h, &type, 4);
    std::memcpy(h + 8, &sector, 8);
    w->mem.write(GuestPhysAddr{kRam + 0x4000 + 0x100 * i}, h, 16);
  }
  // Available ring: flags, the heads (now and then replaced by anything), and idx (mostly
  // the number of heads, sometimes anything).
  const uint16_t ring_len = uint16_t(std::min<size_t>({heads.size(), qsize, 64}));
  const uint16_t flags = s.u8() & 1;
  w->mem.write(GuestPhysAddr{avail}, &flags, 2);
  for (uint16_t i = 0; i < ring_len; ++i) {
    const uint16_t head = s.u8() % 32 == 0 ? s.u16() : heads[i];
    w->mem.write(GuestPhysAddr{avail + 4 + 2 * uint64_t{i}}, &head, 2);
  }
  const uint8_t ib = s.u8();
  const uint16_t avail_idx = ib % 16 == 0 ? s.u16() : ib % 16 == 1 ? ring_len + 1 : ring_len;
  w->mem.write(GuestPhysAddr{avail + 2}, &avail_idx, 2);
  // Sometimes a notification for a queue that does not exist: then nothing is processed.
  const uint32_t notify = s.u8() % 16 == 0 ? s.u8() : 0;
  wr(kQNotify, notify);

  // Wait for the device: the used idx catches up with the avail idx (both re-read: buffers the
  // device writes may overlap the rings), or a device error. A device that is not live
  // (refused features or queue) has nothing to do. Hostile ring placements are reset at once,
  // which also exercises a reset racing the worker.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (place != 14 && notify == 0) {
    const uint32_t st = rd(kStatus);
    if (!(st & DRIVER_OK) || (st & NEEDS_RESET)) break;
    uint16_t used_idx = 0, avail_now = 0;
    if (!w->mem.read(GuestPhysAddr{used + 2}, &used_idx, 2) ||
        !w->mem.read(GuestPhysAddr{avail + 2}, &avail_now, 2))
      violated("a live queue has its rings outside RAM");
    if (used_idx == avail_now) break;
    if (std::chrono::steady_clock::now() > deadline) violated("device did not finish");
    std::this_thread::yield();
  }
  wr(kIntAck, 3);
  wr(kStatus, 0);  // reset: waits for the worker

  if (file_size(d.path) != kImageSectors * 512) violated("the image changed size");
  if (&d == &w->dev[1]) {
    std::vector<uint8_t> now(d.initial.size());
    const int fd = open(d.path.c_str(), O_RDONLY);
    if (fd < 0 || pread(fd, now.data(), now.size(), 0) != ssize_t(now.size()))
      violated("cannot read the image");
    close(fd);
    if (now != d.initial) violated("the read-only image was written");
  }
  return 0;
}

#ifndef XVM_LIBFUZZER
namespace {

using xvm::test::Rng;

const char* const kFailureFile = "virtqueue_fuzz_failure.bin";

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 2000, seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--iterations" && i + 1 < argc) {
      iterations = std::strtoull(argv[++i], nullptr, 0);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 0);
    } else if (arg == "--replay" && i + 1 < argc) {
      std::ifstream f(argv[++i], std::ios::binary);
      if (!f) return std::fprintf(stderr, "cannot read %s\n", argv[i]), 2;
      std::vector<uint8_t> b(std::istreambuf_iterator<char>(f), {});
      LLVMFuzzerTestOneInput(b.data(), b.size());
      std::printf("ok\n");
      return 0;
    } else {
      std::fprintf(stderr, "usage: %s [--iterations N] [--seed S] [--replay FILE]\n", argv[0]);
      return 2;
    }
  }
  Rng rng{seed};
  std::vector<uint8_t> b;
  uint64_t used = 0;
  for (uint64_t it = 0; it < iterations; ++it) {
    b.resize(64 + rng.next() % 960);
    for (auto& x : b) x = uint8_t(rng.next());
    // Keep the input on disk while it runs, so a crash leaves it behind for --replay.
    if (FILE* f = std::fopen(kFailureFile, "wb")) {
      std::fwrite(b.data(), 1, b.size(), f);
      std::fclose(f);
    }
    LLVMFuzzerTestOneInput(b.data(), b.size());
  }
  std::remove(kFailureFile);
  for (const Device& d : world()->dev) used += d.blk->completed();
  std::printf("virtqueue fuzz: %llu inputs (seed %llu), %llu requests completed\n",
              (unsigned long long)iterations, (unsigned long long)seed,
              (unsigned long long)used);
  return 0;
}
#endif
