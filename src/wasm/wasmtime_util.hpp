// What the runner's two Wasmtime programs (core modules in wasmtime_engine.cpp,
// components in wasmtime_component.cpp) share: owners for Wasmtime's C
// objects, error text, the WASI context and the compile cache key. Only the
// runner includes this (it pulls in Wasmtime's headers).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wasi.h>
#include <wasmtime.h>

#include "wasm/engine.hpp"

namespace skiff::wasm::wt {

template <auto Delete>
struct Deleter {
  template <typename T>
  void operator()(T* object) const { Delete(object); }
};
using EnginePtr = std::unique_ptr<wasm_engine_t, Deleter<wasm_engine_delete>>;
using StorePtr = std::unique_ptr<wasmtime_store_t, Deleter<wasmtime_store_delete>>;
using WasiConfigPtr = std::unique_ptr<wasi_config_t, Deleter<wasi_config_delete>>;
using ErrorPtr = std::unique_ptr<wasmtime_error_t, Deleter<wasmtime_error_delete>>;
using TrapPtr = std::unique_ptr<wasm_trap_t, Deleter<wasm_trap_delete>>;

std::string message_of(const wasmtime_error_t* error);
std::string message_of(const wasm_trap_t* trap);

// Throws Error("wasm module <path>: <cause>").
[[noreturn]] void fail(const std::string& path, std::string_view cause);
// Throws naming the module when a Wasmtime call returned an error.
void check(wasmtime_error_t* raw, const std::string& path);

// What a *_serialize call wrote into bytes, which it releases; "" when the
// call failed (raw: its error). The compile cache then keeps nothing.
std::string take_serialized(wasmtime_error_t* raw, wasm_byte_vec_t& bytes);

// How a program gets its native code: the compiler, and the compile cache's
// entry for it.
struct CompilePlan {
  WasmCompiler compiler = WasmCompiler::Cranelift;  // never Auto
  std::string key;                                 // the entry's name ("": nothing to ask)
  bool keeps = false;                              // a cache directory keeps what is stored
  std::string cached;                              // the entry's program, "" on a miss
  bool checked = true;                             // CacheEntry::checked of cached

  // Whether a compile (or a program compiled ahead) goes to the cache.
  bool stores() const { return keeps && !key.empty(); }
};

// The entry's name for binary compiled by compiler: its digest under the
// engine (Wasmtime's version and our settings) and the compiler.
std::string cache_key(const std::string& binary, WasmCompiler compiler);

// An entry of the compile cache for a compiled (serialized) program.
std::string cache_entry(std::string_view compiled);

// Settles Auto (settled_compiler) and asks cache (may be null) for the
// binary's entry.
CompilePlan plan_compile(const std::string& binary, WasmCompiler setting, CompileCache* cache, bool cache_keeps);

// The cache's answer to plan_compile's request, into plan.cached ("" for a
// miss or a damaged entry).
void receive_cached(CompilePlan& plan, CompileCache* cache);

// Stores a compiled (serialized) program, unless empty, under plan's key.
void store_compiled(const CompilePlan& plan, CompileCache* cache, std::string_view compiled);

// An engine compiling with compiler (Cranelift or Winch).
EnginePtr new_engine(WasmCompiler compiler);

// compile(engine) as planned. What Winch cannot compile (it lacks some
// proposals) Cranelift compiles, on a new engine, and it is not cached under
// Winch's key.
template <typename Compile>
auto compile_with_fallback(EnginePtr& engine, CompilePlan& plan, Compile compile) -> decltype(compile(*engine)) {
  if (plan.compiler != WasmCompiler::Winch) return compile(*engine);
  try {
    return compile(*engine);
  } catch (const std::exception&) {
    engine = new_engine(WasmCompiler::Cranelift);
    plan = CompilePlan{};
    return compile(*engine);
  }
}

// What a core module imports and exports, read from Wasmtime once.
struct ModuleInterface {
  struct Import {
    std::string module, name;
  };
  struct Export {
    std::string name;
    wasm_externkind_t kind;
  };
  std::vector<Import> imports;
  std::vector<Export> exports;

  static ModuleInterface of(const wasmtime_module_t& module);
  bool exports_a(wasm_externkind_t kind, std::string_view name) const;
};

// A store for one run, with the memory limit of config.
StorePtr new_store(wasm_engine_t& engine, const RunConfig& config);
// A store for one run with Wasmtime's WASI context of config (args, env,
// inherited stdio, preopens).
StorePtr new_wasi_store(wasm_engine_t& engine, const RunConfig& config, const std::string& path);

// A message of a finished run, to the container's stderr: the runtime that
// started us stopped listening at `start`.
void report(const std::string& text);

// The exit code a failed run ends with: proc_exit's, or kTrapExitCode
// (reported) for a trap or any other error.
int exit_code_of(const wasmtime_error_t* error, const std::string& path);

}  // namespace skiff::wasm::wt

namespace skiff::wasm::wt {

// A WASI preview 2 command component (wasmtime_component.cpp): compiled or
// loaded from the cache, its imports checked against WASI's.
std::unique_ptr<Program> load_component(EnginePtr engine, CompilePlan& plan, const std::string& binary,
                                        const std::string& path, CompileCache* cache);

}  // namespace skiff::wasm::wt
