#include "runtime/init.hpp"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <optional>
#include <utility>

#include "namespaces/namespaces.hpp"
#include "runtime/hooks.hpp"
#include "runtime/process.hpp"
#include "runtime/process_setup.hpp"
#include "runtime/seccomp_runtime.hpp"
#include "runtime/wasm_entry.hpp"
#include "security/capabilities.hpp"
#include "security/lsm.hpp"
#include "security/process_attributes.hpp"
#include "security/procfs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

namespace {

bool creates(const oci::Spec& spec, oci::NamespaceType type) {
  if (!spec.linux) return false;
  const auto* ns = spec.linux->find_namespace(type);
  return ns && ns->path.empty();
}

void become_root_in_user_namespace() {
  if (::setresgid(0, 0, 0) != 0) throw_errno("setresgid(0) in the user namespace (is gid 0 mapped?)");
  if (::setresuid(0, 0, 0) != 0) throw_errno("setresuid(0) in the user namespace (is uid 0 mapped?)");
}

void set_names(const oci::Spec& spec) {
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    throw_errno("hostname \"" + spec.hostname + "\"");
  if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
    throw_errno("domainname \"" + spec.domainname + "\"");
}

// A fresh session keyring so containers do not share the host's (runc does
// the same unless --no-new-keyring).
void join_new_session_keyring() {
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS)
    throw_errno("creating a session keyring");
}

std::string state_for_hooks(const std::string& text, const char* status) {
  auto state = nlohmann::json::parse(text);
  state["status"] = status;
  return state.dump();
}

// v1: the runtime makes the hierarchies' directories while we set up, then
// sends each one's tasks file; a thread moving itself into a cgroup is cheap
// (cgroups/cgroup.hpp). Our cgroup namespace must come after.
void join_cgroups(const InitConfig& config) {
  if (config.join_cgroups) {
    for (;;) {
      SyncMessage hierarchy = config.sync->expect(SyncType::CgroupJoin);
      if (::write(hierarchy.fd.get(), "0", 1) != 1) throw_errno("joining cgroup " + hierarchy.text);
      if (hierarchy.value <= 0) break;
    }
  }
  if (config.unshare_cgroupns && ::unshare(CLONE_NEWCGROUP) != 0) throw_errno("creating the cgroup namespace");
}

// What the init runs at start: a native executable, or the wasm runner
// (exec'd at the end of the setup: it reports Ready itself).
struct Entrypoint {
  std::string path;
  std::optional<WasmRunnerLaunch> wasm;
};

void setup_container(const InitConfig& config, Entrypoint& entrypoint, std::string& hook_state) {
  const oci::Spec& spec = *config.spec;
  const oci::Process& process = *spec.process;
  // Nothing in the container may ptrace us or open /proc/<pid>/exe (our
  // binary) while we run runtime code (CVE-2019-5736); execve resets it.
  ::prctl(PR_SET_DUMPABLE, 0);
  // Inherited fds of the caller must not reach hooks or the process; sorted
  // out once, here, long before a seccomp profile could deny close_range.
  keep_only_inherited_fds(config.preserve_fds);
  // Die with the parent while it still drives the setup.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (config.unshare_flags && ::unshare(static_cast<int>(config.unshare_flags)) != 0)
    throw_errno("creating the container's namespaces");
  redirect_stdio(config.stdio);
  if (config.wait_for_parent) config.sync->expect(SyncType::MapsWritten);
  // Time offsets go through /proc/self, owned by host root while we are
  // non-dumpable: written before the switch to the namespace's root.
  if (creates(spec, oci::NamespaceType::Time)) namespaces::enter_new_time_namespace(*spec.linux);
  if (creates(spec, oci::NamespaceType::User)) become_root_in_user_namespace();
  if (!config.no_new_keyring) join_new_session_keyring();
  if (creates(spec, oci::NamespaceType::Uts)) set_names(spec);

  bool joined = false;
  auto join_once = [&] {
    if (!std::exchange(joined, true)) join_cgroups(config);
  };
  mounts::RootfsContext rootfs = config.rootfs;
  rootfs.before_cgroup_mount = join_once;
  mounts::prepare_rootfs(spec, rootfs);
  join_once();
  if (has_creation_hooks(spec.hooks)) {
    config.sync->send(SyncType::RunHooks);
    hook_state = config.sync->expect(SyncType::HooksDone).text;
    run_hooks(spec.hooks.create_container, "createContainer", state_for_hooks(hook_state, "created"));
  }
  mounts::enter_rootfs(spec, config.rootfs);

  if (process.terminal) setup_terminal(process, config.console_fd);
  if (config.console_fd >= 0) ::close(config.console_fd);
  security::write_sysctls(*config.procfs, spec);
  mounts::finalize_rootfs(spec, config.rootfs);

  // A wasm entrypoint: the runner came with the clone, or the runtime opens
  // it while we go on.
  const std::string module = wasm_module_path(spec);
  WasmRunnerOffer* offered = config.wasm_runner;
  if (offered && module.empty()) offered->runner.reset();
  if (!module.empty() && !offered) request_wasm_runner(module, *config.sync);
  auto take_runner = [&] {
    if (module.empty() || entrypoint.wasm) return;
    WasmRunnerOffer offer = offered ? std::move(*offered) : receive_wasm_runner(*config.sync);
    entrypoint.wasm = prepare_wasm_runner(module, std::move(offer), offered != nullptr, *config.sync,
                                          {&spec, config.sync->fd(), config.fifo_fd, config.seccomp, hook_state});
  };
  create_working_directory(process);
  apply_rlimits(process);
  security::apply_process_attributes(process, spec);
  UniqueFd cwd = open_working_directory(process);
  if (!module.empty() && config.seccomp &&
      security::seccomp_stage(*config.seccomp, process.no_new_privileges) == security::SeccompStage::BeforeCapabilities)
    take_runner();  // before a filter could refuse its calls
  load_seccomp_at(config.seccomp, process, security::SeccompStage::BeforeCapabilities, *config.sync);
  security::prepare_capabilities(process);
  switch_user(process);
  security::apply_capabilities(process);
  change_directory(process, cwd);
  security::apply_lsm_labels(*config.procfs, process);
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw_errno("process.noNewPrivileges");
  take_runner();
  if (!entrypoint.wasm) entrypoint.path = resolve_executable(process);
  load_seccomp_at(config.seccomp, process, security::SeccompStage::EndOfSetup, *config.sync);
  // The runner clears it once it has sent Ready.
  if (!entrypoint.wasm) ::prctl(PR_SET_PDEATHSIG, 0);
}

}  // namespace

void run_init(const InitConfig& config) {
  Entrypoint entrypoint;
  std::string hook_state;
  try {
    setup_container(config, entrypoint, hook_state);
    if (entrypoint.wasm) exec_wasm_runner(*entrypoint.wasm);
    config.sync->send(SyncType::Ready);
    config.sync->close();
  } catch (const std::exception& e) {
    try {
      const auto* error = dynamic_cast<const Error*>(&e);
      config.sync->send(SyncType::Error, error ? error->err() : 0, e.what());
    } catch (...) {
    }
    ::_exit(1);
  }
  try {
    wait_for_start(config.fifo_fd);  // kept open: execve closes it, which tells `start`
    const auto& start_hooks = config.spec->hooks.start_container;
    if (!start_hooks.empty()) run_hooks(start_hooks, "startContainer", state_for_hooks(hook_state, "running"));
    exec_process(*config.spec->process, entrypoint.path, config.seccomp);
  } catch (const std::exception& e) {
    // Nobody listens any more: stderr is the container's, as for runc.
    std::string message = std::string("skiff init: ") + e.what() + "\n";
    (void)!::write(STDERR_FILENO, message.data(), message.size());
  }
  ::_exit(127);
}

}  // namespace skiff::runtime
