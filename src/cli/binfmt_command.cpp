// `xvm binfmt install [--fix-binary] | remove | status`: registers xvm with the kernel's
// binfmt_misc for AArch64 ELF executables, so that `./arm64-prog` and `chroot rootfs /bin/sh`
// run under xvm (Documentation/admin-guide/binfmt-misc.rst).
//
// The entry uses the P flag (preserve argv[0]): the kernel then starts
// `xvm FILENAME ORIGINAL-ARGV0 ARGS...` and sets AT_FLAGS_PRESERVE_ARGV0 in xvm's auxv, which
// is how main() recognises such a start (binfmt_entry below).
#include <sys/auxv.h>
#include <sys/mount.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"

namespace xvm::cli {
namespace {

constexpr const char* kDir = "/proc/sys/fs/binfmt_misc";
constexpr const char* kName = "xvm-aarch64";
// ELF64, little-endian, version 1, any OS ABI, ET_EXEC or ET_DYN (mask 0xfffe), EM_AARCH64.
constexpr const char* kMagic =
    "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00";
constexpr const char* kMask =
    "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";

std::string entry_path() { return std::string(kDir) + "/" + kName; }

bool ensure_mounted() {
  if (access((std::string(kDir) + "/register").c_str(), F_OK) == 0) return true;
  if (mount("binfmt_misc", kDir, "binfmt_misc", 0, nullptr) == 0) return true;
  std::fprintf(stderr, "xvm binfmt: cannot mount binfmt_misc on %s: %s\n", kDir,
               std::strerror(errno));
  return false;
}

int need_root() {
  std::fprintf(stderr, "xvm binfmt: changing binfmt_misc registrations needs root\n");
  return 1;
}

int install(bool fix_binary) {
  if (geteuid() != 0) return need_root();
  if (!ensure_mounted()) return 1;
  if (access(entry_path().c_str(), F_OK) == 0) {
    std::fprintf(stderr, "xvm binfmt: already registered (xvm binfmt remove first)\n");
    return 1;
  }
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = 0;
  // P: preserve argv[0]. F: open xvm now, so the entry works inside chroots and containers.
  const std::string flags = fix_binary ? "PF" : "P";
  const std::string line = std::string(":") + kName + ":M::" + kMagic + ":" + kMask + ":" + self +
                           ":" + flags;
  std::ofstream reg(std::string(kDir) + "/register");
  reg << line;
  reg.close();
  if (!reg) {
    std::fprintf(stderr, "xvm binfmt: the kernel refused the registration: %s\n",
                 std::strerror(errno));
    return 1;
  }
  std::printf("xvm binfmt: AArch64 ELF programs now run under %s (flags %s)\n", self,
              flags.c_str());
  return 0;
}

int remove() {
  if (geteuid() != 0) return need_root();
  std::ofstream e(entry_path());
  if (!e) {
    std::fprintf(stderr, "xvm binfmt: not registered\n");
    return 1;
  }
  e << "-1";
  e.close();
  std::printf("xvm binfmt: registration removed\n");
  return e ? 0 : 1;
}

int status() {
  std::ifstream e(entry_path());
  if (!e) {
    std::printf("xvm binfmt: not registered%s\n",
                access((std::string(kDir) + "/register").c_str(), F_OK) == 0
                    ? ""
                    : " (binfmt_misc is not mounted)");
    return 1;
  }
  std::stringstream ss;
  ss << e.rdbuf();
  std::printf("xvm binfmt: registered as %s\n%s", entry_path().c_str(), ss.str().c_str());
  return 0;
}

}  // namespace

void add_binfmt_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "binfmt", "Register xvm with binfmt_misc so that AArch64 programs run directly");
  cmd->require_subcommand(1);
  auto fix = std::make_shared<bool>(false);
  CLI::App* in = cmd->add_subcommand("install", "Register xvm for AArch64 ELF files (root)");
  in->add_flag("--fix-binary", *fix,
               "Open xvm at registration (F flag): works in chroots and containers");
  in->callback([fix] { std::exit(install(*fix)); });
  cmd->add_subcommand("remove", "Remove xvm's registration (root)")->callback([] {
    std::exit(remove());
  });
  cmd->add_subcommand("status", "Show whether xvm is registered")->callback([] {
    std::exit(status());
  });
}

std::optional<std::vector<std::string>> binfmt_entry(int argc, char** argv) {
  // AT_FLAGS_PRESERVE_ARGV0 (bit 0): started by binfmt_misc with the P flag.
  if (!(getauxval(AT_FLAGS) & 1) || argc < 3) return std::nullopt;
  std::vector<std::string> cmd = {"--argv0", argv[2], argv[1]};
  for (int i = 3; i < argc; ++i) cmd.emplace_back(argv[i]);
  return cmd;
}

}  // namespace xvm::cli
