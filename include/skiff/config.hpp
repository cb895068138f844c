// /etc/skiff/config.yaml: defaults for RuntimeOptions, read by the CLI (whose
// flags win) and by any program that wants the same defaults.
//
//   root: /run/skiff               # state root
//   wasm:
//     cache: /var/cache/skiff/wasm # compiled modules ("" : none)
//     runner: /usr/bin/skiff-wasm  # the WebAssembly runner
//     compiler: auto               # auto, cranelift or winch (see WasmCompiler)
//     preopens:                    # what modules see (default: / as /, read-write)
//       - guest: /data             # the name the module uses
//         dir: /srv/data           # the directory in the container (default: guest)
//         readonly: true           # default false
//
// Unknown keys are errors, so a typo never silently does nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "skiff/skiff.hpp"

namespace skiff {

inline constexpr const char* kDefaultConfigPath = "/etc/skiff/config.yaml";

struct ConfigFile {
  std::optional<std::string> root;
  std::optional<std::string> wasm_cache;
  std::optional<std::string> wasm_runner;
  std::optional<WasmCompiler> wasm_compiler;
  std::optional<std::vector<WasmPreopen>> wasm_preopens;
};

// The settings in the file at path; a missing file is an empty config. Throws
// Error naming the file, the line and the key of anything malformed.
ConfigFile load_config_file(const std::string& path = kDefaultConfigPath);

// options with every value the file sets.
void apply_config_file(const ConfigFile& file, RuntimeOptions& options);

}  // namespace skiff
