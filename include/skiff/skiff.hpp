// libskiff: the public C++ API of the Skiff container runtime.
//
// A Runtime is bound to a state root directory (default /run/skiff). Every
// call throws skiff::Error on failure and leaves nothing behind; nothing here
// prints or exits. The CLI (`skiff`) and the shim are thin layers over it.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/error.hpp"

namespace skiff {

enum class LogLevel { Debug, Info, Warning, Error };

// Receives the library's diagnostics; the default sink drops them.
using LogSink = std::function<void(LogLevel, std::string_view)>;

// A directory a WebAssembly module sees (a WASI preopen): `dir` as the
// container sees it (its rootfs, never the host's), under the name `guest`.
struct WasmPreopen {
  std::string guest;
  std::string dir;
  bool read_only = false;
};

// What turns a wasm module into native code (config.yaml: wasm.compiler).
//   Cranelift: Wasmtime's optimizing compiler: the fastest code, slow to compile
//     (~7 ms for a 4 KB hello world).
//   Winch: its baseline compiler: compiles ~10x faster, code ~2x slower.
//   Auto: Winch when the module is compiled at every start (no compile
//     cache), Cranelift when the cache keeps the result (one compile per
//     module and host, then every start runs the optimized code).
enum class WasmCompiler { Auto, Cranelift, Winch };

struct RuntimeOptions {
  std::string root = "/run/skiff";
  LogSink log;
  // The calling program's argv. For a container whose processes could
  // ptrace ours (no user namespace and CAP_SYS_PTRACE, or a shared pid
  // namespace), create/run/exec first re-execute the program with these
  // arguments from a sealed copy of its binary, so that no container
  // process can ever open the binary for writing (CVE-2019-5736); they
  // return in the new image. Empty (library users, the shim): never; then
  // only the non-dumpable guard applies, which is enough for every other
  // container.
  std::vector<std::string> reexec_args;
  // Compiled WebAssembly modules, by content digest ("": no cache).
  std::string wasm_cache_dir = "/var/cache/skiff/wasm";
  WasmCompiler wasm_compiler = WasmCompiler::Auto;
  // The WebAssembly runner a wasm container's init executes (the engine
  // lives there, not in libskiff). "": `skiff-wasm` in the directory of this
  // program (/proc/self/exe), where it is installed beside `skiff` and the shim.
  std::string wasm_runner;
  // What a wasm module sees of the filesystem unless its container's
  // annotation run.skiff.wasm/preopens says otherwise. None: the container's
  // "/" as "/", read-write (it is only the container's own rootfs).
  std::optional<std::vector<WasmPreopen>> wasm_preopens;
};

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* status_name(Status status);

// The OCI state of a container (runtime-spec "state"), plus runc's extras.
struct ContainerState {
  std::string oci_version;
  std::string id;
  Status status = Status::Stopped;
  pid_t pid = 0;  // 0 once stopped
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339
  std::string owner;
  std::map<std::string, std::string> annotations;

  // The state as runtime-spec JSON text.
  [[nodiscard]] std::string to_json() const;
};

struct CreateOptions {
  std::string bundle = ".";
  std::string pid_file;        // written with the init's pid when set
  std::string console_socket;  // AF_UNIX path receiving the pty master
  int console_fd = -1;         // or: a connected AF_UNIX socket receiving it
  int preserve_fds = 0;        // fds 3..3+N-1 are passed to the container
  // The init's stdin, stdout, stderr; -1 keeps ours (a shim passes fifos).
  std::array<int, 3> stdio{-1, -1, -1};
  // systemd socket activation: fds 3..3+N-1 are passed first (preserve_fds
  // then follow them) and the process gets LISTEN_FDS=N and LISTEN_PID=1.
  int listen_fds = 0;
  bool no_pivot = false;
  bool no_new_keyring = false;
};

struct RunOptions {
  bool detach = false;
  bool keep = false;  // keep the stopped container (foreground run only)
  // Called with the init's pid once it runs, before the foreground wait
  // (a caller forwarding signals to the container needs it).
  std::function<void(pid_t)> on_started;
};

// A process to start in a running container (runc exec).
struct ExecOptions {
  std::string process_file;  // a runtime-spec "process" JSON; overrides the fields below
  std::string process_json;  // or the same JSON as text
  std::vector<std::string> args;
  std::vector<std::string> env;  // appended to the container's environment
  std::string cwd;               // empty: the container's cwd
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> capabilities;  // added to the container's sets
  std::string apparmor_profile;           // replaces the container's (no-op without AppArmor)
  std::string process_label;              // replaces the SELinux label (no-op without SELinux)
  bool tty = false;
  bool no_new_privs = false;
  bool detach = false;
  bool ignore_paused = false;
  std::string pid_file;
  std::string console_socket;
  int console_fd = -1;  // or: a connected AF_UNIX socket receiving the pty master
  int preserve_fds = 0;
  // Called with the process's pid once it runs, before the foreground wait.
  std::function<void(pid_t)> on_started;
  std::array<int, 3> stdio{-1, -1, -1};  // as in CreateOptions
};

struct ProcessInfo {
  pid_t pid = 0;
  // Foreground only: how the process ended, as a shell reports it
  // (exit status, or 128 + signal).
  int exit_code = 0;
};

// Usage counters of a container's cgroup.
struct ContainerStats {
  int cgroup_version = 0;  // 1 (v1 or hybrid hosts) or 2; 0 when it has no cgroup
  // runc's `events --stats` data, every section present (empty when the
  // controller is absent): {"cpu":{...},"memory":{...},"pids":{...},"blkio":{...},"hugetlb":{...}}.
  std::string json = "{}";
  uint64_t oom_kills = 0;  // OOM kills in the cgroup so far
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});

  // Set the container up and leave its init waiting for start().
  ContainerState create(const std::string& id, const CreateOptions& options);
  // Let a created container's init run its process.
  void start(const std::string& id);
  // create + start; in the foreground also wait, remove (unless keep) and
  // report the exit code. The caller should be a child subreaper so the init
  // can be reaped (the CLI is).
  ProcessInfo run(const std::string& id, const CreateOptions& options, const RunOptions& run);
  // Start another process in the container; in the foreground wait for it.
  ProcessInfo exec(const std::string& id, const ExecOptions& options);
  // Signal the init (or every process in the container with all).
  void kill(const std::string& id, int signal, bool all = false);
  // Remove a stopped container (force: kill it first). Runs poststop hooks.
  void remove(const std::string& id, bool force = false);
  // Wait for the init of a container created by this process; returns the
  // exit code (128 + signal when killed).
  int wait(const std::string& id);

  ContainerState state(const std::string& id) const;
  std::vector<ContainerState> list() const;
  std::vector<pid_t> pids(const std::string& id) const;

  void pause(const std::string& id);
  void resume(const std::string& id);

  // Change the limits of a created, running or paused container. resources_json
  // is a runtime-spec linux.resources object; what it leaves out keeps its
  // value. The new values are recorded in the container's config.
  void update(const std::string& id, const std::string& resources_json);
  // The counters of the container's cgroup, in any state until it is removed
  // (a stopped container's cgroup still tells whether it was OOM-killed).
  ContainerStats stats(const std::string& id) const;
  // Receives one event: type "stats" (data as stats().json) or "oom" (data empty).
  // Returning false ends the stream.
  using EventSink = std::function<bool(std::string_view type, std::string_view data_json)>;
  // Stream events until the container stops or the sink says stop: "stats"
  // at once and then every interval (zero: never), "oom" on each OOM kill.
  void events(const std::string& id, std::chrono::milliseconds interval,
              const EventSink& sink) const;

  [[nodiscard]] const RuntimeOptions& options() const { return options_; }

 private:
  RuntimeOptions options_;
};

// A waitpid() status as a shell reports it: the exit status, or 128 + signal.
// For callers that reap container processes themselves (the shim).
int exit_code_from_wait_status(int status);

// Parse a signal given by name ("KILL", "SIGKILL") or number ("9").
int parse_signal(std::string_view text);

// The runtime-spec features document (features.md) as JSON text.
std::string features_json();

// A default config.json like `runc spec` (rootless adjusts it for user namespaces).
std::string default_spec_json(bool rootless);

// Version information and compiled-in features, one per line.
std::string version_text();

}  // namespace skiff
