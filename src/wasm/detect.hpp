// Which containers run on the embedded WebAssembly engine: crun's handler
// annotations, else the magic bytes of args[0]. Pure decisions here; the
// init reads the file head (read_head) once args[0] is resolved in the
// container.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace skiff::wasm {

enum class Handler {
  None,   // no annotation: decided by the file's magic bytes
  Wasm,   // run.oci.handler=wasm, module.wasm.image/variant=compat
  Smart,  // the -smart forms: wasm only when args[0] ends in .wasm/.wat
};

// crun's annotations; other values (crun's krun...) are Handler::None.
Handler handler_from_annotations(const std::map<std::string, std::string>& annotations);

// The container is a CRI pod sandbox (pause): never wasm.
bool is_pod_sandbox(const std::map<std::string, std::string>& annotations);

// True when the entrypoint runs on the engine. `head` is the first bytes of
// the resolved args[0] (fewer for a short file): ELF and #! stay native.
bool runs_as_wasm(Handler handler, std::string_view args0, std::string_view head);

// A guess before the rootfs is set up (no file read): an annotation says
// wasm, or args[0] ends in .wasm or .wat. runs_as_wasm decides.
bool looks_like_wasm(Handler handler, std::string_view args0);

// The first bytes of path, enough for runs_as_wasm ("" if unreadable: the
// exec then reports the real error).
std::string read_head(const std::string& path);

// True when the annotations make args[0] wasm without looking at its bytes
// (then it need not be executable, as in crun's wasm handler).
bool wasm_by_annotation(Handler handler, std::string_view args0);

}  // namespace skiff::wasm
