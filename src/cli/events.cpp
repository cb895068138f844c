// skiff events: container events and statistics (runc's JSON lines).
// libskiff has no statistics or OOM notification API yet, so this checks the
// container and then says so plainly instead of printing empty data.
#include <memory>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {

Action add_events(CLI::App& app) {
  struct Args {
    std::vector<std::string> args;
    std::string interval = "5s";
    bool stats = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics");
  add_args(*cmd, a->args, "container-id");
  cmd->add_option("--interval", a->interval, "set the stats collection interval (default: 5s)");
  cmd->add_flag("--stats", a->stats, "display the container's stats then exit");
  return [a, cmd](Context& ctx) {
    require_exactly(*cmd, a->args, 1);
    (void)ctx.runtime().state(a->args[0]);
    throw_error("events", "container statistics and events are not supported yet");
    return 1;
  };
}

}  // namespace skiff::cli
