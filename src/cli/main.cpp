// xvm: run AArch64 Linux programs on x86-64 (and, later, boot machines).
#include <CLI/CLI.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // A "--" before PROGRAM ends xvm's options: CLI11 sees only what precedes it (its
  // prefix-command mode would drop what follows a "--"). A "--" after PROGRAM is the guest's.
  std::vector<std::string> guest;
  const std::set<std::string_view> takes_value = {"-E", "--env", "-U", "--unset", "--sysroot",
                                                  "--argv0"};
  for (int i = 2; i < argc && std::string_view(argv[1]) == "run"; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") {
      guest.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
    if (takes_value.count(a)) ++i;
    else if (a.empty() || a[0] != '-') break;  // PROGRAM
  }
  CLI::App app{"xvm " XVM_VERSION " - a cross-architecture virtual machine for x86-64 Linux hosts"};
  app.set_version_flag("--version", "xvm " XVM_VERSION);
  app.require_subcommand(1);
  xvm::cli::add_run_command(app, guest);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
