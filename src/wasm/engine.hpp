// Skiff's own small interface to the WebAssembly engine (Wasmtime, in
// wasmtime_engine.cpp): nothing outside src/wasm/ includes Wasmtime headers.
// Only the runner `skiff-wasm` (runner_main.cpp) links the engine: the init
// execs it in place of the container's process, it loads the program during
// `create` (so a bad module fails the create, naming the module) and runs it
// at `start`. libskiff, `skiff` and the shim never carry Wasmtime.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/skiff.hpp"

namespace skiff::wasm {

// A trap (unreachable, out-of-bounds access, stack overflow...) ends the
// container like a native abort(): 128 + SIGABRT.
inline constexpr int kTrapExitCode = 134;

struct Preopen {
  std::string host_path;   // in the init's view: inside the container
  std::string guest_path;  // what the module sees
  bool writable = true;
};

struct RunConfig {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "NAME=value"
  std::vector<Preopen> preopens;
  uint64_t memory_limit = 0;  // bytes of linear memory (all memories); 0: the engine's default
};

// An answer of the compile cache: an entry (the SHA-256 in hex of the
// compiled program, then the program), or "" on a miss.
struct CacheEntry {
  std::string content;
  // From the cache directory: the program passed the create's checks when
  // it was stored. False for one the runtime compiled ahead for this start
  // (compile_ahead): it is checked before Ready, as a compile is.
  bool checked = true;
};

// Compiled modules kept between containers, keyed by a content digest. The
// init cannot see the host's cache directory: the runtime on the other end
// of its sync socket looks entries up and stores them, and answers with
// the module it compiled ahead, if any. Without either there is no
// CompileCache (null), and nothing is serialized.
class CompileCache {
 public:
  virtual ~CompileCache() = default;
  // Asks for the entry under key; the answer is taken by lookup(), so the
  // engine is set up while the runtime looks.
  virtual void request(const std::string& key) = 0;
  // The answer to the last request.
  virtual CacheEntry lookup() = 0;
  virtual void store(const std::string& key, std::string_view entry) = 0;
};

class Program {
 public:
  virtual ~Program() = default;
  // Makes the store of the one run: WASI's view of config (args, env, the
  // inherited stdio, preopens) and its memory limit. No code of the module
  // runs yet.
  virtual void prepare(const RunConfig& config) = 0;
  // Runs the command (prepared) to its end; returns the exit code
  // (proc_exit's, 0 when _start returns, kTrapExitCode on a trap). The store
  // stays: the process exits next.
  virtual int run() = 0;
};

// A program loaded in two steps, so that the runner can report Ready between
// them when nothing can fail any more.
class ProgramLoader {
 public:
  virtual ~ProgramLoader() = default;
  // Whether the program came from the compile cache. Only programs that
  // passed every check of finish() are stored there, so then finish() does
  // not refuse it (the runner reports Ready before it).
  virtual bool cached() const = 0;
  // Compiles the program or loads it from the cache, and checks it is a
  // command whose imports WASI provides; throws Error naming the module and
  // the cause.
  virtual std::unique_ptr<Program> finish() = 0;
};

// Reads the module (.wasm binary or .wat text) at path, sets up the engine
// for compiler and gets the compile cache's answer (cache may be null;
// cache_keeps: a cache directory keeps what is stored).
std::unique_ptr<ProgramLoader> begin_loading(const std::string& path, CompileCache* cache, WasmCompiler compiler,
                                             bool cache_keeps);

// The runtime's compile of a core module beside the container's setup
// (`skiff-wasm --compile-ahead`, sandboxed): the cache entry for binary and
// its key, as the runner would make them. Nothing for what does not compile
// with compiler, or is not a core module: the runner compiles it then, and
// reports why it fails.
struct AheadCompiled {
  std::string key;
  std::string entry;
};
std::optional<AheadCompiled> compile_ahead(const std::string& binary, WasmCompiler compiler);

}  // namespace skiff::wasm
