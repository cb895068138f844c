// skiff features: the runtime-spec features document.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"

namespace skiff::cli {

Action add_features(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("features", "show the enabled features");
  cmd->footer("The result is parsable as JSON (opencontainers/runtime-spec features.md).");
  return [](Context&) {
    std::cout << nlohmann::json::parse(features_json()).dump(4) << '\n';
    return 0;
  };
}

}  // namespace skiff::cli
