// skiff: the runc-compatible command line over libskiff.
//
// main() owns everything: the CLI11 app, the global flags and the logger.
// It parses (after normalize_args), runs the chosen command's action and maps
// every failure to one error line and exit status 1.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <utility>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

using Factory = Action (*)(CLI::App&);

struct CommandEntry {
  const char* name;
  Factory add;
};

constexpr CommandEntry kCommands[] = {
    {"checkpoint", add_checkpoint}, {"create", add_create}, {"delete", add_delete},   {"events", add_events},
    {"exec", add_exec},             {"kill", add_kill},     {"list", add_list},       {"pause", add_pause},
    {"ps", add_ps},                 {"restore", add_restore}, {"resume", add_resume}, {"run", add_run},
    {"spec", add_spec},             {"start", add_start},   {"state", add_state},     {"update", add_update},
    {"features", add_features},
};

Trailing trailing_of(const std::string& command) {
  if (command == "exec") return Trailing::AtSecondOperand;
  if (command == "ps") return Trailing::AfterFirst;
  return Trailing::None;
}

void add_global_flags(CLI::App& app, Globals& g) {
  app.add_flag("--debug", g.debug, "enable debug logging");
  app.add_option("--log", g.log_file, "set the log file to write skiff logs to (default is stderr)");
  app.add_option("--log-format", g.log_format, "set the log format ('text' (default), or 'json')")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--root", g.root, "root directory for storage of container state (default: \"/run/skiff\")");
  app.add_option("--wasm-cache", g.wasm_cache,
                 "directory of compiled WebAssembly modules (default: \"/var/cache/skiff/wasm\", \"\": none)");
  app.add_option("--wasm-runner", g.wasm_runner,
                 "the WebAssembly runner wasm containers execute (default: skiff-wasm beside skiff)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--config", g.config, "defaults for the flags above (default: \"/etc/skiff/config.yaml\")");
  app.add_option("--criu", g.criu, "accepted for runc compatibility; checkpoint/restore is not supported");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "use the systemd cgroup driver (not supported yet)");
  app.add_option("--rootless", g.rootless, "accepted for runc compatibility ('true', 'false', or 'auto')");
}

// Hands the operands normalize_args kept from CLI11 to the command's
// positional, after those CLI11 parsed.
void append_operands(CLI::App& command, const std::vector<std::string>& operands) {
  if (operands.empty()) return;
  const auto positionals = command.get_options([](const CLI::Option* o) { return o->get_positional(); });
  if (positionals.empty()) throw UsageError("\"" + command.get_name() + "\" takes no arguments");
  for (const std::string& operand : operands) positionals.front()->add_result(operand);
  positionals.front()->run_callback();
}

int run_action(CLI::App& command, const std::vector<std::string>& operands, const Action& action, Context& ctx) {
  try {
    ctx.logger.configure(ctx.globals);
    if (ctx.globals.systemd_cgroup) throw UsageError("systemd cgroup driver is not supported yet");
    append_operands(command, operands);
    return action(ctx);
  } catch (const std::exception& e) {
    ctx.logger.error(e.what());
    return 1;
  }
}

int skiff_main(int argc, char** argv) {
  Globals globals;
  globals.argv.assign(argv, argv + argc);
  Logger logger;
  Context ctx{globals, logger};
  CLI::App app{"skiff is an OCI container runtime (runc-compatible command line)", "skiff"};
  use_help_formatter(app);
  add_global_flags(app, globals);
  bool version = false;
  app.add_flag("-v,--version", version, "print the version");

  // Only the command asked for is built (CLI11 builds are not free, and
  // `run` is a hot path); every command when none is named, for the help.
  const std::string named = command_name(app, globals.argv);
  const bool known = std::any_of(std::begin(kCommands), std::end(kCommands),
                                 [&](const CommandEntry& entry) { return named == entry.name; });
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const CommandEntry& entry : kCommands) {
    if (known && named != entry.name) continue;
    Action action = entry.add(app);
    actions.emplace_back(app.get_subcommand(entry.name), std::move(action));
  }
  Action help = add_help(app);
  actions.emplace_back(app.get_subcommand("help"), std::move(help));

  NormalizedArgs args = normalize_args(app, {argv, argv + argc}, trailing_of);
  try {
    std::reverse(args.parse.begin(), args.parse.end());
    app.parse(args.parse);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const bool unknown_command = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr && app.get_subcommands().empty();
    logger.error(unknown_command ? "unknown command \"" + args.command + "\"" : std::string(e.what()));
    return 1;
  }

  for (const char* flag : {"--root", "--wasm-cache", "--wasm-runner"})
    if (app.count(flag) > 0) globals.given.insert(flag);

  if (version) {
    std::cout << version_text();
    return 0;
  }
  for (const auto& [command, action] : actions) {
    if (command->parsed()) return run_action(*command, args.operands, action, ctx);
  }
  std::cout << app.help();
  return 0;
}

}  // namespace
}  // namespace skiff::cli

int main(int argc, char** argv) {
  int status = skiff::cli::skiff_main(argc, argv);
  // Everything of ours is closed by now (skiff_main's locals); what exit()
  // would add is static destructors, run for a process about to vanish.
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(status);
}
