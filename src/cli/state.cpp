// skiff state: the container's state as runtime-spec JSON.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"

namespace skiff::cli {

Action add_state(CLI::App& app) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("state", "output the state of a container");
  add_args(*cmd, *args, "container-id");
  return [args, cmd](Context& ctx) {
    require_exactly(*cmd, *args, 1);
    const ContainerState state = ctx.runtime().state(args->front());
    std::cout << nlohmann::json::parse(state.to_json()).dump(2) << '\n';
    return 0;
  };
}

}  // namespace skiff::cli
