// skiff run: create + start; in the foreground wait and exit with the
// container's status (128 + signal when it was killed).
#include <sys/prctl.h>

#include <memory>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {
namespace {

struct RunArgs {
  std::vector<std::string> args;
  CreateOptions create;
  RunOptions run;
  bool no_subreaper = false;
};

int run_foreground(Context& ctx, const std::string& id, const CreateOptions& create, const RunArgs& a) {
  // Orphans of the container (and its init, if it double-forks) are
  // re-parented to us, so the wait below can reap them.
  if (!a.no_subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    throw_errno("making skiff a child subreaper");
  }
  const SignalForwarder forwarder;
  RunOptions run = a.run;
  run.on_started = SignalForwarder::forward_to;
  return ctx.runtime().run(id, create, run).exit_code;
}

}  // namespace

Action add_run(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "create and run a container");
  add_args(*cmd, a->args, "container-id");
  add_create_flags(*cmd, a->create);
  cmd->add_flag("-d,--detach", a->run.detach, "detach from the container's process");
  cmd->add_flag("--keep", a->run.keep, "do not delete the container after it exits");
  cmd->add_flag("--no-subreaper", a->no_subreaper, "disable the use of the subreaper used to reap reparented processes");
  return [a, cmd](Context& ctx) {
    require_exactly(*cmd, a->args, 1);
    if (a->run.detach && a->run.keep) throw UsageError("--detach and --keep cannot both be used");
    const CreateOptions create = with_absolute_paths(a->create);
    if (a->run.detach) {
      ctx.runtime().run(a->args[0], create, a->run);
      return 0;
    }
    return run_foreground(ctx, a->args[0], create, *a);
  };
}

}  // namespace skiff::cli
