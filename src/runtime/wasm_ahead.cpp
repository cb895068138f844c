#include "runtime/wasm_ahead.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include "mounts/path_in_root.hpp"
#include "runtime/container.hpp"
#include "runtime/process.hpp"
#include "runtime/process_setup.hpp"
#include "wasm/compiler.hpp"

namespace skiff::runtime {

namespace {

// A core module of the binary format's version 1 (components have 0x0d).
bool is_core_module(int fd) {
  std::array<char, 8> head{};
  static constexpr std::array<char, 8> kCoreModule = {'\0', 'a', 's', 'm', 1, 0, 0, 0};
  return ::pread(fd, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()) && head == kCoreModule;
}

bool is_regular_in_root(int root, const std::string& path, ModuleInRoot& found) {
  found.file = mounts::open_in_root(root, path, O_PATH | O_CLOEXEC);
  return found.file && ::fstat(found.file.get(), &found.stat) == 0 && S_ISREG(found.stat.st_mode);
}

// The module opened for reading, when it is a core module of a size we
// compile ahead. Opened through its O_PATH fd once known to be a regular
// file: a device node or a fifo in a rootfs must never be opened on the host.
UniqueFd open_core_module(const ModuleInRoot& found) {
  if (found.stat.st_size > CompileAhead::kMaxModuleSize) return {};
  std::string reopen = "/proc/self/fd/" + std::to_string(found.file.get());
  UniqueFd module(::open(reopen.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  return module && is_core_module(module.get()) ? std::move(module) : UniqueFd();
}

struct SpawnActions {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnActions() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnActions() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
};

// The compile starts with its module on stdin, the entry memfd on stdout,
// the key pipe on fd 3 and nothing else open (not the container's stdio nor
// the fds preserved for it), no signal blocked or ignored.
pid_t spawn_compile(const std::string& runner, WasmCompiler compiler, int module, int entry, int key) {
  SpawnActions spawn;
  posix_spawn_file_actions_adddup2(&spawn.actions, module, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&spawn.actions, entry, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&spawn.actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, key, 3);
  posix_spawn_file_actions_addclosefrom_np(&spawn.actions, 4);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&spawn.attributes, &none);
  posix_spawnattr_setsigdefault(&spawn.attributes, &all);
  posix_spawnattr_setflags(&spawn.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string compiler_name(wasm::compiler_name(compiler));
  char name[] = "skiff-wasm";
  char mode[] = "--compile-ahead";
  char* argv[] = {name, mode, compiler_name.data(), nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  return ::posix_spawn(&pid, runner.c_str(), &spawn.actions, &spawn.attributes, argv, envp) == 0 ? pid : -1;
}

}  // namespace

std::optional<ModuleInRoot> find_module_in_root(const std::string& rootfs, const oci::Process& process) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root || process.args.empty()) return std::nullopt;
  ModuleInRoot module;
  const std::string& name = process.args.front();
  if (name.find('/') != std::string::npos) {
    module.path = name.front() == '/' ? name : process.cwd + "/" + name;
    if (!is_regular_in_root(root.get(), module.path, module)) return std::nullopt;
  } else {
    // Relative entries of PATH from the container's /, where the init looks.
    module.path = find_on_path(process, [&](const std::string& candidate) {
      return is_regular_in_root(root.get(), candidate, module);
    });
    if (module.path.empty()) return std::nullopt;
  }
  return module;
}

std::unique_ptr<CompileAhead> CompileAhead::start(const ModuleInRoot& found, const std::string& runner,
                                                  WasmCompiler compiler) {
  UniqueFd module = open_core_module(found);
  if (!module) return nullptr;
  UniqueFd entry(::memfd_create("skiff-wasm-ahead", MFD_CLOEXEC));
  int pipe[2];
  if (!entry || ::pipe2(pipe, O_CLOEXEC) != 0) return nullptr;
  UniqueFd key_read(pipe[0]), key_write(pipe[1]);
  pid_t pid = spawn_compile(runner, compiler, module.get(), entry.get(), key_write.get());
  if (pid < 0) return nullptr;
  UniqueFd pidfd(pidfd_open(pid));
  return std::make_unique<CompileAhead>(pid, std::move(pidfd), std::move(entry), std::move(key_read));
}

CompileAhead::CompileAhead(pid_t pid, UniqueFd pidfd, UniqueFd entry, UniqueFd key)
    : pid_(pid), pidfd_(std::move(pidfd)), entry_(std::move(entry)), key_(std::move(key)) {}

CompileAhead::~CompileAhead() {
  // Not reaped yet: pid_ is still our child, whichever way it is signalled.
  if (pidfd_) pidfd_send_signal(pidfd_.get(), SIGKILL);
  else if (pid_ > 0) ::kill(pid_, SIGKILL);
  reap();
}

void CompileAhead::reap() {
  if (pid_ < 0) return;
  if (pidfd_) {
    wait_for_exit(pid_, pidfd_.get());
  } else {
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
  pidfd_.reset();
}

UniqueFd CompileAhead::take(const std::string& key) {
  std::string written;
  char buffer[256];
  for (;;) {
    ssize_t n = ::read(key_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || written.size() > 4096) break;
    written.append(buffer, static_cast<size_t>(n));
  }
  key_.reset();
  reap();
  if (written != key + "\n") return {};
  return std::move(entry_);
}

}  // namespace skiff::runtime
