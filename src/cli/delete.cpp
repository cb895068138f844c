// skiff delete: remove a stopped container (--force: kill it first).
#include <algorithm>
#include <memory>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

bool exists(const Runtime& runtime, const std::string& id) {
  const auto states = runtime.list();
  return std::any_of(states.begin(), states.end(), [&](const ContainerState& s) { return s.id == id; });
}

}  // namespace

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
    Runtime runtime = ctx.runtime();
    // Like runc, forcing the removal of a container that is already gone succeeds.
    if (a->force && !exists(runtime, a->args[0])) return 0;
    runtime.remove(a->args[0], a->force);
    return 0;
  };
}

}  // namespace skiff::cli
