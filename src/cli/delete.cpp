// skiff delete: remove a stopped container (--force: kill it first).
#include <memory>

#include "cli/cli.hpp"

namespace skiff::cli {

Action add_delete(CLI::App& app) {
  struct Args {
    std::vector<std::string> args;
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "delete", "delete any resources held by the container often used with detached container");
  add_args(*cmd, a->args, "container-id");
  cmd->add_flag("-f,--force", a->force,
                "forcibly deletes the container if it is still running (uses SIGKILL)");
  return [a, cmd](Context& ctx) {
    require_exactly(*cmd, a->args, 1);
    // With --force a container that is already gone is not an error (runc).
    ctx.runtime().remove(a->args[0], a->force);
    return 0;
  };
}

}  // namespace skiff::cli
