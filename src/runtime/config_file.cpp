// load_config_file (include/skiff/config.hpp) on yaml-cpp. yaml-cpp throws;
// everything is turned into one Error naming the file, line and key.
#include <fcntl.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "skiff/config.hpp"
#include "util/error.hpp"
#include "wasm/compiler.hpp"
#include "wasm/preopens.hpp"

namespace skiff {

namespace {

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& cause) const {
    std::string line = node.Mark().is_null() ? "" : ", line " + std::to_string(node.Mark().line + 1);
    throw Error("config " + path_ + line + ": " + key + ": " + cause);
  }

  void expect_map(const YAML::Node& node, const std::string& key, std::initializer_list<std::string_view> known) const {
    if (!node.IsMap()) fail(node, key, "must be a mapping");
    for (const auto& item : node) {
      auto name = item.first.as<std::string>();
      if (std::find(known.begin(), known.end(), name) == known.end())
        fail(item.first, key.empty() ? name : key + "." + name, "unknown key");
    }
  }

  std::optional<std::string> string(const YAML::Node& parent, const std::string& name, const std::string& key) const {
    const YAML::Node node = parent[name];
    if (!node) return std::nullopt;
    if (node.IsNull()) return std::string();
    if (!node.IsScalar()) fail(node, key, "must be a string");
    return node.as<std::string>();
  }

  bool boolean(const YAML::Node& parent, const std::string& name, const std::string& key) const {
    const YAML::Node node = parent[name];
    if (!node) return false;
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) fail(node, key, "must be true or false");
    return value;
  }

  std::optional<WasmCompiler> compiler(const YAML::Node& parent, const std::string& name,
                                       const std::string& key) const {
    std::optional<std::string> text = string(parent, name, key);
    if (!text) return std::nullopt;
    std::optional<WasmCompiler> compiler = wasm::compiler_named(*text);
    if (!compiler) fail(parent[name], key, "must be auto, cranelift or winch");
    return compiler;
  }

  std::vector<WasmPreopen> preopens(const YAML::Node& node, const std::string& key) const {
    if (node.IsNull()) return {};
    if (!node.IsSequence()) fail(node, key, "must be a list");
    std::vector<WasmPreopen> out;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      const YAML::Node item = node[i];
      expect_map(item, item_key, {"guest", "dir", "readonly"});
      WasmPreopen preopen;
      preopen.guest = string(item, "guest", item_key + ".guest").value_or("");
      if (preopen.guest.empty()) fail(item, item_key + ".guest", "required");
      preopen.dir = string(item, "dir", item_key + ".dir").value_or(preopen.guest);
      preopen.read_only = boolean(item, "readonly", item_key + ".readonly");
      out.push_back(preopen);
    }
    try {
      wasm::check_preopens(out, key);
    } catch (const Error& e) {
      fail(node, key, std::string(e.what()).substr(key.size() + 2));
    }
    return out;
  }

  ConfigFile read(const YAML::Node& root) const {
    ConfigFile config;
    if (root.IsNull()) return config;  // an empty file
    expect_map(root, "", {"root", "wasm"});
    config.root = string(root, "root", "root");
    if (const YAML::Node wasm = root["wasm"]) {
      expect_map(wasm, "wasm", {"cache", "runner", "compiler", "preopens"});
      config.wasm_cache = string(wasm, "cache", "wasm.cache");
      config.wasm_runner = string(wasm, "runner", "wasm.runner");
      config.wasm_compiler = compiler(wasm, "compiler", "wasm.compiler");
      if (const YAML::Node list = wasm["preopens"]) config.wasm_preopens = preopens(list, "wasm.preopens");
    }
    return config;
  }

 private:
  std::string path_;
};

}  // namespace

ConfigFile load_config_file(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) {
    if (errno == ENOENT) return {};
    throw_errno("config " + path);
  }
  try {
    return Reader(path).read(YAML::LoadFile(path));
  } catch (const YAML::Exception& e) {
    throw Error("config " + path + ": " + e.what());
  }
}

void apply_config_file(const ConfigFile& file, RuntimeOptions& options) {
  if (file.root) options.root = *file.root;
  if (file.wasm_cache) options.wasm_cache_dir = *file.wasm_cache;
  if (file.wasm_runner) options.wasm_runner = *file.wasm_runner;
  if (file.wasm_compiler) options.wasm_compiler = *file.wasm_compiler;
  if (file.wasm_preopens) options.wasm_preopens = file.wasm_preopens;
}

}  // namespace skiff
