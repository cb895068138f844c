// skiff checkpoint / restore: accepted so that callers get a clear answer
// instead of "unknown command"; CRIU is not supported.
#include <memory>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {
namespace {

Action add_unsupported(CLI::App& app, const char* name, const char* description) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->allow_extras();
  add_args(*cmd, *args, "container-id");
  return [name = std::string(name)](Context&) -> int { throw_error(name, "checkpoint/restore (CRIU) is not supported"); };
}

}  // namespace

Action add_checkpoint(CLI::App& app) {
  return add_unsupported(app, "checkpoint", "checkpoint a running container (not supported)");
}

Action add_restore(CLI::App& app) {
  return add_unsupported(app, "restore", "restore a container from a previous checkpoint (not supported)");
}

}  // namespace skiff::cli
