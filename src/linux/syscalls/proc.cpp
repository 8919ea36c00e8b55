// /proc files that must describe the guest rather than xvm. Each is generated into a memfd,
// so the guest reads, seeks and closes it like the real file.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "arch/arm64/features.h"
#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {

std::string maps_text(Process& p) {
  std::string out;
  char line[512];
  for (const memory::Mapping& m : p.arena().mappings()) {
    std::snprintf(line, sizeof line, "%08lx-%08lx %c%c%c%c %08lx 00:00 0", m.start, m.end,
                  (m.prot & memory::kRead) ? 'r' : '-', (m.prot & memory::kWrite) ? 'w' : '-',
                  (m.prot & memory::kExec) ? 'x' : '-', m.shared ? 's' : 'p', m.file_offset);
    out += line;
    if (!m.name.empty()) out += std::string(25 - std::min<size_t>(25, std::strlen(line) % 25), ' ') + m.name;
    out += '\n';
  }
  return out;
}

std::string cpuinfo_text() {
  // The arm64 /proc/cpuinfo format (arch/arm64/kernel/cpuinfo.c), one block per host CPU.
  std::string out;
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  for (long i = 0; i < (n > 0 ? n : 1); ++i) {
    out += "processor\t: " + std::to_string(i) + "\n";
    out += "BogoMIPS\t: 2000.00\n";
    out += std::string("Features\t: ") + arm64::kCpuinfoFeatures + "\n";
    out += "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\n"
           "CPU part\t: 0xd07\nCPU revision\t: 0\n\n";
  }
  return out;
}

int64_t memfd_with(const std::string& text, const char* name) {
  const int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return -errno;
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = write(fd, text.data() + done, text.size() - done);
    if (w <= 0) {
      close(fd);
      return -EIO;
    }
    done += size_t(w);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

std::optional<int64_t> open_proc_view(Process& p, const std::string& path, uint64_t flags) {
  const std::string self = "/proc/" + std::to_string(getpid()) + "/";
  auto is = [&](const char* leaf) { return path == std::string("/proc/self/") + leaf || path == self + leaf; };
  std::string text;
  const char* name;
  if (is("maps")) {
    text = maps_text(p);
    name = "maps";
  } else if (is("auxv")) {
    text.resize(p.auxv_bytes);
    if (!p.arena().read(p.auxv_addr, text.data(), p.auxv_bytes)) return -EIO;
    name = "auxv";
  } else if (path == "/proc/cpuinfo") {
    text = cpuinfo_text();
    name = "cpuinfo";
  } else {
    return std::nullopt;
  }
  if ((flags & 3) != O_RDONLY) return -EACCES;
  const int64_t fd = memfd_with(text, name);
  if (fd >= 0 && !(flags & O_CLOEXEC)) fcntl(int(fd), F_SETFD, 0);
  return fd;
}

}  // namespace xvm::linux_user
