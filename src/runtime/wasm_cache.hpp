// The wasm compile cache across the sync socket (see wasm::CompileCache):
// the init asks, the runtime (outside the container) reads and writes the
// host's cache directory. A cache that fails only costs a compile.
#pragma once

#include <sys/stat.h>

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
  // pushed: the entry the runtime sent with the runner's config for
  // pushed_key (CompileCacheServer::entry_to_push), if any; it answers a
  // request for that key without asking.
  SyncCompileCache(const SyncSocket& sync, std::string pushed_key, UniqueFd pushed)
      : sync_(sync), pushed_key_(std::move(pushed_key)), pushed_(std::move(pushed)) {}
  void request(const std::string& key) override;
  wasm::CacheEntry lookup() override;
  void store(const std::string& key, std::string_view entry) override;

 private:
  const SyncSocket& sync_;
  std::string pushed_key_;
  UniqueFd pushed_;
  bool answered_by_pushed_ = false;
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

  // The module the runner will most likely load, known by its file in the
  // rootfs (inode, size, times) and the compiler: the key it was stored
  // (or last found) under is remembered for that file (a symlink
  // file-IDENTITY-COMPILER -> KEY in the cache directory), so the next
  // create pushes the entry with the runner's config instead of waiting
  // for the runner's lookup. The runner takes a pushed entry only under the
  // key it computes from the module it finds.
  void expect_module(const struct stat& file, WasmCompiler compiler);
  struct Pushed {
    std::string key;
    UniqueFd entry;  // empty: nothing to push
  };
  Pushed entry_to_push();
  // False when message is not a cache request.
  bool handle(const SyncMessage& message, const SyncSocket& sync);

 private:
  void lookup(const std::string& key, const SyncSocket& sync);
  const std::string& cpu_features();  // read once
  void store(int fd);
  void remember(const std::string& key, bool new_entry);  // for the expected module's file
  std::string remembered() const;         // its key, "" when none (or not one of ours)

  const RuntimeOptions& options_;
  CompileAhead* ahead_ = nullptr;
  std::string file_;  // the expected module's hint name ("": none)
  std::string asked_;  // the key of the last lookup ("": none, or no cache directory)
  std::string key_;    // its entry's name (the key and the host CPU): what a store is for
  std::string cpu_;  // the host CPU's features (entry names end with them)
};

}  // namespace skiff::runtime
