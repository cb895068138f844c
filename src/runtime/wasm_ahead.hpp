// The runtime's compile of a wasm container's module beside the container's
// setup. Without a compile cache a module is compiled at every start: the
// runner, exec'd at the end of the init's setup, would compile it there,
// after everything else. Started before the clone, `skiff-wasm
// --compile-ahead` compiles the module found in the bundle's rootfs on the
// other CPU while the namespaces, cgroup and mounts are made. The runner
// still hashes the module it finds in the container and asks for that key:
// only an entry compiled from the very same bytes answers it (a mount over
// the module, a hook rewriting it: the runner compiles as before). The
// compile runs sandboxed (runner_main.cpp): no capabilities, no calls but
// memory, signals and its own descriptors.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "oci/spec.hpp"
#include "skiff/skiff.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

// process.args[0] found in the bundle's rootfs as the init will find it in
// the container (wasm_module_path: process.cwd, PATH, the same path text),
// resolved inside the rootfs: a regular file. The init checks what it finds
// itself; this is what the runtime prepares for ahead of it.
struct ModuleInRoot {
  std::string path;  // in the container
  UniqueFd file;     // O_PATH
  struct stat stat {};
};
std::optional<ModuleInRoot> find_module_in_root(const std::string& rootfs, const oci::Process& process);

class CompileAhead {
 public:
  // Starts runner --compile-ahead on module with compiler (settled: never
  // Auto). Null when it is not a core module (a component, .wat text, a
  // native binary), is larger than kMaxModuleSize, or the compile cannot
  // start: the runner compiles then.
  static std::unique_ptr<CompileAhead> start(const ModuleInRoot& module, const std::string& runner,
                                             WasmCompiler compiler);

  // Larger modules are left to the runner: the compile ahead would only
  // start sooner, while holding memory outside the container's cgroup.
  static constexpr off_t kMaxModuleSize = off_t{64} << 20;

  CompileAhead(pid_t pid, UniqueFd pidfd, UniqueFd entry, UniqueFd key);
  CompileAhead(const CompileAhead&) = delete;
  CompileAhead& operator=(const CompileAhead&) = delete;
  // A compile still running is killed and reaped: nothing outlives `create`.
  ~CompileAhead();

  // Waits for the compile to end. The entry (a memfd) when it compiled the
  // module under key, else an empty fd.
  UniqueFd take(const std::string& key);

 private:
  void reap();

  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd entry_;
  UniqueFd key_;  // the read end of the pipe the compile writes its key into, last
};

}  // namespace skiff::runtime
