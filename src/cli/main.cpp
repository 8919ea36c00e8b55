// xvm: run AArch64 Linux programs on x86-64 (and, later, boot machines).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // Started by binfmt_misc for an AArch64 program: behave as `xvm run --argv0 A0 FILE ARGS`.
  std::vector<std::string> binfmt_args;
  if (auto b = xvm::cli::binfmt_entry(argc, argv)) binfmt_args = std::move(*b);
  CLI::App app{"xvm " XVM_VERSION " - a cross-architecture virtual machine for x86-64 Linux hosts"};
  app.set_version_flag("--version", "xvm " XVM_VERSION);
  app.require_subcommand(1);
  std::vector<std::string> guest;
  xvm::cli::add_run_command(app, &guest);
  xvm::cli::add_boot_command(app);
  xvm::cli::add_binfmt_command(app);

  // A "--" before PROGRAM ends xvm's options: CLI11 sees only what precedes it (its
  // prefix-command mode would drop what follows a "--"). A "--" after PROGRAM is the guest's.
  // Which options take a separate value comes from the `run` command's own definitions.
  std::set<std::string> takes_value;
  for (const CLI::Option* o : app.get_subcommand("run")->get_options()) {
    if (o->get_expected_min() == 0) continue;  // a flag takes no value
    for (const auto& n : o->get_lnames()) takes_value.insert("--" + n);
    for (const auto& n : o->get_snames()) takes_value.insert("-" + n);
  }
  for (int i = 2; i < argc && std::string_view(argv[1]) == "run"; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      guest.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
    if (takes_value.count(a)) ++i;
    else if (a.empty() || a[0] != '-') break;  // PROGRAM
  }
  if (!binfmt_args.empty()) {
    std::vector<std::string> words = {"run"};
    words.insert(words.end(), binfmt_args.begin(), binfmt_args.end());
    std::reverse(words.begin(), words.end());  // CLI11 parses a vector from its back
    try {
      app.parse(words);
    } catch (const CLI::ParseError& e) {
      return app.exit(e);
    }
    return 0;
  }
  CLI11_PARSE(app, argc, argv);
  return 0;
}
