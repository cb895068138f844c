// skiff-wasm: the WebAssembly runner. Only the init of a wasm container runs
// it, in place of the container's process, once the container is fully set up
// (namespaces, rootfs, credentials, capabilities, seccomp): the init execs it
// from a read-only (or sealed) copy with its config in a sealed memfd, whose
// fd is our one argument. Then, as the init would for a native process:
//   compile and check the module (or load it from the runtime's compile
//   cache on the sync socket) -> Ready, or Error naming the module (`create`
//   fails). A module from the cache passed the checks when it was stored:
//   Ready comes first, and it is linked while `create` returns.
//   load the seccomp filter left to us (after the hooks, if any) -> wait
//   for `start` on exec.fifo -> startContainer hooks -> close the fifo ->
//   run the module and exit with its code.
// `skiff-wasm --compile-ahead COMPILER` is the runtime's other use of it: a
// sandboxed compile of the module beside the container's setup (see
// compile_ahead_main). The engine (Wasmtime) is linked here and nowhere else.
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/hooks.hpp"
#include "runtime/sync.hpp"
#include "runtime/wasm_cache.hpp"
#include "security/seccomp.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"
#include "wasm/compiler.hpp"
#include "wasm/engine.hpp"
#include "wasm/runner_config.hpp"

namespace skiff::wasm {
namespace {

void write_stderr(const std::string& text) { (void)!::write(STDERR_FILENO, text.data(), text.size()); }

// What a compile ahead may map: Cranelift's and Winch's working memory for
// modules far larger than a runtime compiles ahead (CompileAhead's limit).
constexpr rlim_t kCompileAheadMemory = rlim_t{4} << 30;
constexpr int kKeyFd = 3;

std::string read_all(int fd) {
  std::string content;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("wasm runner config: reading");
    if (n == 0) return content;
    content.append(buffer, static_cast<size_t>(n));
  }
}

// argv[index] as a descriptor number (3 or more), else -1.
int fd_argument(int argc, char** argv, int index) {
  if (index >= argc) return -1;
  char* end = nullptr;
  long fd = std::strtol(argv[index], &end, 10);
  if (*end != '\0' || fd < 3 || fd > 1 << 20) return -1;
  return static_cast<int>(fd);
}

RunnerConfig read_config(int fd) {
  UniqueFd config(fd);
  RunnerConfig result = parse_runner_config(read_all(config.get()));
  // Nothing of the protocol may reach the hooks or the module.
  for (int kept : {result.sync_fd, result.fifo_fd})
    if (::fcntl(kept, F_SETFD, FD_CLOEXEC) != 0) throw_errno("wasm runner: descriptor " + std::to_string(kept));
  return result;
}

// WASI's synchronous calls run on a process-wide tokio runtime that, by
// default, starts a worker thread per CPU (found by reading the cgroup's CPU
// quota). The module's calls block the main thread: one worker, to drive I/O
// and timers, is enough. Our environment is our own (the module's is in the
// config), so the variable reaches neither the module nor the hooks.
void one_wasi_worker_thread() { ::setenv("TOKIO_WORKER_THREADS", "1", 1); }

// The process name: the module's, as execve would have set it.
void name_after(const std::string& module) {
  std::string name = module.substr(module.rfind('/') + 1);
  ::prctl(PR_SET_NAME, name.c_str());
}

// Every preopened directory must exist in the container: found missing here,
// it fails the create rather than the start.
void check_preopen_dirs(const RunnerConfig& config) {
  for (const auto& preopen : config.run.preopens) {
    UniqueFd dir(::open(preopen.host_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir)
      throw_errno("wasm module " + config.module + ": preopen " + preopen.guest_path + ": directory " +
                  preopen.host_path + " in the container");
  }
}

// A filter the init leaves to us (its stage is "right before execve") is
// loaded while `create` returns and `start` comes, off the start's path: the
// kernel takes ~0.2 ms to load Docker's profile. The runner's few remaining
// calls (mapping the module, the preopens, the fifo) then run under it, as a
// native process's execve does. startContainer hooks run outside the filter,
// as with runc: with hooks, it is loaded after them.
bool loads_filter_early(const RunnerConfig& config) { return config.start_container.empty(); }

void load_filter(const RunnerConfig& config) {
  security::load_seccomp_at(config.seccomp ? &*config.seccomp : nullptr, config.no_new_privileges,
                            security::SeccompStage::BeforeExec);
}

// The init's last steps before a native process would run: no signal
// blocked, the filter loaded.
void prepare_to_run(const RunnerConfig& config) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!loads_filter_early(config)) load_filter(config);
}

// The runtime's compile ahead (CompileAhead in src/runtime/wasm_ahead.hpp)
// runs on the host, beside the container's setup, on a module from the
// container's rootfs. Before it reads a byte of it, it can do nothing but
// compute and write to the descriptors it was given: no capabilities, no
// new privileges, address space bounded, and a seccomp filter allowing
// memory, futexes, signals and the reads and writes of those descriptors
// (any other call fails with EPERM).
void enter_compile_sandbox() {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  cap_t none = ::cap_init();
  const bool dropped = none && ::cap_set_proc(none) == 0;
  if (none) ::cap_free(none);
  if (!dropped) throw_errno("compile ahead: dropping capabilities");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw_errno("compile ahead: no_new_privs");
  const rlimit memory{kCompileAheadMemory, kCompileAheadMemory};
  if (::setrlimit(RLIMIT_AS, &memory) != 0) throw_errno("compile ahead: RLIMIT_AS");
  oci::Seccomp profile;
  profile.default_action = "SCMP_ACT_ERRNO";
  profile.syscalls.push_back({{"read", "write", "close", "mmap", "munmap", "mprotect", "mremap", "madvise", "brk",
                               "futex", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
                               "getrandom", "clock_gettime", "sched_yield", "getpid", "gettid", "tgkill",
                               "exit", "exit_group"},
                              "SCMP_ACT_ALLOW",
                              std::nullopt,
                              {}});
  security::load_seccomp(security::compile_seccomp(profile));
}

// skiff-wasm --compile-ahead COMPILER: the module on stdin, its cache entry
// to stdout (a memfd), then its key and a newline to fd 3 (a pipe: the
// runtime knows the entry is whole once the key is there).
int compile_ahead_main(std::string_view compiler_name) {
  std::optional<WasmCompiler> compiler = compiler_named(compiler_name);
  if (!compiler || *compiler == WasmCompiler::Auto) return 2;
  try {
    enter_compile_sandbox();
    std::optional<AheadCompiled> compiled = compile_ahead(read_all(STDIN_FILENO), *compiler);
    if (!compiled) return 1;
    return write_all(STDOUT_FILENO, compiled->entry) && write_all(kKeyFd, compiled->key + "\n") ? 0 : 1;
  } catch (const std::exception&) {
    return 1;
  }
}

}  // namespace
}  // namespace skiff::wasm

int main(int argc, char** argv) {
  using namespace skiff;
  if (argc == 3 && std::string_view(argv[1]) == "--compile-ahead") return wasm::compile_ahead_main(argv[2]);
  // Until `start`, the runtime is on the other end of the sync socket: no
  // process of the container may ptrace us (the exec made us dumpable).
  ::prctl(PR_SET_DUMPABLE, 0);
  // The config, then the cache entry the runtime pushed with it, if any.
  int config_fd = argc == 2 || argc == 3 ? wasm::fd_argument(argc, argv, 1) : -1;
  UniqueFd pushed_entry(wasm::fd_argument(argc, argv, 2));
  if (config_fd < 0) {
    wasm::write_stderr("skiff-wasm: the WebAssembly runner of skiff; only a container's init runs it\n");
    return 2;
  }
  wasm::RunnerConfig config;
  std::unique_ptr<wasm::ProgramLoader> loader;
  std::unique_ptr<wasm::Program> program;
  runtime::SyncSocket sync;
  std::optional<runtime::SyncCompileCache> cache;
  try {
    config = wasm::read_config(config_fd);
    sync = runtime::SyncSocket(UniqueFd(config.sync_fd));
    wasm::name_after(config.module);
    wasm::one_wasi_worker_thread();
    if (config.compile_cache || config.compiled_ahead) cache.emplace(sync, config.pushed_key, std::move(pushed_entry));
    pushed_entry.reset();
    loader = wasm::begin_loading(config.module, cache ? &*cache : nullptr, config.compiler, config.compile_cache);
    // A program from the cache passed the create's checks before: it is
    // linked while `create` returns and `start` comes.
    if (!loader->cached()) program = loader->finish();
    wasm::check_preopen_dirs(config);
    // Cleared before Ready: `create` may exit as soon as it has read it.
    ::prctl(PR_SET_PDEATHSIG, 0);
    sync.send(runtime::SyncType::Ready);
    sync.close();
  } catch (const std::exception& e) {
    try {
      const auto* error = dynamic_cast<const Error*>(&e);
      if (sync.fd() >= 0) sync.send(runtime::SyncType::Error, error ? error->err() : 0, e.what());
    } catch (...) {
    }
    ::_exit(1);
  }
  try {
    if (wasm::loads_filter_early(config)) wasm::load_filter(config);
    if (!program) program = loader->finish();
    program->prepare(config.run);
    runtime::wait_for_start(config.fifo_fd);
    runtime::run_hooks(config.start_container, "startContainer", config.hook_state);
    ::close(config.fifo_fd);  // tells `start` the process runs, as execve would
    // From here on we are the container's process, dumpable like a native one:
    // our binary is a read-only bind or a sealed copy, never writable.
    ::prctl(PR_SET_DUMPABLE, 1);
    wasm::prepare_to_run(config);
    ::_exit(program->run());
  } catch (const std::exception& e) {
    // Nobody listens any more: stderr is the container's, as for runc.
    wasm::write_stderr(std::string("skiff init: ") + e.what() + "\n");
  }
  ::_exit(127);
}
