// Subcommands of the xvm binary.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xvm::cli {

// Adds `xvm run` to the application; the callback runs the guest and never returns.
// `*after_dashdash` (filled before parsing; it must outlive the app) holds the command-line
// words after a "--" (PROGRAM and its arguments).
void add_run_command(CLI::App& app, const std::vector<std::string>* after_dashdash);

// Adds `xvm boot` (full-system emulation).
void add_boot_command(CLI::App& app);

// Adds `xvm binfmt install|remove|status`.
void add_binfmt_command(CLI::App& app);

// When binfmt_misc started xvm for an AArch64 program, the `xvm run` arguments that run it
// (--argv0 ARGV0 FILENAME ARGS...); nullopt for an ordinary start.
std::optional<std::vector<std::string>> binfmt_entry(int argc, char** argv);

}  // namespace xvm::cli
