// Runtime::create: from a bundle to an init waiting for `start`.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <vector>

#include "cgroups/default_devices.hpp"
#include "namespaces/namespaces.hpp"
#include "oci/spec.hpp"
#include "runtime/console.hpp"
#include "runtime/container.hpp"
#include "runtime/hooks.hpp"
#include "runtime/init.hpp"
#include "runtime/process.hpp"
#include "runtime/seccomp_runtime.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"
#include "runtime/wasm_runner.hpp"
#include "security/procfs.hpp"
#include "security/self_protection.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff {

namespace {

using runtime::SyncSocket;
using runtime::SyncType;

// Undo steps run in reverse order unless the operation completed.
class Rollback {
 public:
  ~Rollback() {
    if (committed_) return;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      try {
        (*it)();
      } catch (...) {
      }
    }
  }
  void add(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void commit() { committed_ = true; }

 private:
  std::vector<std::function<void()>> steps_;
  bool committed_ = false;
};

std::string checked_rootfs(const oci::Spec& spec, const std::string& bundle) {
  std::string rootfs = absolute_path(spec.root.path, bundle);
  struct stat st;
  if (::stat(rootfs.c_str(), &st) != 0) throw_errno("root.path: " + rootfs);
  if (!S_ISDIR(st.st_mode)) throw Error("root.path: " + rootfs + ": not a directory");
  return rootfs;
}

bool creates(const oci::Spec& spec, oci::NamespaceType type) {
  if (!spec.linux) return false;
  const auto* ns = spec.linux->find_namespace(type);
  return ns && ns->path.empty();
}

struct Launch {
  pid_t pid = 0;
  UniqueFd pidfd;
};

// Everything the child needs is already in its copy of our memory: clone3
// has fork semantics, so no serialisation and no re-exec of our binary.
Launch launch_init(const oci::Spec& spec, const runtime::InitConfig& config, uint64_t flags, int cgroup_fd,
                   SyncSocket& parent_end, SyncSocket& child_end) {
  Launch launch;

  if (!namespaces::joins_namespaces(spec.linux ? &*spec.linux : nullptr)) {
    auto child = runtime::clone3_process(flags, cgroup_fd);
    if (child.pid == 0) {
      parent_end.close();
      runtime::run_init(config);
    }
    launch.pid = child.pid;
    launch.pidfd.reset(child.pidfd);
    return launch;
  }

  // Joining namespaces by path (a pid namespace only applies to children):
  // an intermediate process joins them, clones the init, and reports its pid.
  auto intermediate = runtime::clone3_process(0, cgroup_fd);
  if (intermediate.pid == 0) {
    parent_end.close();
    ::prctl(PR_SET_DUMPABLE, 0);  // before joining: the init inherits it (CVE-2019-5736)
    try {
      namespaces::join_namespaces(*spec.linux);
      // CLONE_PARENT: the init is our caller's child, not ours, so it is
      // reaped by the caller and its parent-death signal outlives us.
      auto init = runtime::clone3_process(flags | CLONE_PARENT, cgroup_fd);
      if (init.pid == 0) runtime::run_init(config);
      child_end.send(SyncType::ChildPid, init.pid);
      ::_exit(0);
    } catch (const Error& e) {
      try {
        child_end.send(SyncType::Error, e.err(), e.what());
      } catch (...) {
      }
      ::_exit(1);
    }
  }
  UniqueFd intermediate_fd(intermediate.pidfd);
  try {
    launch.pid = static_cast<pid_t>(parent_end.expect(SyncType::ChildPid).value);
  } catch (...) {
    runtime::wait_exit_code(intermediate.pid);
    throw;
  }
  runtime::wait_exit_code(intermediate.pid);
  launch.pidfd.reset(runtime::pidfd_open(launch.pid));
  if (!launch.pidfd) throw_errno("pidfd_open of the container init");
  return launch;
}

// The namespaces clone3 makes for the init. Without a user namespace to own
// them, all but the pid namespace are left to the init (unshare_flags): it
// makes them (the network namespace is the slowest) while we make its
// cgroup, on another CPU.
uint64_t clone_flags(const oci::Spec& spec, runtime::InitConfig& config) {
  const oci::Linux* linux = spec.linux ? &*spec.linux : nullptr;
  uint64_t flags = namespaces::new_namespace_flags(linux);
  flags &= ~static_cast<uint64_t>(CLONE_NEWTIME);  // offsets must be set before anyone enters
  if (config.unshare_cgroupns) flags &= ~static_cast<uint64_t>(CLONE_NEWCGROUP);
  if (config.rootfs.new_user_ns || namespaces::joins_namespaces(linux)) return flags;
  config.unshare_flags = flags & ~static_cast<uint64_t>(CLONE_NEWPID);
  return flags & CLONE_NEWPID;
}

// Sends what the init joins once it is made; if the init failed first, its
// error is the one to report.
template <typename Send>
void send_to_init(const SyncSocket& sync, Send send) {
  try {
    send();
  } catch (const Error&) {
    sync.receive();
    throw;
  }
}

// v1: the hierarchies' directories, made while the init sets itself up; it
// joins each through the tasks file we send. Only the device rules must be
// in place first (cgroups::Limits); the rest come while it goes on, as they
// only need to be in place before its process runs (we apply them before we
// wait for it to be ready).
std::vector<std::string> create_hierarchies(cgroups::Cgroup& cgroup, const oci::Spec& spec,
                                            const SyncSocket& sync) {
  cgroup.create_hierarchies();
  // Null without linux: nothing to write.
  nlohmann::json resources = spec.linux ? cgroups::effective_resources(*spec.linux) : nlohmann::json();
  if (!cgroup.joined_by_init()) return cgroup.apply(resources);
  cgroup.apply(resources, cgroups::Limits::BeforeJoin);
  auto joins = cgroup.open_self_join();
  send_to_init(sync, [&] {
    for (size_t i = 0; i < joins.size(); ++i)
      sync.send_fd(SyncType::CgroupJoin, joins[i].tasks.get(), joins[i].dir,
                   static_cast<int64_t>(joins.size() - 1 - i));
  });
  return cgroup.apply(resources, cgroups::Limits::AfterJoin);
}

// prestart and createRuntime hooks, once the init has its mounts; the init
// runs createContainer and startContainer hooks with the state we send back.
// Returns the state the hooks got, as the init keeps it ("" without hooks).
std::string run_creation_hooks(const SyncSocket& sync, const oci::Hooks& hooks, const runtime::SavedState& saved) {
  if (!runtime::has_creation_hooks(hooks)) return {};
  sync.expect(SyncType::RunHooks);
  // The runtime-tools suite (and crun) expect prestart hooks to see "created";
  // createRuntime hooks see the spec's "creating".
  std::string creating = runtime::hook_state_json(saved, Status::Creating);
  if (!hooks.prestart.empty())
    runtime::run_hooks(hooks.prestart, "prestart", runtime::hook_state_json(saved, Status::Created));
  runtime::run_hooks(hooks.create_runtime, "createRuntime", creating);
  sync.send(SyncType::HooksDone, 0, creating);
  return creating;
}

// The init's last word before it waits for start; a seccomp listener fd (for
// the agent at listenerPath) and the requests of a wasm container (its runner,
// compiled modules) may come first.
void expect_ready(const SyncSocket& sync, const oci::Spec& spec, const runtime::SavedState& saved,
                  runtime::WasmRequests& wasm) {
  for (;;) {
    runtime::SyncMessage message = sync.receive();
    if (message.type == SyncType::Ready) return;
    if (message.type == SyncType::SeccompFd)
      runtime::forward_seccomp_listener(spec, saved, Status::Creating, saved.pid, message.fd.get());
    else if (!wasm.handle(message, sync))
      throw Error("sync socket: unexpected message " + std::to_string(static_cast<uint32_t>(message.type)));
  }
}

void write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  write_file_atomic(path, std::to_string(pid), 0644);
}

}  // namespace

namespace runtime {

SavedState create_container(const RuntimeOptions& runtime_options, const std::string& id,
                            const CreateOptions& options) {
  runtime::validate_id(id);
  std::string bundle = absolute_path(options.bundle, std::filesystem::current_path().string());
  oci::Spec spec = oci::load_spec(bundle);
  if (!spec.process) throw Error("process: required to create a container");
  security::protect_runtime_binary(spec, nullptr, runtime_options.reexec_args);
  if (options.listen_fds > 0) {
    spec.process->env.push_back("LISTEN_FDS=" + std::to_string(options.listen_fds));
    spec.process->env.push_back("LISTEN_PID=1");
  }
  std::string rootfs = checked_rootfs(spec, bundle);
  // Compiled before anything is created, so a bad profile leaves nothing behind.
  std::optional<security::SeccompProgram> seccomp = runtime::container_seccomp(spec, runtime_options);

  runtime::StateStore store(runtime_options.root);
  store.create_dir(id);
  std::unique_ptr<cgroups::Cgroup> cgroup;  // declared before rollback: it outlives the undo steps
  Rollback rollback;
  rollback.add([&] { store.remove_dir(id); });

  std::string fifo_path = store.fifo(id);
  if (::mkfifo(fifo_path.c_str(), 0622) != 0) throw_errno(fifo_path);
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fifo) throw_errno(fifo_path);

  const cgroups::Layout layout = cgroups::read_layout();
  cgroup = cgroups::make_cgroup(spec.linux ? spec.linux->cgroups_path : "", id, layout);
  rollback.add([&] { cgroup->destroy(); });
  cgroup->create_for_clone();

  UniqueFd console;
  if (spec.process->terminal && options.console_fd >= 0) {
    console.reset(::fcntl(options.console_fd, F_DUPFD_CLOEXEC, 3));
  } else if (spec.process->terminal) {
    if (options.console_socket.empty())
      throw Error("process.terminal: a --console-socket is required to create a container with a terminal");
    console = runtime::connect_console_socket(options.console_socket);
  }

  auto [parent_end, child_end] = SyncSocket::make_pair();
  const security::Procfs procfs = security::Procfs::open_host();
  runtime::InitConfig config;
  config.spec = &spec;
  config.procfs = &procfs;
  config.rootfs.rootfs = rootfs;
  config.rootfs.bundle = bundle;
  config.rootfs.no_pivot = options.no_pivot;
  config.rootfs.new_user_ns = creates(spec, oci::NamespaceType::User);
  config.rootfs.new_cgroup_ns = creates(spec, oci::NamespaceType::Cgroup);
  // A copy of our mount namespace sees the hierarchies where we do.
  const bool joins_mount_ns = spec.linux && spec.linux->find_namespace(oci::NamespaceType::Mount) &&
                              !creates(spec, oci::NamespaceType::Mount);
  config.rootfs.host_layout = joins_mount_ns ? nullptr : &layout;
  config.sync = &child_end;
  config.fifo_fd = fifo.get();
  config.console_fd = console.get();
  config.stdio = options.stdio;
  config.preserve_fds = options.listen_fds + options.preserve_fds;
  config.no_new_keyring = options.no_new_keyring;
  config.seccomp = seccomp ? &*seccomp : nullptr;
  // On v1 the init joins its cgroups itself once we have made them; its
  // cgroup namespace must come after that, or its root would be the host's.
  config.join_cgroups = cgroup->joined_by_init();
  config.unshare_cgroupns = config.rootfs.new_cgroup_ns && config.join_cgroups;
  config.wait_for_parent = config.rootfs.new_user_ns ||
                           namespaces::joins_namespaces(spec.linux ? &*spec.linux : nullptr);
  uint64_t flags = clone_flags(spec, config);
  runtime::WasmRequests wasm(runtime_options, spec);
  std::optional<runtime::WasmRunnerOffer> runner = wasm.offer(rootfs);
  config.wasm_runner = runner ? &*runner : nullptr;

  Launch launch = launch_init(spec, config, flags, cgroup->clone_into_fd(), parent_end, child_end);
  const int init_sync_fd = child_end.fd();  // the same number in the init
  child_end.close();
  const bool runner_offered = runner.has_value();
  runner.reset();  // the init has its copy
  console.reset();
  pid_t pid = launch.pid;
  int pidfd = launch.pidfd.get();
  rollback.add([pid, pidfd] {
    runtime::pidfd_send_signal(pidfd, SIGKILL);
    runtime::wait_for_exit(pid, pidfd);
  });

  // Recorded before the hierarchies are made (pid 0 reads as stopped), while
  // the init sets itself up: if this process is killed half-way, `delete`
  // still finds the cgroup and cleans up.
  runtime::SavedState saved;
  saved.id = id;
  saved.bundle = bundle;
  saved.rootfs = rootfs;
  saved.created = runtime::rfc3339_now();
  saved.owner = "root";
  saved.annotations = spec.annotations;
  saved.cgroup = cgroup->to_json();
  saved.config = spec.raw;
  saved.use_terminal = spec.process->terminal;
  store.save(saved);
  security::write_oom_score_adj(procfs, pid, *spec.process);
  if (config.rootfs.new_user_ns) namespaces::write_id_maps(pid, *spec.linux);
  if (config.wait_for_parent) parent_end.send(SyncType::MapsWritten);
  for (const auto& warning : create_hierarchies(*cgroup, spec, parent_end))
    runtime::log(runtime_options, LogLevel::Warning, warning);

  saved.pid = pid;
  saved.start_time = runtime::process_start_time(pid).value_or(0);

  std::string hook_state = run_creation_hooks(parent_end, spec.hooks, saved);
  if (runner_offered) {
    wasm.send_runner_config(parent_end, {&spec, init_sync_fd, fifo.get(), config.seccomp, hook_state});
    wasm.expect_lookups();
  }
  expect_ready(parent_end, spec, saved, wasm);

  store.save(saved);
  write_pid_file(options.pid_file, pid);
  rollback.commit();
  return saved;
}

}  // namespace runtime

ContainerState Runtime::create(const std::string& id, const CreateOptions& options) {
  runtime::SavedState saved = runtime::create_container(options_, id, options);
  ContainerState state = runtime::StateStore(options_.root).public_state(saved);
  state.status = Status::Created;
  return state;
}

}  // namespace skiff
