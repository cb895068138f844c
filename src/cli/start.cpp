// skiff start: let a created container run its process.
#include <memory>

#include "cli/cli.hpp"

namespace skiff::cli {

Action add_start(CLI::App& app) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("start", "executes the user defined process in a created container");
  add_args(*cmd, *args, "container-id");
  return [args, cmd](Context& ctx) {
    require_exactly(*cmd, *args, 1);
    ctx.runtime().start(args->front());
    return 0;
  };
}

}  // namespace skiff::cli
