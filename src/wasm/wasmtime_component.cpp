// WASI preview 2 command components (wasi:cli/run) on Wasmtime's component
// model: compiled (or loaded from the compile cache) during `create`, with
// their exports and imports checked then; instantiated with WASI preview 2 at
// `start`, and their `run` called.
#include <array>
#include <memory>

#include "util/error.hpp"
#include "wasm/wasmtime_util.hpp"

namespace skiff::wasm::wt {

namespace {

using ComponentPtr = std::unique_ptr<wasmtime_component_t, Deleter<wasmtime_component_delete>>;
using LinkerPtr = std::unique_ptr<wasmtime_component_linker_t, Deleter<wasmtime_component_linker_delete>>;
using ExportIndexPtr =
    std::unique_ptr<wasmtime_component_export_index_t, Deleter<wasmtime_component_export_index_delete>>;
using TypePtr = std::unique_ptr<wasmtime_component_type_t, Deleter<wasmtime_component_type_delete>>;

constexpr std::string_view kRunInterface = "wasi:cli/run@0.2.";

// The WASI preview 2 packages the linker provides (wasmtime_component_linker_add_wasip2).
constexpr std::array<std::string_view, 6> kWasiPackages = {
    "wasi:cli/", "wasi:io/", "wasi:clocks/", "wasi:filesystem/", "wasi:random/", "wasi:sockets/"};

bool provided_by_wasi(std::string_view import) {
  for (std::string_view package : kWasiPackages)
    if (import.starts_with(package)) return true;
  return false;
}

// Calls f(name) for each import (exports: false) or export of the component.
template <typename F>
void for_each_item(const wasmtime_component_t& component, wasm_engine_t& engine, bool imports, F f) {
  TypePtr type(wasmtime_component_type(&component));
  size_t count = imports ? wasmtime_component_type_import_count(type.get(), &engine)
                         : wasmtime_component_type_export_count(type.get(), &engine);
  for (size_t i = 0; i < count; ++i) {
    const char* name = nullptr;
    size_t length = 0;
    wasmtime_component_item_t item;
    bool found = imports ? wasmtime_component_type_import_nth(type.get(), &engine, i, &name, &length, &item)
                         : wasmtime_component_type_export_nth(type.get(), &engine, i, &name, &length, &item);
    if (!found) continue;
    std::string text(name, length);
    wasmtime_component_item_delete(&item);
    f(text);
  }
}

// The component's wasi:cli/run export (any 0.2.x), or a create error.
std::string run_interface(const wasmtime_component_t& component, wasm_engine_t& engine, const std::string& path) {
  std::string found;
  for_each_item(component, engine, false, [&](const std::string& name) {
    if (name.starts_with(kRunInterface)) found = name;
  });
  if (found.empty()) fail(path, "no \"wasi:cli/run@0.2\" export (not a WASI preview 2 command component)");
  return found;
}

// Imports outside WASI preview 2 fail the create (instantiation at start
// remains the authority: a function WASI lacks fails there, naming it).
void check_imports(const wasmtime_component_t& component, wasm_engine_t& engine, const std::string& path) {
  for_each_item(component, engine, true, [&](const std::string& name) {
    if (!provided_by_wasi(name)) fail(path, "imports \"" + name + "\", which WASI preview 2 does not provide");
  });
}

ComponentPtr compile(wasm_engine_t& engine, const std::string& binary, const std::string& path) {
  wasmtime_component_t* component = nullptr;
  check(wasmtime_component_new(&engine, reinterpret_cast<const uint8_t*>(binary.data()), binary.size(), &component),
        path);
  return ComponentPtr(component);
}

ComponentPtr cached_component(wasm_engine_t& engine, const std::string& compiled) {
  if (compiled.empty()) return nullptr;
  wasmtime_component_t* component = nullptr;
  ErrorPtr error(wasmtime_component_deserialize(&engine, reinterpret_cast<const uint8_t*>(compiled.data()),
                                                compiled.size(), &component));
  return error ? nullptr : ComponentPtr(component);
}

std::string serialized(const wasmtime_component_t& component) {
  wasm_byte_vec_t bytes;
  return take_serialized(wasmtime_component_serialize(&component, &bytes), bytes);
}

class ComponentProgram : public Program {
 public:
  ComponentProgram(std::string path, EnginePtr engine, ComponentPtr component)
      : path_(std::move(path)), engine_(std::move(engine)), component_(std::move(component)) {
    check_imports(*component_, *engine_, path_);
    run_interface_ = run_interface(*component_, *engine_, path_);
    linker_.reset(wasmtime_component_linker_new(engine_.get()));
    check(wasmtime_component_linker_add_wasip2(linker_.get()), path_);
  }

  void prepare(const RunConfig& config) override { store_ = new_wasi_store(*engine_, config, path_); }

  int run() override {
    wasmtime_context_t* context = wasmtime_store_context(store_.get());
    wasmtime_component_instance_t instance;
    ErrorPtr error(wasmtime_component_linker_instantiate(linker_.get(), context, component_.get(), &instance));
    if (error) return exit_code_of(error.get(), path_);
    wasmtime_component_func_t run;
    if (!find_run(instance, context, run)) {
      report("wasm module " + path_ + ": no function \"run\" in " + run_interface_);
      return kTrapExitCode;
    }
    wasmtime_component_val_t result{};
    error.reset(wasmtime_component_func_call(&run, context, nullptr, 0, &result, 1));
    if (error) return exit_code_of(error.get(), path_);
    // wasi:cli/run's result<_, _>: an error is exit code 1, as wasmtime run.
    bool ok = result.kind == WASMTIME_COMPONENT_RESULT && result.of.result.is_ok;
    wasmtime_component_val_delete(&result);
    ErrorPtr(wasmtime_component_func_post_return(&run, context));
    return ok ? 0 : 1;
  }

 private:
  bool find_run(const wasmtime_component_instance_t& instance, wasmtime_context_t* context,
                wasmtime_component_func_t& run) const {
    ExportIndexPtr interface(wasmtime_component_instance_get_export_index(
        &instance, context, nullptr, run_interface_.data(), run_interface_.size()));
    if (!interface) return false;
    ExportIndexPtr function(
        wasmtime_component_instance_get_export_index(&instance, context, interface.get(), "run", 3));
    return function && wasmtime_component_instance_get_func(&instance, context, function.get(), &run);
  }

  std::string path_;
  EnginePtr engine_;
  ComponentPtr component_;
  LinkerPtr linker_;
  std::string run_interface_;
  StorePtr store_;
};

}  // namespace

std::unique_ptr<Program> load_component(EnginePtr engine, CompilePlan& plan, const std::string& binary,
                                        const std::string& path, CompileCache* cache) {
  ComponentPtr component = cached_component(*engine, plan.cached);
  std::string compiled;
  if (!component) {
    component = compile_with_fallback(engine, plan, [&](wasm_engine_t& e) { return compile(e, binary, path); });
    if (plan.stores()) compiled = serialized(*component);
  }
  auto program = std::make_unique<ComponentProgram>(path, std::move(engine), std::move(component));
  // Stored once checked: a cached program is one the create accepts.
  store_compiled(plan, cache, compiled);
  return program;
}

}  // namespace skiff::wasm::wt
