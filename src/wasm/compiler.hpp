// The names of the wasm compilers (WasmCompiler, include/skiff/skiff.hpp), as
// config.yaml and the runner's config spell them.
#pragma once

#include <optional>
#include <string_view>

#include "skiff/skiff.hpp"

namespace skiff::wasm {

std::string_view compiler_name(WasmCompiler compiler);
// None when name is not auto, cranelift or winch.
std::optional<WasmCompiler> compiler_named(std::string_view name);

// The compiler a start uses for setting: Auto is Winch when nothing keeps
// the compile (no cache directory: it is paid at every start), Cranelift
// when a cache does. The runner and the runtime's compile ahead agree on it.
WasmCompiler settled_compiler(WasmCompiler setting, bool cache_keeps);

}  // namespace skiff::wasm
