// skiff ps: the container's processes, as `ps -ef` lines filtered to its pids
// (the header kept), or as a JSON array of pids. Arguments after the
// container id are ps(1) options (default -ef), as with runc.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli/cli.hpp"
#include "util/error.hpp"

extern char** environ;

namespace skiff::cli {
namespace {

struct PsArgs {
  std::vector<std::string> args;
  std::string format = "table";
};

// Runs ps with the given options; its stdout and stderr together.
std::string run_ps(const std::vector<std::string>& options) {
  std::vector<std::string> argv{"ps"};
  argv.insert(argv.end(), options.begin(), options.end());
  std::vector<char*> cargv;
  for (std::string& arg : argv) cargv.push_back(arg.data());
  cargv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("creating a pipe for ps");
  const UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, "ps", &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw_errno("running ps", err);
  write_end.reset();

  std::string output;
  char buf[4096];
  for (ssize_t n; (n = ::read(read_end.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw_error("ps", output);
  return output;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string field; in >> field;) out.push_back(field);
  return out;
}

std::string table(const std::vector<pid_t>& pids, const std::vector<std::string>& options) {
  const std::string output = run_ps(options.empty() ? std::vector<std::string>{"-ef"} : options);
  std::istringstream lines(output);
  std::string header;
  std::getline(lines, header);
  const auto columns = fields(header);
  const auto pid_column = std::find(columns.begin(), columns.end(), "PID");
  if (pid_column == columns.end()) throw_error("ps", "couldn't find PID field in ps output");
  const auto index = static_cast<std::size_t>(pid_column - columns.begin());

  const std::set<pid_t> wanted(pids.begin(), pids.end());
  std::string out = header + "\n";
  for (std::string line; std::getline(lines, line);) {
    const auto f = fields(line);
    if (f.size() <= index) continue;
    try {
      if (wanted.count(std::stoi(f[index])) != 0) out += line + "\n";
    } catch (const std::exception&) {
      throw_error("ps", "unexpected pid field \"" + f[index] + "\"");
    }
  }
  return out;
}

}  // namespace

Action add_ps(CLI::App& app) {
  auto a = std::make_shared<PsArgs>();
  CLI::App* cmd = app.add_subcommand("ps", "ps displays the processes running inside a container");
  add_args(*cmd, a->args, "container-id [ps options]",
           "the container, then options for ps(1) (default: -ef)");
  cmd->add_option("-f,--format", a->format, "select one of: table or json (default: \"table\")")
      ->check(CLI::IsMember({"table", "json"}));
  return [a, cmd](Context& ctx) {
    require_min(*cmd, a->args, 1);
    const std::vector<pid_t> pids = ctx.runtime().pids(a->args[0]);
    if (a->format == "json") {
      std::cout << nlohmann::json(pids).dump() << '\n';
    } else {
      std::cout << table(pids, {a->args.begin() + 1, a->args.end()});
    }
    return 0;
  };
}

}  // namespace skiff::cli
