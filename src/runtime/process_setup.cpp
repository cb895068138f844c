#include "runtime/process_setup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "mounts/path_in_root.hpp"
#include "runtime/process.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/unix_socket.hpp"

namespace skiff::runtime {

namespace {

std::string env_value(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& entry : env)
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=')
      return entry.substr(name.size() + 1);
  return {};
}

bool is_executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

void setup_terminal(const oci::Process& process, int console_fd) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) throw_errno("process.terminal: opening /dev/ptmx in the container");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0)
    throw_errno("process.terminal: unlocking the pty");
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw_errno("process.terminal: opening the pty slave");
  if (process.console_size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(process.console_size->height);
    ws.ws_col = static_cast<unsigned short>(process.console_size->width);
    ::ioctl(slave.get(), TIOCSWINSZ, &ws);
  }
  (void)::fchown(slave.get(), process.user.uid, static_cast<gid_t>(-1));
  send_with_fd(console_fd, {}, master.get(), "console socket: sending the pty master");
  master.reset();
  if (::setsid() < 0) throw_errno("process.terminal: setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0)
    throw_errno("process.terminal: setting the controlling terminal");
  for (int target = 0; target < 3; ++target)
    if (::dup2(slave.get(), target) < 0) throw_errno("process.terminal: dup2");
}

void apply_rlimits(const oci::Process& process) {
  for (size_t i = 0; i < process.rlimits.size(); ++i) {
    const auto& limit = process.rlimits[i];
    rlimit value{limit.soft, limit.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) != 0)
      throw_errno("process.rlimits[" + std::to_string(i) + "] (" + limit.type + ")");
  }
}

void switch_user(const oci::Process& process) {
  const auto& user = process.user;
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  // setgroups is denied in user namespaces with setgroups=deny; runc ignores
  // EPERM only when no additional groups were asked for.
  if (::setgroups(groups.size(), groups.data()) != 0 && !(errno == EPERM && groups.empty()))
    throw_errno("process.user.additionalGids");
  if (::setresgid(user.gid, user.gid, user.gid) != 0)
    throw_errno("process.user.gid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) != 0)
    throw_errno("process.user.uid " + std::to_string(user.uid));
  if (user.umask) ::umask(*user.umask);
}

// Resolved inside the container's root with no magic links: a cwd such as
// /proc/self/fd/N must not reach an fd of ours (CVE-2024-21626), and ".."
// stops at the root.
UniqueFd open_working_directory(const oci::Process& process) {
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd dir;
  if (root) dir = mounts::open_in_root(root.get(), process.cwd, O_PATH | O_DIRECTORY);
  if (!dir) throw_errno("process.cwd " + process.cwd);
  return dir;
}

void change_directory(const oci::Process& process, const UniqueFd& cwd) {
  if (::fchdir(cwd.get()) != 0) throw_errno("process.cwd " + process.cwd);
}

void create_working_directory(const oci::Process& process) {
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return;
  try {
    mounts::mkdir_all_in_root(root.get(), process.cwd);
  } catch (const Error&) {
    // A read-only root: change_directory reports a cwd that is missing.
  }
}

std::string find_on_path(const oci::Process& process, const std::function<bool(const std::string&)>& usable) {
  const std::string& name = process.args.at(0);
  std::string path = env_value(process.env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (usable(candidate)) return candidate;
    start = end + 1;
  }
  return {};
}

std::string resolve_executable(const oci::Process& process) {
  const std::string& name = process.args.at(0);
  if (name.find('/') != std::string::npos) {
    if (!is_executable_file(name)) throw_errno("process.args[0]: " + name);
    return name;
  }
  std::string found = find_on_path(process, is_executable_file);
  if (found.empty()) throw Error("process.args[0]: exec: \"" + name + "\": executable file not found in $PATH");
  return found;
}

void redirect_stdio(const std::array<int, 3>& stdio) {
  // Move every source above 2 first, so no dup2 overwrites a later source.
  std::array<int, 3> moved{-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (stdio[i] < 0) continue;
    moved[i] = ::fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
    if (moved[i] < 0) throw_errno("duplicating stdio fd " + std::to_string(stdio[i]));
  }
  for (int i = 0; i < 3; ++i) {
    if (moved[i] < 0) continue;
    if (::dup2(moved[i], i) < 0) throw_errno("dup2 onto fd " + std::to_string(i));
    ::close(moved[i]);
  }
}

void keep_only_inherited_fds(int preserve_fds) {
  for (int fd = 3; fd < 3 + preserve_fds; ++fd) ::fcntl(fd, F_SETFD, 0);
  cloexec_from(3 + preserve_fds);
}

void prepare_to_run(const oci::Process& process, const security::SeccompProgram* seccomp) {
  // The container starts with no signal blocked, whatever its caller masks
  // (the shim blocks SIGCHLD for its signalfd).
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  security::load_seccomp_at(seccomp, process.no_new_privileges, security::SeccompStage::BeforeExec);
}

void exec_process(const oci::Process& process, const std::string& path,
                  const security::SeccompProgram* seccomp) {
  std::vector<char*> argv, envp;
  for (const auto& arg : process.args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  for (const auto& entry : process.env) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  prepare_to_run(process, seccomp);
  ::execve(path.c_str(), argv.data(), envp.data());
  throw_errno("process.args[0]: exec " + path);
}

}  // namespace skiff::runtime
