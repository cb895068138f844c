#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "runtime/process.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

std::vector<char*> to_argv(const std::vector<std::string>& strings) {
  std::vector<char*> argv;
  for (const auto& s : strings) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// The hook's stdin is a socket, not a pipe: we write with MSG_NOSIGNAL so a
// hook that exits without reading cannot kill us with SIGPIPE.
void feed_state(int fd, const std::string& state_json) {
  size_t offset = 0;
  while (offset < state_json.size()) {
    ssize_t n = ::send(fd, state_json.data() + offset, state_json.size() - offset, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // The hook does not read its stdin: fine.
    }
    offset += static_cast<size_t>(n);
  }
}

void run_hook(const oci::Hook& hook, const std::string& label, const std::string& state_json) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno(label + ": socketpair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto argv = to_argv(args);
  auto envp = to_argv(hook.env);

  pid_t pid = ::fork();
  if (pid < 0) throw_errno(label + ": fork");
  if (pid == 0) {
    ::dup2(theirs.get(), STDIN_FILENO);
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  theirs.reset();
  UniqueFd pidfd(pidfd_open(pid));
  feed_state(ours.get(), state_json);
  ::shutdown(ours.get(), SHUT_WR);

  int timeout_ms = hook.timeout ? *hook.timeout * 1000 : -1;
  pollfd p{pidfd.get(), POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw Error(label + ": timed out after " + std::to_string(*hook.timeout) + " seconds");
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    throw Error(label + ": could not execute " + hook.path);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    throw Error(label + ": exited with status " + std::to_string(WEXITSTATUS(status)));
  if (WIFSIGNALED(status))
    throw Error(label + ": killed by signal " + std::to_string(WTERMSIG(status)));
}

}  // namespace

static std::string hook_label(const char* kind, size_t index, const oci::Hook& hook) {
  return std::string("hooks.") + kind + "[" + std::to_string(index) + "] (" + hook.path + ")";
}

bool has_creation_hooks(const oci::Hooks& hooks) {
  return !hooks.prestart.empty() || !hooks.create_runtime.empty() || !hooks.create_container.empty() ||
         !hooks.start_container.empty();
}

void run_hooks(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) run_hook(hooks[i], hook_label(kind, i, hooks[i]), state_json);
}

std::vector<std::string> run_hooks_all(const std::vector<oci::Hook>& hooks, const char* kind,
                                       const std::string& state_json) {
  std::vector<std::string> failures;
  for (size_t i = 0; i < hooks.size(); ++i) {
    try {
      run_hook(hooks[i], hook_label(kind, i, hooks[i]), state_json);
    } catch (const Error& e) {
      failures.emplace_back(e.what());
    }
  }
  return failures;
}

}  // namespace skiff::runtime
