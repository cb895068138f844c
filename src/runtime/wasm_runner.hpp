// The runtime's side of WebAssembly containers during `create`: the runner
// `skiff-wasm` (the init execs it in place of the container's process),
// opened before the clone when the spec looks like wasm, else when the init
// asks for it, and the compiled modules the runner asks for. Requests come
// over the sync socket while `create` waits for Ready.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "oci/spec.hpp"
#include "runtime/sync.hpp"
#include "runtime/wasm_ahead.hpp"
#include "runtime/wasm_cache.hpp"
#include "runtime/wasm_entry.hpp"
#include "skiff/skiff.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

// options.wasm_runner, or skiff-wasm beside this program (/proc/self/exe).
std::string wasm_runner_path(const RuntimeOptions& options);

// The runner's binary as the container's init will exec it, opened here on
// the host side: a detached read-only bind mount of the file (the runner is
// dumpable once it runs, and its /proc/<pid>/exe must not be writable), or a
// sealed memfd copy when the container's processes could ptrace ours
// (security::container_can_reach_runtime). Throws naming the module and the
// runner's path.
UniqueFd open_wasm_runner(const std::string& runner, const std::string& module, bool sealed_copy);

// What the runtime's answer to the init's WasmRunner request carries in its
// value, besides the runner (fd) and the preopens (text).
struct WasmRunnerSettings {
  WasmCompiler compiler = WasmCompiler::Auto;
  bool compile_cache = false;   // a cache directory keeps compiled modules
  bool compiled_ahead = false;  // the runtime compiles the module beside the setup (CompileAhead)

  int64_t encode() const;
  static WasmRunnerSettings decode(int64_t value);
};

class WasmRequests {
 public:
  WasmRequests(const RuntimeOptions& options, const oci::Spec& spec)
      : options_(options), spec_(spec), cache_(options) {}
  // The runner for an init whose spec looks like wasm (wasm::looks_like_wasm),
  // opened before the clone: the init takes it when its setup is done
  // instead of asking, which would wait for us to wake up and answer.
  // Nothing when the spec does not look like wasm, when the runner would be
  // a sealed copy, or on any error (the init then asks, if it finds a
  // module, and gets the error).
  // Without a compile cache, the module in rootfs is compiled ahead
  // (CompileAhead) for the runner's lookup.
  std::optional<WasmRunnerOffer> offer(const std::string& rootfs);
  // After an offer, once the creation hooks have run: the runner's config
  // for the module found in the rootfs, written while the init sets up
  // (send_wasm_runner_config). inputs: the init's, as it will see them.
  void send_runner_config(const SyncSocket& sync, const WasmRunnerInputs& inputs);
  // A runner is on its way (offered, or asked for): the compile cache reads
  // what its entry names need now, while the runner starts.
  void expect_lookups();
  // False when message is not a wasm request.
  bool handle(const SyncMessage& message, const SyncSocket& sync);

 private:
  std::string runner_path(const std::string& module) const;  // throws naming the module
  WasmRunnerOffer make_offer(const std::string& module, const std::string& runner);
  void compile_ahead(const ModuleInRoot& module, const std::string& runner, WasmRunnerOffer& offer);

  const RuntimeOptions& options_;
  const oci::Spec& spec_;
  std::string module_;    // where the init will find the offered runner's module ("": not found)
  std::string preopens_;  // the offer's
  int64_t settings_ = 0;  // the offer's
  std::unique_ptr<CompileAhead> ahead_;
  CompileCacheServer cache_;
};

}  // namespace skiff::runtime
