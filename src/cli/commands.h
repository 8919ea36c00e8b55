// Subcommands of the xvm binary.
#pragma once
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xvm::cli {

// Adds `xvm run` to the application; the callback runs the guest and never returns.
// `after_dashdash` holds the command-line words after a "--" (PROGRAM and its arguments).
void add_run_command(CLI::App& app, const std::vector<std::string>& after_dashdash);

}  // namespace xvm::cli
