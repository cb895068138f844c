// load_program when Skiff is configured with -DSKIFF_WASM=OFF (no cargo):
// detection still works, so a wasm container fails clearly at create.
#include "util/error.hpp"
#include "wasm/engine.hpp"

namespace skiff::wasm {

std::unique_ptr<Program> load_program(const std::string& path, CompileCache*) {
  throw Error("wasm module " + path + ": this skiff was built without WebAssembly support (SKIFF_WASM=OFF)");
}

}  // namespace skiff::wasm
