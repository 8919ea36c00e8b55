// Subcommands of the xvm binary.
#pragma once
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xvm::cli {

// Adds `xvm run` to the application; the callback runs the guest and never returns.
void add_run_command(CLI::App& app);

}  // namespace xvm::cli
