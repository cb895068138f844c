// Which directories a wasm module sees (WASI preopens): per container by the
// annotation run.skiff.wasm/preopens, else RuntimeOptions::wasm_preopens
// (config.yaml), else the container's "/" as "/", read-write. Every `dir` is
// a path in the container (the runner opens it after pivot_root): nothing of
// the host can be named here.
//
// The annotation is a comma-separated list of entries, each colon-separated
// fields:  guest=GUEST[:dir=DIR][:ro|:rw]
//   run.skiff.wasm/preopens: "guest=/data:dir=/srv/data:ro,guest=/tmp"
// DIR defaults to GUEST, access to rw; an empty value preopens nothing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skiff/skiff.hpp"

namespace skiff::wasm {

inline constexpr std::string_view kPreopensAnnotation = "run.skiff.wasm/preopens";

// The annotation's value as preopens; throws Error naming the annotation, the
// entry and the cause.
std::vector<WasmPreopen> parse_preopens_annotation(const std::string& value);

// Throws Error("<where>: ...") unless every guest and dir is an absolute path
// without "..", and no guest appears twice.
void check_preopens(const std::vector<WasmPreopen>& preopens, const std::string& where);

// The container's preopens: its annotation, else defaults, else "/" as "/".
std::vector<WasmPreopen> container_preopens(const std::map<std::string, std::string>& annotations,
                                            const std::optional<std::vector<WasmPreopen>>& defaults);

// As the runtime sends them to the init (with the runner), and back.
std::string preopens_to_json(const std::vector<WasmPreopen>& preopens);
std::vector<WasmPreopen> preopens_from_json(const std::string& text);

}  // namespace skiff::wasm
