// The wasm compile cache across the sync socket (see wasm::CompileCache):
// the init asks, the runtime (outside the container) reads and writes the
// host's cache directory. A cache that fails only costs a compile.
#pragma once

#include <string>

#include "runtime/sync.hpp"
#include "runtime/wasm_ahead.hpp"
#include "skiff/skiff.hpp"
#include "wasm/engine.hpp"

namespace skiff::runtime {

// WasmCacheEntry's value for a module the runtime compiled ahead.
inline constexpr int64_t kCompiledAhead = 1;

// The init's side (the runtime has a cache directory, or compiles ahead).
class SyncCompileCache : public wasm::CompileCache {
 public:
  explicit SyncCompileCache(const SyncSocket& sync) : sync_(sync) {}
  void request(const std::string& key) override;
  wasm::CacheEntry lookup() override;
  void store(const std::string& key, std::string_view entry) override;

 private:
  const SyncSocket& sync_;
};

// The runtime's side, during create: answers the init's requests.
class CompileCacheServer {
 public:
  explicit CompileCacheServer(const RuntimeOptions& options) : options_(options) {}
  // A wasm container's runner is on its way: what entry names need is read
  // now, not while it waits for a lookup.
  void expect_lookups();
  // The first lookup is answered by ahead's compile when its key is the
  // one asked for (a hit in the cache directory would not have started it).
  void answer_first_from(CompileAhead* ahead) { ahead_ = ahead; }
  // False when message is not a cache request.
  bool handle(const SyncMessage& message, const SyncSocket& sync);

 private:
  void lookup(const std::string& key, const SyncSocket& sync);
  const std::string& cpu_features();  // read once
  void store(int fd);

  const RuntimeOptions& options_;
  CompileAhead* ahead_ = nullptr;
  std::string key_;  // the entry of the last lookup: what a store is for
  std::string cpu_;  // the host CPU's features (entry names end with them)
};

}  // namespace skiff::runtime
