// What the container's init hands to the wasm runner (`skiff-wasm`) when it
// execs it in place of the container's process: the module, its WASI view,
// the startContainer hooks and the descriptors of the create/start protocol.
// The init writes it into a sealed memfd; the runner reads it back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/spec.hpp"
#include "security/seccomp.hpp"
#include "util/fd.hpp"
#include "wasm/engine.hpp"

namespace skiff::wasm {

struct RunnerConfig {
  std::string module;  // the module's path inside the container
  WasmCompiler compiler = WasmCompiler::Auto;
  bool compile_cache = false;  // the runtime keeps compiled modules (it has a cache directory)
  bool compiled_ahead = false;  // the runtime compiles the module beside the setup: ask it
  std::string pushed_key;       // the key of the cache entry the runtime sent along (our second argument)
  RunConfig run;       // args, env, preopens, limits
  std::vector<oci::Hook> start_container;
  std::string hook_state;  // the state JSON the hooks get (status "running")
  int sync_fd = -1;        // the init's end of the sync socket (Ready, Error, cache)
  int fifo_fd = -1;        // exec.fifo, open read-write: `start` writes it
  bool no_new_privileges = false;
  // A filter whose stage is BeforeExec: the runner loads it right before the
  // module runs. Filters of earlier stages are already loaded by the init.
  std::optional<security::SeccompProgram> seccomp;
};

// JSON, then (with a filter) a NUL and the filter's instructions as raw
// sock_filter bytes.
std::string serialize_runner_config(const RunnerConfig& config);
// Throws Error naming the field when text is not a runner config.
RunnerConfig parse_runner_config(std::string_view text);

// A sealed memfd holding text, open without close-on-exec (it must cross
// the exec of the runner).
UniqueFd sealed_config_memfd(const std::string& text);

}  // namespace skiff::wasm
