// skiff create: set a container up and leave it waiting for `start`.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "cli/cli.hpp"

namespace skiff::cli {
void add_create_flags(CLI::App& command, CreateOptions& options) {
  command.add_option("-b,--bundle", options.bundle,
                     "path to the root of the bundle directory, defaults to the current directory");
  command.add_option("--console-socket", options.console_socket,
                     "path to an AF_UNIX socket which will receive a file descriptor referencing the master end "
                     "of the console's pseudoterminal");
  command.add_option("--pid-file", options.pid_file, "specify the file to write the process id to");
  command.add_flag("--no-pivot", options.no_pivot,
                   "do not use pivot root to jail process inside rootfs (for a rootfs on a ramdisk)");
  command.add_flag("--no-new-keyring", options.no_new_keyring,
                   "do not create a new session keyring for the container");
  command.add_option("--preserve-fds", options.preserve_fds,
                     "pass N additional file descriptors to the container (stdio + N in total)")
      ->check(CLI::NonNegativeNumber);
}

// systemd socket activation of skiff itself (LISTEN_PID is us): the sockets
// are handed on to the container, as runc does.
int systemd_listen_fds() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds || std::atoi(pid) != ::getpid()) return 0;
  return std::max(0, std::atoi(fds));
}

CreateOptions with_absolute_paths(CreateOptions options) {
  options.listen_fds = systemd_listen_fds();
  options.bundle = absolute_path(options.bundle);
  options.pid_file = absolute_path(options.pid_file);
  options.console_socket = absolute_path(options.console_socket);
  return options;
}

Action add_create(CLI::App& app) {
  struct Args {
    std::vector<std::string> args;
    CreateOptions options;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("create", "create a container");
  cmd->footer("The container is left waiting; `skiff start <container-id>` runs its process.");
  add_args(*cmd, a->args, "container-id");
  add_create_flags(*cmd, a->options);
  return [a, cmd](Context& ctx) {
    require_exactly(*cmd, a->args, 1);
    ctx.runtime().create(a->args[0], with_absolute_paths(a->options));
    return 0;
  };
}

}  // namespace skiff::cli
