// Runtime::exec: start another process inside a running container.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "namespaces/namespaces.hpp"
#include "oci/spec.hpp"
#include "oci/tables.hpp"
#include "runtime/console.hpp"
#include "runtime/container.hpp"
#include "runtime/process.hpp"
#include "runtime/process_setup.hpp"
#include "runtime/seccomp_runtime.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"
#include "security/capabilities.hpp"
#include "security/lsm.hpp"
#include "security/process_attributes.hpp"
#include "security/procfs.hpp"
#include "security/self_protection.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff {

namespace {

using runtime::SyncSocket;
using runtime::SyncType;

// Replace NAME=... entries of env by those in overrides, append the others.
void merge_env(std::vector<std::string>& env, const std::vector<std::string>& overrides) {
  for (const auto& entry : overrides) {
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (auto& existing : env) {
      if (existing.compare(0, name.size() + 1, name + "=") == 0) {
        existing = entry;
        replaced = true;
      }
    }
    if (!replaced) env.push_back(entry);
  }
}

oci::Process exec_process_spec(const oci::Spec& spec, const ExecOptions& options) {
  if (!options.process_file.empty() || !options.process_json.empty()) {
    bool from_file = !options.process_file.empty();
    std::string source = from_file ? options.process_file : "process";
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(from_file ? read_file(options.process_file) : options.process_json);
    } catch (const nlohmann::json::exception& e) {
      throw Error(source + ": invalid JSON: " + e.what());
    }
    return oci::parse_process(json, source);
  }
  oci::Process process = spec.process ? *spec.process : oci::Process{};
  if (options.args.empty()) throw Error("exec: no command given (args or --process)");
  process.args = options.args;
  process.terminal = options.tty;
  merge_env(process.env, options.env);
  if (!options.cwd.empty()) process.cwd = options.cwd;
  if (options.uid) process.user.uid = *options.uid;
  if (options.gid) process.user.gid = *options.gid;
  if (!options.additional_gids.empty()) process.user.additional_gids = options.additional_gids;
  if (options.no_new_privs) process.no_new_privileges = true;
  if (!options.apparmor_profile.empty()) process.apparmor_profile = options.apparmor_profile;
  if (!options.process_label.empty()) process.selinux_label = options.process_label;
  if (!options.capabilities.empty()) {
    for (const auto& name : options.capabilities)
      if (!oci::capability_from_name(name)) throw Error("exec --cap: unknown capability \"" + name + "\"");
    if (!process.capabilities) process.capabilities = oci::Capabilities{};
    for (auto* set : {&process.capabilities->bounding, &process.capabilities->effective,
                      &process.capabilities->permitted, &process.capabilities->ambient,
                      &process.capabilities->inheritable})
      set->insert(set->end(), options.capabilities.begin(), options.capabilities.end());
  }
  return process;
}

// The exec'd process itself, already inside every namespace of the container.
[[noreturn]] void exec_child(const oci::Spec& spec, const oci::Process& process,
                             const security::Procfs& procfs, int console_fd,
                             const ExecOptions& options, const security::SeccompProgram* seccomp,
                             const SyncSocket& sync) {
  try {
    runtime::redirect_stdio(options.stdio);
    if (process.terminal) runtime::setup_terminal(process, console_fd);
    if (console_fd >= 0) ::close(console_fd);
    runtime::apply_rlimits(process);
    security::apply_process_attributes(process, spec);
    UniqueFd cwd = runtime::open_working_directory(process);
    runtime::keep_only_inherited_fds(options.preserve_fds);
    runtime::load_seccomp_at(seccomp, process, security::SeccompStage::BeforeCapabilities, sync);
    security::prepare_capabilities(process);
    runtime::switch_user(process);
    security::apply_capabilities(process);
    runtime::change_directory(process, cwd);
    security::apply_lsm_labels(procfs, process);
    if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      throw_errno("process.noNewPrivileges");
    std::string path = runtime::resolve_executable(process);
    runtime::load_seccomp_at(seccomp, process, security::SeccompStage::EndOfSetup, sync);
    runtime::exec_process(process, path, seccomp);
  } catch (const Error& e) {
    try {
      sync.send(SyncType::Error, e.err(), e.what());
    } catch (...) {
    }
  }
  ::_exit(127);
}

// The exec'd process's pid (from the intermediate); a listener fd the process
// sent first is kept in `listener`.
pid_t receive_child_pid(const SyncSocket& sync, UniqueFd& listener) {
  for (;;) {
    runtime::SyncMessage message = sync.receive();
    if (message.type == SyncType::SeccompFd) {
      listener = std::move(message.fd);
      continue;
    }
    if (message.type != SyncType::ChildPid)
      throw Error("sync socket: unexpected message " + std::to_string(static_cast<uint32_t>(message.type)));
    return static_cast<pid_t>(message.value);
  }
}

// Until the process execs (its end closes); forwards a listener fd on the way.
void wait_for_exec(const SyncSocket& sync, const oci::Spec& spec, const runtime::SavedState& saved, pid_t pid,
                   UniqueFd listener) {
  runtime::forward_seccomp_listener(spec, saved, Status::Running, pid, listener.get());
  while (auto message = sync.receive_or_closed()) {
    if (message->type != SyncType::SeccompFd)
      throw Error("sync socket: unexpected message " + std::to_string(static_cast<uint32_t>(message->type)));
    runtime::forward_seccomp_listener(spec, saved, Status::Running, pid, message->fd.get());
  }
}

}  // namespace

ProcessInfo Runtime::exec(const std::string& id, const ExecOptions& options) {
  runtime::StateStore store(options_.root);
  runtime::SavedState saved = store.load(id);
  Status status = runtime::live_status(store, saved);
  if (status == Status::Stopped) throw Error("container \"" + id + "\" is not running");
  if (status == Status::Paused && !options.ignore_paused)
    throw Error("container \"" + id + "\" is paused (use --ignore-paused)");

  oci::Spec spec = oci::parse_spec_document(saved.config);
  oci::Process process = exec_process_spec(spec, options);
  std::optional<security::SeccompProgram> seccomp = runtime::container_seccomp(spec, options_);
  security::protect_runtime_binary(spec, &process, options_.reexec_args);
  UniqueFd pidfd(runtime::pidfd_open(saved.pid));
  if (!pidfd || !runtime::process_is_ours(saved.pid, saved.start_time))
    throw Error("container \"" + id + "\" is not running");
  UniqueFd console;
  if (process.terminal && options.console_fd >= 0) {
    console.reset(::fcntl(options.console_fd, F_DUPFD_CLOEXEC, 3));
    if (!console) throw_errno("duplicating the console socket");
  } else if (process.terminal) {
    if (options.console_socket.empty())
      throw Error("process.terminal: a --console-socket is required for a terminal");
    console = runtime::connect_console_socket(options.console_socket);
  }
  auto cgroup = runtime::container_cgroup(saved);
  int cgroup_fd = cgroup ? cgroup->clone_into_fd() : -1;
  auto cgroup_joins = cgroup ? cgroup->open_self_join() : std::vector<cgroups::SelfJoin>{};

  const security::Procfs procfs = security::Procfs::open_host();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  auto [parent_end, child_end] = SyncSocket::make_pair();
  // The pid namespace only applies to children: an intermediate joins the
  // namespaces and forks the process, which then comes back to us.
  auto intermediate = runtime::clone3_process(0, cgroup_fd);
  if (intermediate.pid == 0) {
    parent_end.close();
    try {
      ::prctl(PR_SET_DUMPABLE, 0);
      cgroups::join_self(cgroup_joins);
      namespaces::join_process_namespaces(saved.pid, pidfd.get());
      auto child = runtime::clone3_process(CLONE_PARENT, -1);  // the caller's child
      if (child.pid == 0)
        exec_child(spec, process, procfs, console.get(), options, seccomp ? &*seccomp : nullptr,
                   child_end);
      child_end.send(SyncType::ChildPid, child.pid);
    } catch (const Error& e) {
      try {
        child_end.send(SyncType::Error, e.err(), e.what());
      } catch (...) {
      }
      ::_exit(1);
    }
    ::_exit(0);
  }
  UniqueFd intermediate_fd(intermediate.pidfd);
  child_end.close();
  console.reset();
  cgroup_joins.clear();
  pid_t pid = 0;
  UniqueFd listener;
  try {
    pid = receive_child_pid(parent_end, listener);
  } catch (...) {
    runtime::pidfd_send_signal(intermediate_fd.get(), SIGKILL);
    runtime::wait_exit_code(intermediate.pid);
    throw;
  }
  runtime::wait_exit_code(intermediate.pid);
  try {
    wait_for_exec(parent_end, spec, saved, pid, std::move(listener));
  } catch (...) {
    ::kill(pid, SIGKILL);  // it may have exec'd already (an unreachable seccomp agent); still our child
    runtime::wait_exit_code(pid);
    throw;
  }
  if (!options.pid_file.empty()) write_file_atomic(options.pid_file, std::to_string(pid), 0644);
  ProcessInfo info{pid, 0};
  if (options.detach) return info;
  if (options.on_started) options.on_started(pid);
  info.exit_code = runtime::wait_exit_code(pid);
  return info;
}

}  // namespace skiff
