// skiff exec: run another process in a running container. Everything after
// the container id that is not one of our flags, from the first plain word
// on, is the command line (see args.cpp), so `exec ID sh -c 'echo hi'` works.
#include <charconv>
#include <memory>
#include <optional>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

struct ExecArgs {
  std::vector<std::string> args;
  ExecOptions options;
  std::string user;
  std::string cgroup;
};

uint32_t parse_id(const std::string& text, const std::string& what) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw UsageError(what + ": \"" + text + "\" is not a numeric id");
  }
  return value;
}

// --user uid[:gid]
void apply_user(const std::string& user, ExecOptions& options) {
  if (user.empty()) return;
  const auto colon = user.find(':');
  options.uid = parse_id(user.substr(0, colon), "--user");
  if (colon != std::string::npos) options.gid = parse_id(user.substr(colon + 1), "--user");
}

void reject_unsupported(const ExecArgs& a) {
  if (!a.cgroup.empty()) throw UsageError("--cgroup: exec into a sub-cgroup is not supported yet");
}

void add_flags(CLI::App& cmd, ExecArgs& a) {
  ExecOptions& o = a.options;
  cmd.add_option("--console-socket", o.console_socket,
                 "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of "
                 "the console's pseudoterminal");
  cmd.add_option("--cwd", o.cwd, "current working directory in the container");
  cmd.add_option("-e,--env", o.env, "set environment variables (repeatable)")->allow_extra_args(false);
  cmd.add_flag("-t,--tty", o.tty, "allocate a pseudo-TTY");
  cmd.add_option("-u,--user", a.user, "UID (format: <uid>[:<gid>])");
  cmd.add_option("-g,--additional-gids", o.additional_gids, "additional gids (repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("-p,--process", o.process_file, "path to the process.json");
  cmd.add_flag("-d,--detach", o.detach, "detach from the container's process");
  cmd.add_option("--pid-file", o.pid_file, "specify the file to write the process id to");
  cmd.add_option("--process-label", o.process_label,
                 "set the asm process label for the process commonly used with selinux");
  cmd.add_option("--apparmor", o.apparmor_profile, "set the apparmor profile for the process");
  cmd.add_flag("--no-new-privs", o.no_new_privs, "set the no new privileges value for the process");
  cmd.add_option("-c,--cap", o.capabilities, "add a capability to the bounding set for the process (repeatable)")
      ->allow_extra_args(false);
  cmd.add_option("--preserve-fds", o.preserve_fds,
                 "pass N additional file descriptors to the container (stdio + N in total)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--cgroup", a.cgroup, "run the process in an (existing) sub-cgroup (not supported yet)");
  cmd.add_flag("--ignore-paused", o.ignore_paused, "allow exec in a paused container");
}

int exec_foreground(Context& ctx, const std::string& id, ExecOptions options) {
  const SignalForwarder forwarder;
  options.on_started = SignalForwarder::forward_to;
  return ctx.runtime().exec(id, options).exit_code;
}

}  // namespace

Action add_exec(CLI::App& app) {
  auto a = std::make_shared<ExecArgs>();
  CLI::App* cmd = app.add_subcommand("exec", "execute new process inside the container");
  add_args(*cmd, a->args, "container-id command [args...]",
           "the container, then the command line to run in it");
  add_flags(*cmd, *a);
  cmd->footer(
      "Usage: skiff exec [options] <container-id> <command> [args...]\n"
      "   or: skiff exec [options] -p process.json <container-id>\n"
      "Flags after the command belong to the command; \"--\" also ends skiff's flags.");
  return [a, cmd](Context& ctx) {
    require_min(*cmd, a->args, 1);
    reject_unsupported(*a);
    ExecOptions options = a->options;
    if (options.process_file.empty() && a->args.size() < 2) throw UsageError("exec: process args cannot be empty");
    apply_user(a->user, options);
    options.args.assign(a->args.begin() + 1, a->args.end());
    options.process_file = absolute_path(options.process_file);
    options.pid_file = absolute_path(options.pid_file);
    options.console_socket = absolute_path(options.console_socket);
    if (options.detach) {
      ctx.runtime().exec(a->args[0], options);
      return 0;
    }
    return exec_foreground(ctx, a->args[0], options);
  };
}

}  // namespace skiff::cli
