// Runtime operations on an existing container: start, run, kill, delete,
// wait, state, list, ps, pause, resume.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/spec.hpp"
#include "runtime/console.hpp"
#include "runtime/container.hpp"
#include "runtime/hooks.hpp"
#include "runtime/process.hpp"
#include "runtime/state.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff {

namespace runtime {

std::string hook_state_json(const SavedState& saved, Status status) {
  nlohmann::json state = {{"ociVersion", oci::kSpecVersion}, {"id", saved.id},
                          {"status", status_name(status)},    {"pid", saved.pid},
                          {"bundle", saved.bundle},           {"annotations", saved.annotations}};
  return state.dump();
}

std::unique_ptr<cgroups::Cgroup> container_cgroup(const SavedState& saved) {
  if (saved.cgroup.is_null()) return nullptr;
  return cgroups::load_cgroup(saved.cgroup);
}

bool container_frozen(const SavedState& saved) {
  try {
    auto cgroup = container_cgroup(saved);
    return cgroup && cgroup->frozen();
  } catch (const Error&) {
    return false;
  }
}

void wait_for_exit(pid_t pid, int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  // Reap it when it is our child; a no-op otherwise.
  while (::waitpid(pid, nullptr, WNOHANG) < 0 && errno == EINTR) {
  }
}

UniqueFd open_init(const SavedState& saved) {
  UniqueFd pidfd(runtime::pidfd_open(saved.pid));
  if (!pidfd || !runtime::process_is_ours(saved.pid, saved.start_time)) return UniqueFd();
  return pidfd;
}

Status live_status(const StateStore& store, const SavedState& saved) {
  Status status = store.status(saved, false);
  // The freezer is only worth reading for a live init.
  if (status != Status::Stopped && container_frozen(saved)) return Status::Paused;
  return status;
}

void log(const RuntimeOptions& options, LogLevel level, const std::string& message) {
  if (options.log) options.log(level, message);
}

}  // namespace runtime

namespace {

using runtime::live_status;
using runtime::open_init;
using runtime::SavedState;
using runtime::StateStore;

oci::Hooks saved_hooks(const SavedState& saved) {
  try {
    return oci::parse_hooks(saved.config);
  } catch (const Error&) {
    return {};
  }
}

// Hooks of one kind from the recorded config; a failure is logged, not thrown
// (poststart, poststop). The state JSON is made only when there is a hook.
void run_saved_hooks(const RuntimeOptions& options, const SavedState& saved, std::vector<oci::Hook> oci::Hooks::*kind,
                     const char* name, Status status) {
  const oci::Hooks all = saved_hooks(saved);
  const auto& hooks = all.*kind;
  if (hooks.empty()) return;
  for (const auto& failure : runtime::run_hooks_all(hooks, name, runtime::hook_state_json(saved, status)))
    runtime::log(options, LogLevel::Warning, failure);
}

void signal_all(const SavedState& saved, int signal) {
  auto cgroup = runtime::container_cgroup(saved);
  if (cgroup) cgroup->kill_all(signal);
}

}  // namespace

const char* status_name(Status status) {
  switch (status) {
    case Status::Creating: return "creating";
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Stopped: return "stopped";
  }
  return "unknown";
}

std::string ContainerState::to_json() const {
  nlohmann::json j = {{"ociVersion", oci_version}, {"id", id},         {"pid", pid},
                      {"status", status_name(status)}, {"bundle", bundle}, {"rootfs", rootfs},
                      {"created", created},       {"owner", owner}};
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump(2);
}

int exit_code_from_wait_status(int status) { return runtime::exit_code_from_status(status); }

Runtime::Runtime(RuntimeOptions options) : options_(std::move(options)) {}

ContainerState Runtime::state(const std::string& id) const {
  StateStore store(options_.root);
  SavedState saved = store.load(id);
  ContainerState state = store.public_state(saved);
  state.status = live_status(store, saved);
  return state;
}

std::vector<ContainerState> Runtime::list() const {
  std::vector<ContainerState> states;
  for (const auto& id : StateStore(options_.root).ids()) {
    try {
      states.push_back(state(id));
    } catch (const Error&) {
      // Removed while we listed it.
    }
  }
  return states;
}

void Runtime::start(const std::string& id) {
  StateStore store(options_.root);
  SavedState saved = store.load(id);
  Status status = live_status(store, saved);
  if (status != Status::Created)
    throw Error("container \"" + id + "\" cannot be started: it is " + status_name(status) + ", not created");
  runtime::start_container(options_, store, saved);
}

ProcessInfo Runtime::run(const std::string& id, const CreateOptions& options, const RunOptions& run) {
  // Orphaned container processes (after an intermediate exits) come to us.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // A terminal with nowhere to send it: receive the pty master ourselves.
  CreateOptions create_options = options;
  UniqueFd console_ours, console_theirs;
  if (!run.detach && options.console_socket.empty() && options.console_fd < 0) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("console socketpair");
    console_ours.reset(sv[0]);
    console_theirs.reset(sv[1]);
    create_options.console_fd = sv[1];
  }
  StateStore store(options_.root);
  SavedState saved = runtime::create_container(options_, id, create_options);
  console_theirs.reset();
  UniqueFd master;
  if (console_ours && saved.use_terminal) master = runtime::receive_fd(console_ours.get());
  try {
    runtime::start_container(options_, store, saved);
  } catch (...) {
    try {
      runtime::remove_container(options_, store, saved, true);
    } catch (...) {
    }
    throw;
  }
  ProcessInfo info{saved.pid, 0};
  if (run.detach) return info;
  if (run.on_started) run.on_started(info.pid);
  if (master) runtime::proxy_console(master.get());
  info.exit_code = runtime::wait_container(saved);
  if (!run.keep) runtime::remove_container(options_, store, saved, true);
  return info;
}

int Runtime::wait(const std::string& id) { return runtime::wait_container(StateStore(options_.root).load(id)); }

int runtime::wait_container(const SavedState& saved) {
  int status = 0;
  for (;;) {
    if (::waitpid(saved.pid, &status, 0) >= 0) return runtime::exit_code_from_status(status);
    if (errno == EINTR) continue;
    if (errno != ECHILD) throw_errno("waiting for container \"" + saved.id + "\"");
    // Not our child: we can only see that it ended.
    UniqueFd pidfd = open_init(saved);
    if (pidfd) runtime::wait_for_exit(saved.pid, pidfd.get());
    return -1;
  }
}

void Runtime::kill(const std::string& id, int signal, bool all) {
  StateStore store(options_.root);
  SavedState saved = store.load(id);
  if (live_status(store, saved) == Status::Stopped && !all)
    throw Error("container \"" + id + "\" is not running");
  if (all) {
    signal_all(saved, signal);
    return;
  }
  UniqueFd pidfd = open_init(saved);
  if (!pidfd) throw Error("container \"" + id + "\" is not running");
  if (runtime::pidfd_send_signal(pidfd.get(), signal) != 0)
    throw_errno("container \"" + id + "\": sending signal " + std::to_string(signal));
}

void Runtime::remove(const std::string& id, bool force) {
  StateStore store(options_.root);
  runtime::validate_id(id);
  // Like runc, forcing the removal of a container that is gone succeeds.
  if (force && !path_exists(store.dir(id))) return;
  // A create killed before it recorded anything: clear what it may have left.
  if (force && path_exists(store.dir(id)) && !path_exists(store.dir(id) + "/state.json")) {
    try {
      cgroups::make_cgroup("", id)->destroy();
    } catch (const Error&) {
    }
    store.remove_dir(id);
    return;
  }
  runtime::remove_container(options_, store, store.load(id), force);
}

void runtime::remove_container(const RuntimeOptions& options, const StateStore& store, const SavedState& saved,
                               bool force) {
  Status status = live_status(store, saved);
  if (status != Status::Stopped && !force)
    throw Error("container \"" + saved.id + "\" cannot be deleted: it is " + status_name(status) +
                " (stop it first or use --force)");
  if (status != Status::Stopped) {
    auto cgroup = runtime::container_cgroup(saved);
    UniqueFd pidfd = open_init(saved);
    if (pidfd) runtime::pidfd_send_signal(pidfd.get(), SIGKILL);
    signal_all(saved, SIGKILL);
    if (status == Status::Paused && cgroup) cgroup->thaw();
    if (pidfd) runtime::wait_for_exit(saved.pid, pidfd.get());
  } else if (saved.pid > 0) {
    while (::waitpid(saved.pid, nullptr, WNOHANG) < 0 && errno == EINTR) {
    }
  }
  if (auto cgroup = runtime::container_cgroup(saved)) {
    try {
      cgroup->destroy();
    } catch (const Error& e) {
      runtime::log(options, LogLevel::Warning, e.what());
    }
  }
  run_saved_hooks(options, saved, &oci::Hooks::poststop, "poststop", Status::Stopped);
  store.remove_dir(saved.id);
}

void runtime::start_container(const RuntimeOptions& options, const StateStore& store, const SavedState& saved) {
  // Only a live init holds the fifo's read end: ENXIO means it died.
  UniqueFd fifo(::open(store.fifo(saved.id).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo && errno == ENXIO) throw Error("container \"" + saved.id + "\": the init exited before start");
  if (!fifo) throw_errno(store.fifo(saved.id));
  char byte = '0';
  if (::write(fifo.get(), &byte, 1) != 1) throw_errno("writing " + store.fifo(saved.id));
  // The init's read end is close-on-exec: POLLERR (no reader left) means its
  // process now runs (or it died), so poststart hooks come after it.
  pollfd p{fifo.get(), 0, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
  ::unlink(store.fifo(saved.id).c_str());
  run_saved_hooks(options, saved, &oci::Hooks::poststart, "poststart", Status::Running);
}


std::vector<pid_t> Runtime::pids(const std::string& id) const {
  SavedState saved = StateStore(options_.root).load(id);
  auto cgroup = runtime::container_cgroup(saved);
  return cgroup ? cgroup->pids() : std::vector<pid_t>{};
}

void Runtime::pause(const std::string& id) {
  StateStore store(options_.root);
  SavedState saved = store.load(id);
  Status status = live_status(store, saved);
  if (status != Status::Running && status != Status::Created)
    throw Error("container \"" + id + "\" cannot be paused: it is " + status_name(status));
  runtime::container_cgroup(saved)->freeze();
}

void Runtime::resume(const std::string& id) {
  StateStore store(options_.root);
  SavedState saved = store.load(id);
  if (live_status(store, saved) != Status::Paused)
    throw Error("container \"" + id + "\" cannot be resumed: it is not paused");
  runtime::container_cgroup(saved)->thaw();
}

}  // namespace skiff
