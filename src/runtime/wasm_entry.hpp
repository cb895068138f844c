// The init's side of WebAssembly containers: decide during setup whether
// args[0] is a module (src/wasm/detect.hpp) and, at the end of the setup,
// exec the runner `skiff-wasm` in place of sending Ready. The runner then
// compiles the module (a bad one fails `create`), reports Ready or Error over
// the same sync socket, waits for `start` on exec.fifo and runs the module.
// No Wasmtime here: only the runner links the engine.
#pragma once

#include <string>

#include "oci/spec.hpp"
#include "runtime/sync.hpp"
#include "security/seccomp.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

// The module's path in the container when its entrypoint runs on the engine,
// else "". Called once the rootfs is final.
std::string wasm_module_path(const oci::Spec& spec);

// What the init needs to exec the runner: the runner's binary (from the
// runtime, never writable through /proc/<pid>/exe) and its config (sealed
// memfd). Both stay open only until the exec.
struct WasmRunnerLaunch {
  std::string module;
  UniqueFd runner;
  UniqueFd config;
  UniqueFd cache_entry;  // pushed by the runtime with the config, if any
};

// What the init needs from the runtime to exec the runner: its binary (a
// detached read-only bind mount or a sealed copy), the preopens (JSON) and
// the settings (WasmRunnerSettings::encode). It comes in the answer to a
// WasmRunner request, or with the clone when the spec looked like wasm.
struct WasmRunnerOffer {
  UniqueFd runner;
  std::string preopens;
  int64_t settings = 0;
};

struct WasmRunnerInputs {
  const oci::Spec* spec = nullptr;
  int sync_fd = -1;  // the init's end of the sync socket
  int fifo_fd = -1;
  const security::SeccompProgram* seccomp = nullptr;  // the container's, or none
  std::string hook_state;                             // for the startContainer hooks
};

// Asks the runtime for the runner over sync; the init goes on with its setup
// while the runtime opens it.
void request_wasm_runner(const std::string& module, const SyncSocket& sync);

// The runtime's answer to request_wasm_runner.
WasmRunnerOffer receive_wasm_runner(const SyncSocket& sync);

// The runner's config for module (a sealed memfd, open across exec), from
// what an offer carries (preopens JSON, settings) and inputs; pushed_key:
// the key of the cache entry sent along with it, if any.
UniqueFd write_wasm_runner_config(const std::string& module, const std::string& preopens, int64_t settings,
                                  const WasmRunnerInputs& inputs, const std::string& pushed_key = {});

// What the runtime sends after an offer, once the creation hooks have run
// (while the init still sets up, off its path), in two messages: the
// runner's config as write_wasm_runner_config makes it, for the module it
// found in the rootfs (none when it could not write one), then the cache
// entry it names (WasmCacheEntry; none when there is no such entry).
void send_wasm_runner_config(const SyncSocket& sync, const std::string& module, UniqueFd config,
                             const WasmRunnerInputs& inputs, UniqueFd cache_entry);

// Before any seccomp stage loads a filter: the runner's config from the
// runtime when it was written for this module and these descriptors (an
// offered runner), else written here from the offer; lets the sync socket
// and exec.fifo cross the exec.
WasmRunnerLaunch prepare_wasm_runner(const std::string& module, WasmRunnerOffer offer, bool offered,
                                     const SyncSocket& sync, const WasmRunnerInputs& inputs);

// The last step of the init's setup for a wasm entrypoint. Only returns by
// throwing (naming the module).
[[noreturn]] void exec_wasm_runner(const WasmRunnerLaunch& launch);

}  // namespace skiff::runtime
