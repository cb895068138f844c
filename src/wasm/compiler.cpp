#include "wasm/compiler.hpp"

#include <array>
#include <utility>

namespace skiff::wasm {

namespace {

constexpr std::array<std::pair<WasmCompiler, std::string_view>, 3> kNames = {{
    {WasmCompiler::Auto, "auto"},
    {WasmCompiler::Cranelift, "cranelift"},
    {WasmCompiler::Winch, "winch"},
}};

}  // namespace

std::string_view compiler_name(WasmCompiler compiler) {
  for (const auto& [value, name] : kNames)
    if (value == compiler) return name;
  return "auto";
}

std::optional<WasmCompiler> compiler_named(std::string_view name) {
  for (const auto& [value, known] : kNames)
    if (known == name) return value;
  return std::nullopt;
}

WasmCompiler settled_compiler(WasmCompiler setting, bool cache_keeps) {
  if (setting == WasmCompiler::Winch || (setting == WasmCompiler::Auto && !cache_keeps)) return WasmCompiler::Winch;
  return WasmCompiler::Cranelift;
}

}  // namespace skiff::wasm
