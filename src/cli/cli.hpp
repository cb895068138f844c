// The `skiff` command line: a thin, runc-compatible layer over libskiff.
//
// Each command lives in its own file and contributes one add_<name>()
// function that registers its flags on the CLI11 app and returns the action
// to run when that command was chosen. Commands report failures by throwing
// (skiff::Error from the library, UsageError for bad arguments); main() turns
// them into one error line and exit status 1.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <set>
#include <string_view>
#include <vector>

#include "skiff/skiff.hpp"
#include "util/fd.hpp"

namespace skiff::cli {

// The global flags, shared by every command.
struct Globals {
  std::string root = "/run/skiff";
  std::string wasm_cache = "/var/cache/skiff/wasm";
  std::string wasm_runner;  // "": skiff-wasm beside this binary
  std::string config = "/etc/skiff/config.yaml";  // defaults for the flags above
  std::set<std::string> given;  // the flags above that the command line set (they win)
  std::string log_file;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string criu;      // accepted for runc compatibility, unused
  std::string rootless;  // accepted for runc compatibility, unused
  std::vector<std::string> argv;  // ours, to re-execute from a sealed copy of the binary
};

// runc-style logging: --log FILE gets formatted lines (logrus text or one
// JSON object per line); errors also go to stderr as one plain line.
class Logger {
 public:
  void configure(const Globals& globals);
  void log(LogLevel level, std::string_view message);
  // Log an error and print it on stderr (once, even without a log file).
  void error(std::string_view message);

 private:
  [[nodiscard]] std::string format(LogLevel level, std::string_view message) const;
  void write_line(int fd, const std::string& line) const;

  UniqueFd file_;
  bool json_ = false;
  LogLevel threshold_ = LogLevel::Warning;
};

// What a command gets to work with.
struct Context {
  const Globals& globals;
  Logger& logger;

  // A Runtime on --root whose diagnostics go to the logger.
  [[nodiscard]] Runtime runtime() const;
};

using Action = std::function<int(Context&)>;

// Wrong number of arguments, a bad flag value: exit 1 like runc.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// runc's argument-count checks: `"start" requires exactly 1 argument(s)`.
void require_exactly(const CLI::App& command, const std::vector<std::string>& args, std::size_t n);
void require_min(const CLI::App& command, const std::vector<std::string>& args, std::size_t n);
void require_max(const CLI::App& command, const std::vector<std::string>& args, std::size_t n);

// Adds the positional collector every command uses ("container-id", ...);
// options are accepted before and after its operands.
CLI::Option* add_args(CLI::App& command, std::vector<std::string>& args, const std::string& name,
                      const std::string& description = "the name of the container instance");

// Where the trailing command line of a subcommand starts (see args.cpp).
enum class Trailing {
  None,            // plain flags and positionals
  AfterFirst,      // ps: everything after the container id is for ps(1)
  AtSecondOperand  // exec: the command starts at the first operand after the id
};

struct NormalizedArgs {
  std::vector<std::string> parse;     // for CLI11 (without argv[0])
  std::vector<std::string> operands;  // the subcommand's operands, never parsed as flags
  std::string command;                // the first operand: the subcommand's name, if any
};

// Rewrites argv so that CLI11 parses it like runc does: Go-style single-dash
// long flags (-bundle) become --bundle, and a trailing command line (or
// whatever follows "--") is kept away from flag parsing.
NormalizedArgs normalize_args(CLI::App& app, const std::vector<std::string>& argv,
                              const std::function<Trailing(const std::string&)>& trailing_of);
// The command named in argv (its first operand after the global flags app
// knows), or "" when there is none.
std::string command_name(CLI::App& app, const std::vector<std::string>& argv);

// Column output like Go's text/tabwriter (minwidth 12, padding 3): every
// column but the last padded to its widest cell.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// Forward the usual terminal signals to the container's process while a
// foreground run/exec waits (see signals.cpp).
class SignalForwarder {
 public:
  SignalForwarder();
  // The process to forward to, once the library has started it.
  static void forward_to(pid_t pid);
  ~SignalForwarder();
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;
};

// The options `create` and `run` share.
void add_create_flags(CLI::App& command, CreateOptions& options);
// runc resolves paths against the caller's cwd before anything else.
CreateOptions with_absolute_paths(CreateOptions options);  // and LISTEN_FDS
std::string absolute_path(const std::string& path);

// One per command.
Action add_create(CLI::App& app);
Action add_start(CLI::App& app);
Action add_run(CLI::App& app);
Action add_state(CLI::App& app);
Action add_list(CLI::App& app);
Action add_kill(CLI::App& app);
Action add_delete(CLI::App& app);
Action add_ps(CLI::App& app);
Action add_exec(CLI::App& app);
Action add_events(CLI::App& app);
Action add_pause(CLI::App& app);
Action add_resume(CLI::App& app);
Action add_update(CLI::App& app);
Action add_spec(CLI::App& app);
Action add_features(CLI::App& app);
Action add_checkpoint(CLI::App& app);
Action add_restore(CLI::App& app);
Action add_help(CLI::App& app);

// Installs the help formatter; call before adding subcommands (they inherit it).
void use_help_formatter(CLI::App& app);

}  // namespace skiff::cli
