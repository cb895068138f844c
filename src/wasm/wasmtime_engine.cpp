// The Program of engine.hpp on Wasmtime's C API (its C++ wrapper needs the
// GC feature we leave out), for core modules; components are in
// wasmtime_component.cpp. Every Wasmtime object is owned by a unique_ptr.
#include <memory>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "wasm/engine.hpp"
#include "wasm/wasmtime_direct_wasi.hpp"
#include "wasm/wasmtime_util.hpp"

namespace skiff::wasm {

namespace {

using namespace wt;
using ModulePtr = std::unique_ptr<wasmtime_module_t, Deleter<wasmtime_module_delete>>;
using LinkerPtr = std::unique_ptr<wasmtime_linker_t, Deleter<wasmtime_linker_delete>>;
using InstancePrePtr = std::unique_ptr<wasmtime_instance_pre_t, Deleter<wasmtime_instance_pre_delete>>;

bool is_text_format(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".wat") == 0;
}

// The program's binary: the file itself, or .wat text translated.
std::string program_binary(const std::string& path) {
  std::string bytes = read_file(path);
  if (!is_text_format(path)) return bytes;
  wasm_byte_vec_t binary;
  check(wasmtime_wat2wasm(bytes.data(), bytes.size(), &binary), path);
  std::string result(binary.data, binary.size);
  wasm_byte_vec_delete(&binary);
  return result;
}

// A component's header after the magic: version 0x0d, layer 1 (a core
// module has version 1, layer 0).
bool is_component(const std::string& binary) {
  return binary.size() >= 8 && binary.compare(4, 4, std::string("\x0d\x00\x01\x00", 4)) == 0;
}

ModulePtr compile(wasm_engine_t& engine, const std::string& binary, const std::string& path) {
  wasmtime_module_t* module = nullptr;
  check(wasmtime_module_new(&engine, reinterpret_cast<const uint8_t*>(binary.data()), binary.size(), &module),
        path);
  return ModulePtr(module);
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
  return take_serialized(wasmtime_module_serialize(&module, &bytes), bytes);
}

// Refuses a module that is not a WASI command: no _start function to call.
void check_is_command(const ModuleInterface& interface, const std::string& path) {
  if (!interface.exports_a(WASM_EXTERN_FUNC, "_start"))
    fail(path, "no \"_start\" function export (not a WASI command module)");
}

// Whether instantiating binary may run its code: it has a start section
// (id 8), or it cannot be read (then assume so).
bool instantiation_runs_code(const std::string& binary) {
  constexpr size_t kHeaderSize = 8;  // magic and version
  for (size_t at = kHeaderSize; at < binary.size();) {
    uint8_t id = static_cast<uint8_t>(binary[at++]);
    if (id == 8) return true;
    uint64_t size = 0;
    for (int shift = 0;; shift += 7) {
      if (at >= binary.size() || shift > 28) return true;
      uint8_t byte = static_cast<uint8_t>(binary[at++]);
      size |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) break;
    }
    if (size > binary.size() - at) return true;
    at += size;
  }
  return false;
}

class ModuleProgram : public Program {
 public:
  ModuleProgram(std::string path, EnginePtr engine, ModulePtr module, bool instantiation_runs_code)
      : path_(std::move(path)),
        engine_(std::move(engine)),
        module_(std::move(module)),
        instantiation_runs_code_(instantiation_runs_code) {
    ModuleInterface interface = ModuleInterface::of(*module_);
    check_is_command(interface, path_);
    LinkerPtr linker(wasmtime_linker_new(engine_.get()));
    if (DirectWasi::covers(interface)) {
      wasi_ = std::make_unique<DirectWasi>();
      wasi_->define(*linker, interface);
    } else {
      check(wasmtime_linker_define_wasi(linker.get()), path_);
    }
    // Imports are resolved now, so a module needing what WASI does not
    // provide fails the create.
    wasmtime_instance_pre_t* pre = nullptr;
    check(wasmtime_linker_instantiate_pre(linker.get(), module_.get(), &pre), path_);
    pre_.reset(pre);
  }

  void prepare(const RunConfig& config) override {
    if (wasi_) {
      store_ = new_store(*engine_, config);
      wasi_->reset(config);
    } else {
      store_ = new_wasi_store(*engine_, config, path_);
    }
    // Without a start function, instantiating runs none of the module's code:
    // it is done before `start` (a failure, such as memory over the limit,
    // is still reported when the module would run).
    if (!instantiation_runs_code_) instantiate();
  }

  int run() override {
    if (instantiation_runs_code_) instantiate();  // else prepare() did
    if (!error_ && !trap_) {
      wasm_trap_t* raw_trap = nullptr;
      error_.reset(call_start(wasmtime_store_context(store_.get()), instance_, &raw_trap));
      trap_.reset(raw_trap);
    }
    if (wasi_ && wasi_->exit_status()) return *wasi_->exit_status();
    if (error_) return exit_code_of(error_.get(), path_);
    if (trap_) {
      report("wasm module " + path_ + ": " + message_of(trap_.get()));
      return kTrapExitCode;
    }
    return 0;
  }

 private:
  void instantiate() {
    wasm_trap_t* raw_trap = nullptr;
    error_.reset(wasmtime_instance_pre_instantiate(pre_.get(), wasmtime_store_context(store_.get()), &instance_,
                                                   &raw_trap));
    trap_.reset(raw_trap);
  }

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

  std::string path_;
  EnginePtr engine_;
  ModulePtr module_;
  bool instantiation_runs_code_;
  std::unique_ptr<DirectWasi> wasi_;  // null: Wasmtime's WASI answers every call
  InstancePrePtr pre_;                // after wasi_: it may call into it
  StorePtr store_;
  wasmtime_instance_t instance_{};
  ErrorPtr error_;  // of instantiating or running
  TrapPtr trap_;
};

class Loader : public ProgramLoader {
 public:
  Loader(const std::string& path, CompileCache* cache, WasmCompiler compiler, bool cache_keeps)
      : path_(path), cache_(cache), binary_(program_binary(path)) {
    plan_ = plan_compile(binary_, compiler, cache, cache_keeps);
    // The engine is set up while the runtime looks the cache up.
    engine_ = new_engine(plan_.compiler);
    receive_cached(plan_, cache);
  }

  // An entry from the cache directory is trusted by its name (cache_key:
  // this engine, a checked program; the runtime adds the host CPU); one
  // compiled ahead is checked first. Components take every step before
  // Ready.
  bool cached() const override { return !plan_.cached.empty() && plan_.checked && !is_component(binary_); }

  std::unique_ptr<Program> finish() override {
    EnginePtr engine = std::move(engine_);
    if (is_component(binary_)) return load_component(std::move(engine), plan_, binary_, path_, cache_);
    ModulePtr module = cached_module(*engine, plan_.cached);
    // Compiled ahead for this start: kept once it passes the checks.
    std::string compiled = module && !plan_.checked && plan_.stores() ? plan_.cached : std::string();
    if (!module) {
      // After Ready (the entry was refused) the runtime no longer listens.
      const bool before_ready = !cached();
      module = compile_with_fallback(engine, plan_, [&](wasm_engine_t& e) { return compile(e, binary_, path_); });
      if (before_ready && plan_.stores()) compiled = serialized(*module);
    }
    auto program = std::make_unique<ModuleProgram>(path_, std::move(engine), std::move(module),
                                                   instantiation_runs_code(binary_));
    // Stored once checked: a cached program is one the create accepts.
    store_compiled(plan_, cache_, compiled);
    return program;
  }

 private:
  std::string path_;
  CompileCache* cache_;
  std::string binary_;
  CompilePlan plan_;
  EnginePtr engine_;
};

}  // namespace

std::unique_ptr<ProgramLoader> begin_loading(const std::string& path, CompileCache* cache, WasmCompiler compiler,
                                             bool cache_keeps) {
  return std::make_unique<Loader>(path, cache, compiler, cache_keeps);
}

std::optional<AheadCompiled> compile_ahead(const std::string& binary, WasmCompiler compiler) {
  if (is_component(binary)) return std::nullopt;
  EnginePtr engine = new_engine(compiler);
  ModulePtr module;
  try {
    module = compile(*engine, binary, "ahead");
  } catch (const Error&) {
    return std::nullopt;
  }
  std::string compiled = serialized(*module);
  if (compiled.empty()) return std::nullopt;
  return AheadCompiled{cache_key(binary, compiler), cache_entry(compiled)};
}

}  // namespace skiff::wasm
