// skiff kill: send a signal (default SIGTERM) to the container's init, or to
// all its processes with --all.
#include <memory>

#include "cli/cli.hpp"

namespace skiff::cli {

Action add_kill(CLI::App& app) {
  struct Args {
    std::vector<std::string> args;
    bool all = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "kill", "kill sends the specified signal (default: SIGTERM) to the container's init process");
  add_args(*cmd, a->args, "container-id [signal]",
           "the container, and the signal by name or number (default: SIGTERM)");
  cmd->add_flag("-a,--all", a->all, "send the specified signal to all processes inside the container");
  cmd->footer("Example: skiff kill ubuntu01 KILL");
  return [a, cmd](Context& ctx) {
    require_min(*cmd, a->args, 1);
    require_max(*cmd, a->args, 2);
    const int signal = parse_signal(a->args.size() == 2 ? a->args[1] : "SIGTERM");
    ctx.runtime().kill(a->args[0], signal, a->all);
    return 0;
  };
}

}  // namespace skiff::cli
