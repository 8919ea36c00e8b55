// clone (threads, fork and vfork shapes) and execve.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "linux/elf_loader.h"
#include "linux/syscalls/common.h"

namespace xvm::linux_user {
namespace {


// Reads a NULL-terminated guest array of strings (argv/envp), bounded like Linux's
// MAX_ARG_STRINGS and per-string MAX_ARG_STRLEN.
std::optional<std::vector<std::string>> read_string_array(Process& p, uint64_t addr) {
  std::vector<std::string> v;
  if (addr == 0) return v;
  for (size_t i = 0; i < 0x7fffffff; ++i) {
    uint64_t ptr;
    if (!read_guest(p, addr + 8 * i, &ptr)) return std::nullopt;
    if (ptr == 0) return v;
    auto s = p.arena().read_cstring(ptr, 128 * 1024);
    if (!s) return std::nullopt;
    v.push_back(std::move(*s));
  }
  return std::nullopt;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool file_is_aarch64_elf(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint8_t head[64];
  const ssize_t n = read(fd, head, sizeof head);
  close(fd);
  return n == sizeof head && is_aarch64_elf(head);
}

}  // namespace

int64_t sys_clone(Process& p, const SyscallArgs& a) {
  // arm64 clone(flags, newsp, parent_tid, tls, child_tid).
  const uint64_t flags = a.a[0], newsp = a.a[1], ptid = a.a[2], tls = a.a[3], ctid = a.a[4];
  if (flags & CLONE_THREAD) {
    // A thread shares everything xvm keeps per process; glibc always passes CLONE_VM,
    // CLONE_FS, CLONE_FILES, CLONE_SIGHAND with it (Linux requires the last two).
    if ((flags & (CLONE_VM | CLONE_SIGHAND)) != (CLONE_VM | CLONE_SIGHAND)) return -EINVAL;
    // The parent's tid word is written by the child before it runs (a late write here could
    // land after a fast child's exit cleared it, and pthread_join would wait forever).
    return p.start_thread(newsp, flags & CLONE_SETTLS, tls, ctid, flags & CLONE_CHILD_SETTID,
                          flags & CLONE_CHILD_CLEARTID,
                          (flags & CLONE_PARENT_SETTID) ? ptid : 0);
  }
  if (flags & CLONE_SIGHAND) return -EINVAL;  // CLONE_SIGHAND needs CLONE_VM|CLONE_THREAD here
  // Without CLONE_THREAD every clone makes a new process. CLONE_VM without threads is vfork or
  // posix_spawn: the host child gets a copy of the arena, and the parent waits until the child
  // execs or exits (vfork's guarantee), using a close-on-exec pipe as the signal.
  int vfork_pipe[2] = {-1, -1};
  if ((flags & CLONE_VFORK) && pipe2(vfork_pipe, O_CLOEXEC) != 0) return -errno;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    p.forget_other_threads();
    if (vfork_pipe[0] >= 0) close(vfork_pipe[0]);
    if (newsp) p.cpu().x[31] = newsp;
    if (flags & CLONE_SETTLS) p.cpu().tpidr_el0 = tls;
    if (flags & CLONE_CHILD_SETTID) write_guest(p, ctid, static_cast<int32_t>(getpid()));
    if (flags & CLONE_CHILD_CLEARTID) p.thread().clear_child_tid = ctid;
    return 0;
  }
  if (flags & CLONE_PARENT_SETTID) write_guest(p, ptid, static_cast<int32_t>(pid));
  if (vfork_pipe[0] >= 0) {
    close(vfork_pipe[1]);
    char c;
    while (read(vfork_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    close(vfork_pipe[0]);
  }
  return pid;
}

int64_t sys_execve(Process& p, const SyscallArgs& a) {
  auto guest = p.arena().read_cstring(a.a[0], PATH_MAX);
  if (!guest) return -EFAULT;
  auto argv = read_string_array(p, a.a[1]);
  auto envp = read_string_array(p, a.a[2]);
  if (!argv || !envp) return -EFAULT;
  const std::string host = p.host_path(*guest);
  if (access(host.c_str(), X_OK) != 0) return -errno;

  std::vector<std::string> cmd;
  auto under_xvm = [&](const std::string& prog, const std::vector<std::string>& args) {
    cmd = {p.options().xvm_exe, "run"};
    for (const auto& o : p.options().reexec_options) cmd.push_back(o);
    cmd.push_back("--argv0");
    cmd.push_back(args.empty() ? prog : args[0]);
    cmd.push_back("--");
    cmd.push_back(prog);
    for (size_t i = 1; i < args.size(); ++i) cmd.push_back(args[i]);
  };

  if (file_is_aarch64_elf(host)) {
    // /proc/self/exe (busybox runs its applets that way) means this guest program.
    under_xvm(host == p.exe_path ? p.exe_path : *guest, *argv);
  } else {
    // A "#!" script whose interpreter is an AArch64 program runs that interpreter under xvm,
    // with the arguments the kernel would pass (binfmt_script: interp [arg] script args...).
    char head[256] = {};
    const int fd = open(host.c_str(), O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, head, sizeof head - 1) : -1;
    if (fd >= 0) close(fd);
    if (n > 2 && head[0] == '#' && head[1] == '!') {
      std::string line(head + 2, static_cast<size_t>(n - 2));
      line = line.substr(0, line.find('\n'));
      const size_t b = line.find_first_not_of(" \t");
      line = b == std::string::npos ? "" : line.substr(b);
      const size_t e = line.find_first_of(" \t");
      std::string interp = line.substr(0, e), arg;
      if (e != std::string::npos) {
        arg = line.substr(e);
        const size_t ab = arg.find_first_not_of(" \t"), ae = arg.find_last_not_of(" \t");
        arg = ab == std::string::npos ? "" : arg.substr(ab, ae - ab + 1);
      }
      if (!interp.empty() && file_is_aarch64_elf(p.host_path(interp))) {
        std::vector<std::string> args = {interp};
        if (!arg.empty()) args.push_back(arg);
        args.push_back(*guest);
        for (size_t i = 1; i < argv->size(); ++i) args.push_back((*argv)[i]);
        under_xvm(interp, args);
      }
    }
  }
  std::fflush(nullptr);
  auto env = c_strings(*envp);
  if (cmd.empty()) {
    // Anything else (a host program, a script for a host interpreter) runs natively.
    auto args = c_strings(*argv);
    execve(host.c_str(), args.data(), env.data());
    return -errno;
  }
  auto args = c_strings(cmd);
  execve(cmd[0].c_str(), args.data(), env.data());
  return -errno;
}

}  // namespace xvm::linux_user
