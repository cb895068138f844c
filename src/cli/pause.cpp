// skiff pause / resume: freeze and thaw every process of a container.
#include <memory>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

using Transition = void (Runtime::*)(const std::string&);

Action add_transition(CLI::App& app, const char* name, const char* description, Transition transition) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(name, description);
  add_args(*cmd, *args, "container-id");
  return [args, cmd, transition](Context& ctx) {
    require_exactly(*cmd, *args, 1);
    Runtime runtime = ctx.runtime();
    (runtime.*transition)(args->front());
    return 0;
  };
}

}  // namespace

Action add_pause(CLI::App& app) {
  return add_transition(app, "pause", "pause suspends all processes inside the container", &Runtime::pause);
}

Action add_resume(CLI::App& app) {
  return add_transition(app, "resume", "resumes all processes that have been previously paused", &Runtime::resume);
}

}  // namespace skiff::cli
