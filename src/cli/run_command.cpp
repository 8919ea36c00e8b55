// `xvm run [options] PROGRAM [ARGS...]`: user-mode emulation of one AArch64 Linux program.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "cli/commands.h"
#include "linux/process.h"

extern char** environ;

namespace xvm::cli {
namespace {

struct RunArgs {
  std::vector<std::string> set_env;
  std::vector<std::string> unset_env;
  std::string sysroot;
  std::string argv0;
  bool strace = false;
  std::string stats;  // "" (off), "text" or "json"
  std::string engine;  // "" = $XVM_ENGINE, else tiered
  uint32_t jit_threshold = 50;
  uint64_t jit_cache_kib = 0;
  bool check = false;
};

std::string self_exe() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, size_t(n)) : std::string("xvm");
}

[[noreturn]] void run(const RunArgs& r, std::vector<std::string> rest) {
  if (rest.empty()) {
    std::fprintf(stderr, "xvm run: missing PROGRAM (see xvm run --help)\n");
    std::exit(2);
  }
  linux_user::RunOptions o;
  o.program = rest[0];
  o.argv = rest;
  if (!r.argv0.empty()) o.argv[0] = r.argv0;
  o.sysroot = r.sysroot;
  if (o.sysroot.empty())
    if (const char* s = std::getenv("XVM_SYSROOT")) o.sysroot = s;
  while (o.sysroot.size() > 1 && o.sysroot.back() == '/') o.sysroot.pop_back();
  o.strace = r.strace;
  if (!r.stats.empty() && r.stats != "text" && r.stats != "json") {
    std::fprintf(stderr, "xvm run: --stats takes no value or =json, got '%s'\n", r.stats.c_str());
    std::exit(2);
  }
  o.stats = !r.stats.empty();
  o.stats_json = r.stats == "json";
  o.engine = r.engine;
  if (o.engine.empty())
    if (const char* e = std::getenv("XVM_ENGINE")) o.engine = e;
  if (o.engine.empty()) o.engine = "tiered";
  if (o.engine != "interp" && o.engine != "tiered" && o.engine != "jit") {
    std::fprintf(stderr, "xvm run: --engine must be interp, tiered or jit, got '%s'\n",
                 o.engine.c_str());
    std::exit(2);
  }
  o.jit_threshold = r.jit_threshold;
  o.jit_check = r.check;
  o.jit_cache_size = r.jit_cache_kib * 1024;
  if (r.jit_cache_kib)
    o.reexec_options.insert(o.reexec_options.end(),
                            {"--jit-cache-size", std::to_string(r.jit_cache_kib)});
  o.xvm_exe = self_exe();
  o.reexec_options.insert(o.reexec_options.end(),
                          {"--engine", o.engine, "--jit-threshold", std::to_string(r.jit_threshold)});
  if (r.check) o.reexec_options.push_back("--check");
  if (r.strace) o.reexec_options.push_back("--strace");
  if (o.stats) o.reexec_options.push_back("--stats=" + r.stats);
  if (!o.sysroot.empty()) o.reexec_options.insert(o.reexec_options.end(), {"--sysroot", o.sysroot});

  // The guest's environment: ours, with -U removals and -E settings applied in order.
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  auto erase = [&](const std::string& name) {
    std::erase_if(env, [&](const std::string& kv) { return kv.compare(0, name.size() + 1, name + "=") == 0; });
  };
  for (const auto& u : r.unset_env) erase(u);
  for (const auto& kv : r.set_env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "xvm run: -E expects VAR=VALUE, got '%s'\n", kv.c_str());
      std::exit(2);
    }
    erase(kv.substr(0, eq));
    env.push_back(kv);
  }
  o.envp = std::move(env);

  auto proc = linux_user::Process::create(o);
  if (!proc) {
    std::fprintf(stderr, "xvm: %s: %s\n", o.program.c_str(), proc.error().c_str());
    std::exit(126);
  }
  (*proc)->run();
}

}  // namespace

void add_run_command(CLI::App& app, const std::vector<std::string>* after_dashdash) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run an AArch64 Linux program (static, or dynamic with --sysroot) on this host.\n"
      "  xvm run [OPTIONS] PROGRAM [ARGS...]");
  cmd->add_option("-E,--env", args->set_env, "Set VAR=VALUE in the guest's environment")
      ->type_name("VAR=VALUE")
      ->allow_extra_args(false);  // one value per -E, repeatable (never swallow PROGRAM)
  cmd->add_option("-U,--unset", args->unset_env, "Remove VAR from the guest's environment")
      ->type_name("VAR")
      ->allow_extra_args(false);
  cmd->add_option("--sysroot", args->sysroot,
                  "Look up absolute guest paths (and the ELF interpreter) under DIR first "
                  "(default: $XVM_SYSROOT)")
      ->type_name("DIR");
  cmd->add_option("--argv0", args->argv0, "Pass NAME to the guest as argv[0]")->type_name("NAME");
  cmd->add_flag("--strace", args->strace,
                "Print each guest syscall with decoded arguments and its result to stderr");
  cmd->add_flag("--stats{text}", args->stats,
                "At exit, print guest instructions executed, MIPS, wall time and the JIT's "
                "figures (translation, linking, indirect-branch hits, flushes) to stderr; "
                "--stats=json prints them as one JSON object");
  cmd->add_option("--engine", args->engine,
                  "Execution engine: tiered (interpreter, then JIT for hot blocks; the default), "
                  "jit (translate every block) or interp (interpreter only); default "
                  "$XVM_ENGINE, else tiered")
      ->type_name("NAME");
  cmd->add_option("--jit-threshold", args->jit_threshold,
                  "Executions of a block before the tiered engine translates it (default 50)")
      ->type_name("N");
  cmd->add_option("--jit-cache-size", args->jit_cache_kib,
                  "Code cache per guest thread in KiB (default 32768); flushed when full")
      ->type_name("KIB")
      ->check(CLI::Range(uint64_t{64}, uint64_t{1} << 21));
  cmd->add_flag("--check", args->check,
                "JIT co-simulation: run each translated block on the interpreter too and report "
                "the first difference in registers, flags or memory written");
  cmd->prefix_command();  // everything from PROGRAM on belongs to the guest
  cmd->footer(
      "PROGRAM and everything after it are passed to the guest unchanged. The exit status is\n"
      "the guest's; a guest killed by a signal kills xvm with the same signal.");
  cmd->callback([cmd, args, after_dashdash] {
    std::vector<std::string> rest = cmd->remaining();
    rest.insert(rest.end(), after_dashdash->begin(), after_dashdash->end());
    run(*args, rest);
  });
}

}  // namespace xvm::cli
