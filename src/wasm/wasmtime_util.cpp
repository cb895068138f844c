#include "wasm/wasmtime_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "util/error.hpp"
#include "util/sha256.hpp"
#include "wasm/compiler.hpp"

namespace skiff::wasm::wt {

namespace {

// Bump when new_engine's settings change: code compiled under other
// settings may be refused, and the runner trusts the entry it is given.
constexpr int kEngineSettings = 1;

// Wasmtime's exact version and our engine settings: "wasmtime48-0-8-e1".
std::string engine_tag() {
  return "wasmtime" + std::to_string(WASMTIME_VERSION_MAJOR) + "-" + std::to_string(WASMTIME_VERSION_MINOR) + "-" +
         std::to_string(WASMTIME_VERSION_PATCH) + "-e" + std::to_string(kEngineSettings);
}

std::string take_bytes(wasm_byte_vec_t& bytes) {
  std::string text(bytes.data, bytes.size);
  wasm_byte_vec_delete(&bytes);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

std::vector<const char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<const char*> pointers;
  for (const auto& s : strings) pointers.push_back(s.c_str());
  return pointers;
}

WasiConfigPtr wasi_config(const RunConfig& config) {
  WasiConfigPtr wasi(wasi_config_new());
  auto argv = c_strings(config.args);
  std::vector<std::string> names, values;
  for (const auto& entry : config.env) {
    auto equals = entry.find('=');
    names.push_back(entry.substr(0, equals));
    values.push_back(equals == std::string::npos ? std::string() : entry.substr(equals + 1));
  }
  auto name_ptrs = c_strings(names), value_ptrs = c_strings(values);
  if (!wasi_config_set_argv(wasi.get(), argv.size(), argv.data()))
    throw Error("process.args: not valid for WASI (not UTF-8?)");
  if (!wasi_config_set_env(wasi.get(), names.size(), name_ptrs.data(), value_ptrs.data()))
    throw Error("process.env: not valid for WASI (not UTF-8?)");
  wasi_config_inherit_stdin(wasi.get());
  wasi_config_inherit_stdout(wasi.get());
  wasi_config_inherit_stderr(wasi.get());
  for (const auto& preopen : config.preopens)
    if (!wasi_config_preopen_dir(wasi.get(), preopen.host_path.c_str(), preopen.guest_path.c_str(),
                                 preopen.writable))
      throw Error("wasm preopen " + preopen.guest_path + ": cannot open " + preopen.host_path);
  return wasi;
}

}  // namespace

std::string message_of(const wasmtime_error_t* error) {
  wasm_byte_vec_t bytes;
  wasmtime_error_message(error, &bytes);
  return take_bytes(bytes);
}

std::string message_of(const wasm_trap_t* trap) {
  wasm_byte_vec_t bytes;
  wasm_trap_message(trap, &bytes);
  return take_bytes(bytes);
}

void fail(const std::string& path, std::string_view cause) {
  throw Error("wasm module " + path + ": " + std::string(cause));
}

void check(wasmtime_error_t* raw, const std::string& path) {
  ErrorPtr error(raw);
  if (error) fail(path, message_of(error.get()));
}

std::string take_serialized(wasmtime_error_t* raw, wasm_byte_vec_t& bytes) {
  ErrorPtr error(raw);
  if (error) return {};
  std::string result(bytes.data, bytes.size);
  wasm_byte_vec_delete(&bytes);
  return result;
}

// Another Wasmtime, other settings or Winch compile differently. Only
// programs that passed the create's checks are stored (ProgramLoader).
std::string cache_key(const std::string& binary, WasmCompiler compiler) {
  std::string tag = engine_tag();
  if (compiler == WasmCompiler::Winch) tag += "-winch";
  return tag + "-" + sha256_hex(binary);
}

CompilePlan plan_compile(const std::string& binary, WasmCompiler setting, CompileCache* cache, bool cache_keeps) {
  CompilePlan plan;
  plan.compiler = settled_compiler(setting, cache_keeps);
  plan.keeps = cache_keeps;
  if (cache) {
    plan.key = cache_key(binary, plan.compiler);
    cache->request(plan.key);
  }
  return plan;
}

// An entry of the compile cache: the SHA-256 (hex) of the compiled program,
// then the program. The runner trusts an entry it is given (ProgramLoader):
// one whose digest is wrong (damaged, or not ours) is a miss, compiled again
// and replaced before Ready.
constexpr size_t kEntryDigestSize = 64;

std::string cache_entry(std::string_view compiled) { return sha256_hex(compiled) + std::string(compiled); }

void receive_cached(CompilePlan& plan, CompileCache* cache) {
  if (plan.key.empty()) return;
  auto [entry, checked] = cache->lookup();
  plan.checked = checked;
  if (entry.size() <= kEntryDigestSize) return;
  std::string_view compiled = std::string_view(entry).substr(kEntryDigestSize);
  if (entry.compare(0, kEntryDigestSize, sha256_hex(compiled)) != 0) return;
  entry.erase(0, kEntryDigestSize);
  plan.cached = std::move(entry);
}

void store_compiled(const CompilePlan& plan, CompileCache* cache, std::string_view compiled) {
  if (!compiled.empty()) cache->store(plan.key, cache_entry(compiled));
}

// Changing a setting here: bump kEngineSettings.
EnginePtr new_engine(WasmCompiler compiler) {
  wasm_config_t* config = wasm_config_new();
  // A runner instantiates its module once: a copy-on-write image of the
  // data segments (a memfd written, sealed and mapped) only adds work.
  wasmtime_config_memory_init_cow_set(config, false);
  // Unwind tables are for native unwinders (C++ exceptions, profilers) going
  // through wasm frames; nothing unwinds through them here (Rust panics
  // abort, Wasmtime walks frame pointers), and registering them costs every
  // load.
  wasmtime_config_native_unwind_info_set(config, false);
  if (compiler == WasmCompiler::Winch) {
    wasmtime_config_strategy_set(config, WASMTIME_STRATEGY_WINCH);
    // Winch leaves the trampolines between host and wasm (a few instructions
    // each, but half of a small module's compile) to Cranelift: at its
    // fastest settings they compile in half the time.
    wasmtime_config_cranelift_opt_level_set(config, WASMTIME_OPT_LEVEL_NONE);
    wasmtime_config_cranelift_regalloc_algorithm_set(config, WASMTIME_REGALLOC_SINGLE_PASS);
  }
  return EnginePtr(wasm_engine_new_with_config(config));
}

ModuleInterface ModuleInterface::of(const wasmtime_module_t& module) {
  auto text = [](const wasm_name_t* name) { return std::string(name->data, name->size); };
  ModuleInterface interface;
  wasm_importtype_vec_t imports;
  wasmtime_module_imports(&module, &imports);
  for (size_t i = 0; i < imports.size; ++i)
    interface.imports.push_back(
        {text(wasm_importtype_module(imports.data[i])), text(wasm_importtype_name(imports.data[i]))});
  wasm_importtype_vec_delete(&imports);
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(&module, &exports);
  for (size_t i = 0; i < exports.size; ++i)
    interface.exports.push_back({text(wasm_exporttype_name(exports.data[i])),
                                 wasm_externtype_kind(wasm_exporttype_type(exports.data[i]))});
  wasm_exporttype_vec_delete(&exports);
  return interface;
}

bool ModuleInterface::exports_a(wasm_externkind_t kind, std::string_view name) const {
  return std::any_of(exports.begin(), exports.end(),
                     [&](const Export& e) { return e.kind == kind && e.name == name; });
}

StorePtr new_store(wasm_engine_t& engine, const RunConfig& config) {
  StorePtr store(wasmtime_store_new(&engine, nullptr, nullptr));
  // Every linear memory stays within the container's memory limit: growing
  // past it fails (memory.grow returns -1, malloc NULL), instantiating a
  // module whose initial memory exceeds it fails with an error.
  if (config.memory_limit > 0)
    wasmtime_store_limiter(store.get(), static_cast<int64_t>(config.memory_limit), -1, -1, -1, -1);
  return store;
}

StorePtr new_wasi_store(wasm_engine_t& engine, const RunConfig& config, const std::string& path) {
  StorePtr store = new_store(engine, config);
  check(wasmtime_context_set_wasi(wasmtime_store_context(store.get()), wasi_config(config).release()), path);
  return store;
}

void report(const std::string& text) {
  std::string line = "skiff: " + text + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

int exit_code_of(const wasmtime_error_t* error, const std::string& path) {
  int status = 0;
  if (wasmtime_error_exit_status(error, &status)) return status;
  report("wasm module " + path + ": " + message_of(error));
  return kTrapExitCode;
}

}  // namespace skiff::wasm::wt
