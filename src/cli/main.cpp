// xvm: run AArch64 Linux programs on x86-64 (and, later, boot machines).
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"xvm " XVM_VERSION " - a cross-architecture virtual machine for x86-64 Linux hosts"};
  app.set_version_flag("--version", "xvm " XVM_VERSION);
  app.require_subcommand(1);
  xvm::cli::add_run_command(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
