// The Program of engine.hpp on Wasmtime's C API (its C++ wrapper needs the
// GC feature we leave out). Every Wasmtime object is owned by a unique_ptr.
#include <unistd.h>

#include <memory>

#include <wasi.h>
#include <wasmtime.h>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "wasm/engine.hpp"

namespace skiff::wasm {

namespace {

constexpr std::string_view kEngineTag = "wasmtime48";

template <auto Delete>
struct Deleter {
  template <typename T>
  void operator()(T* object) const { Delete(object); }
};
using EnginePtr = std::unique_ptr<wasm_engine_t, Deleter<wasm_engine_delete>>;
using ModulePtr = std::unique_ptr<wasmtime_module_t, Deleter<wasmtime_module_delete>>;
using StorePtr = std::unique_ptr<wasmtime_store_t, Deleter<wasmtime_store_delete>>;
using LinkerPtr = std::unique_ptr<wasmtime_linker_t, Deleter<wasmtime_linker_delete>>;
using WasiConfigPtr = std::unique_ptr<wasi_config_t, Deleter<wasi_config_delete>>;
using ErrorPtr = std::unique_ptr<wasmtime_error_t, Deleter<wasmtime_error_delete>>;
using TrapPtr = std::unique_ptr<wasm_trap_t, Deleter<wasm_trap_delete>>;

std::string take_bytes(wasm_byte_vec_t& bytes) {
  std::string text(bytes.data, bytes.size);
  wasm_byte_vec_delete(&bytes);
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

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

[[noreturn]] void fail(const std::string& path, std::string_view cause) {
  throw Error("wasm module " + path + ": " + std::string(cause));
}

// Throws naming the module when a Wasmtime call returned an error.
void check(wasmtime_error_t* raw, const std::string& path) {
  ErrorPtr error(raw);
  if (error) fail(path, message_of(error.get()));
}

bool is_text_format(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".wat") == 0;
}

// The module's binary: the file itself, or .wat text translated.
std::string module_binary(const std::string& path) {
  std::string bytes = read_file(path);
  if (!is_text_format(path)) return bytes;
  wasm_byte_vec_t binary;
  check(wasmtime_wat2wasm(bytes.data(), bytes.size(), &binary), path);
  std::string result(binary.data, binary.size);
  wasm_byte_vec_delete(&binary);
  return result;
}

ModulePtr compile(wasm_engine_t& engine, const std::string& binary, const std::string& path) {
  wasmtime_module_t* module = nullptr;
  check(wasmtime_module_new(&engine, reinterpret_cast<const uint8_t*>(binary.data()), binary.size(), &module),
        path);
  return ModulePtr(module);
}

// The digest of the module's bytes, under the engine's version: another
// Wasmtime (or the same with other settings) compiles differently.
std::string cache_key(const std::string& binary) {
  return std::string(kEngineTag) + "-" + sha256_hex(binary);
}

// A module from the cache; null when there is none or this engine refuses it
// (then it is compiled again and the entry replaced).
ModulePtr cached_module(wasm_engine_t& engine, const std::string& compiled) {
  if (compiled.empty()) return nullptr;
  wasmtime_module_t* module = nullptr;
  ErrorPtr error(wasmtime_module_deserialize(&engine, reinterpret_cast<const uint8_t*>(compiled.data()),
                                             compiled.size(), &module));
  return error ? nullptr : ModulePtr(module);
}

std::string serialized(const wasmtime_module_t& module) {
  wasm_byte_vec_t bytes;
  ErrorPtr error(wasmtime_module_serialize(&module, &bytes));
  if (error) return {};
  std::string result(bytes.data, bytes.size);
  wasm_byte_vec_delete(&bytes);
  return result;
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

// Messages of a finished run go to the container's stderr: the runtime that
// started us stopped listening at `start`.
void report(const std::string& text) {
  std::string line = "skiff: " + text + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

// Refuses a module that is not a WASI command: no _start to call.
void check_is_command(const wasmtime_module_t& module, const std::string& path) {
  wasm_exporttype_vec_t exports;
  wasmtime_module_exports(&module, &exports);
  bool found = false;
  for (size_t i = 0; i < exports.size && !found; ++i) {
    const wasm_name_t* name = wasm_exporttype_name(exports.data[i]);
    found = std::string_view(name->data, name->size) == "_start";
  }
  wasm_exporttype_vec_delete(&exports);
  if (!found) fail(path, "no \"_start\" export (not a WASI command module)");
}

class ModuleProgram : public Program {
 public:
  ModuleProgram(std::string path, EnginePtr engine, ModulePtr module)
      : path_(std::move(path)), engine_(std::move(engine)), module_(std::move(module)) {
    check_is_command(*module_, path_);
    // Imports are resolved now, so a module needing what WASI does not
    // provide fails the create.
    LinkerPtr linker(wasmtime_linker_new(engine_.get()));
    check(wasmtime_linker_define_wasi(linker.get()), path_);
    wasmtime_instance_pre_t* pre = nullptr;
    check(wasmtime_linker_instantiate_pre(linker.get(), module_.get(), &pre), path_);
    pre_.reset(pre);
  }

  int run(const RunConfig& config) override {
    StorePtr store(wasmtime_store_new(engine_.get(), nullptr, nullptr));
    // Every linear memory stays within the container's memory limit: growing
    // past it fails (memory.grow returns -1, malloc NULL), instantiating a
    // module whose initial memory exceeds it fails with an error.
    if (config.memory_limit > 0)
      wasmtime_store_limiter(store.get(), static_cast<int64_t>(config.memory_limit), -1, -1, -1, -1);
    wasmtime_context_t* context = wasmtime_store_context(store.get());
    check(wasmtime_context_set_wasi(context, wasi_config(config).release()), path_);
    wasmtime_instance_t instance;
    wasm_trap_t* raw_trap = nullptr;
    ErrorPtr error(wasmtime_instance_pre_instantiate(pre_.get(), context, &instance, &raw_trap));
    if (!error && !raw_trap) error.reset(call_start(context, instance, &raw_trap));
    TrapPtr trap(raw_trap);
    if (error) return exit_code(error.get());
    if (trap) {
      report("wasm module " + path_ + ": " + message_of(trap.get()));
      return kTrapExitCode;
    }
    return 0;
  }

 private:
  static wasmtime_error_t* call_start(wasmtime_context_t* context, const wasmtime_instance_t& instance,
                                      wasm_trap_t** trap) {
    wasmtime_extern_t start;
    if (!wasmtime_instance_export_get(context, &instance, "_start", 6, &start) ||
        start.kind != WASMTIME_EXTERN_FUNC)
      return wasmtime_error_new("\"_start\" is not a function");
    wasmtime_error_t* error = wasmtime_func_call(context, &start.of.func, nullptr, 0, nullptr, 0, trap);
    wasmtime_extern_delete(&start);
    return error;
  }

  int exit_code(const wasmtime_error_t* error) const {
    int status = 0;
    if (wasmtime_error_exit_status(error, &status)) return status;
    report("wasm module " + path_ + ": " + message_of(error));
    return kTrapExitCode;
  }

  std::string path_;
  EnginePtr engine_;
  ModulePtr module_;
  std::unique_ptr<wasmtime_instance_pre_t, Deleter<wasmtime_instance_pre_delete>> pre_;
};

}  // namespace

std::unique_ptr<Program> load_program(const std::string& path, CompileCache* cache) {
  std::string binary = module_binary(path);
  EnginePtr engine(wasm_engine_new());
  std::string key = cache ? cache_key(binary) : std::string();
  ModulePtr module = cache ? cached_module(*engine, cache->lookup(key)) : nullptr;
  if (!module) {
    module = compile(*engine, binary, path);
    std::string compiled = cache ? serialized(*module) : std::string();
    if (!compiled.empty()) cache->store(key, compiled);
  }
  return std::make_unique<ModuleProgram>(path, std::move(engine), std::move(module));
}

}  // namespace skiff::wasm
