// The preopens annotation (run.skiff.wasm/preopens) and config.yaml's loader.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "skiff/config.hpp"
#include "wasm/preopens.hpp"

using skiff::WasmPreopen;
namespace fs = std::filesystem;

namespace {

std::string error_of_annotation(const std::string& value) {
  try {
    skiff::wasm::parse_preopens_annotation(value);
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "";
}

// A config file with text, removed at scope exit.
struct TempConfig {
  explicit TempConfig(const std::string& text)
      : path(fs::temp_directory_path() / ("skiff-config-" + std::to_string(::getpid()) + ".yaml")) {
    std::ofstream(path) << text;
  }
  ~TempConfig() { fs::remove(path); }
  fs::path path;
};

std::string error_of_config(const std::string& text) {
  TempConfig file(text);
  try {
    skiff::load_config_file(file.path.string());
  } catch (const skiff::Error& e) {
    std::string message = e.what();
    return message.substr(message.find(file.path.string()) + file.path.string().size());
  }
  return "";
}

}  // namespace

TEST_CASE("preopens annotation: entries, defaults and access", "[wasm][preopens]") {
  auto preopens = skiff::wasm::parse_preopens_annotation("guest=/data:dir=/srv/data:ro,guest=/tmp,guest=/x:rw:dir=/y");
  REQUIRE(preopens.size() == 3);
  CHECK(preopens[0].guest == "/data");
  CHECK(preopens[0].dir == "/srv/data");
  CHECK(preopens[0].read_only);
  CHECK(preopens[1].dir == "/tmp");
  CHECK_FALSE(preopens[1].read_only);
  CHECK(preopens[2].dir == "/y");
  CHECK(skiff::wasm::parse_preopens_annotation("").empty());
}

TEST_CASE("preopens annotation: bad values name the entry and the cause", "[wasm][preopens]") {
  const std::string a = "annotation run.skiff.wasm/preopens";
  CHECK(error_of_annotation("dir=/srv") == a + ", entry 1 \"dir=/srv\": guest=GUEST is required");
  CHECK(error_of_annotation("guest=/a,") == a + ", entry 2 \"\": empty entry");
  CHECK(error_of_annotation("guest=/a:ro:rw") == a + ", entry 1 \"guest=/a:ro:rw\": \"ro\"/\"rw\" given twice");
  CHECK(error_of_annotation("guest=/a:guest=/b") ==
        a + ", entry 1 \"guest=/a:guest=/b\": unknown or repeated field \"guest=/b\" (expected guest=GUEST[:dir=DIR][:ro|:rw])");
  CHECK(error_of_annotation("guest=/a:dir=/srv/../etc") ==
        a + ", entry 1 \"guest=/a:dir=/srv/../etc\": dir \"/srv/../etc\" contains \"..\"");
  CHECK(error_of_annotation("guest=/a:dir=srv") == a + ", entry 1 \"guest=/a:dir=srv\": dir \"srv\" is not an absolute path");
  CHECK(error_of_annotation("guest=/a,guest=/a") == a + ": guest \"/a\" appears twice");
}

TEST_CASE("the container's preopens: annotation, else configured, else / as /", "[wasm][preopens]") {
  std::optional<std::vector<WasmPreopen>> configured = std::vector<WasmPreopen>{{"/data", "/srv", true}};
  auto none = skiff::wasm::container_preopens({}, std::nullopt);
  REQUIRE(none.size() == 1);
  CHECK((none[0].guest == "/" && none[0].dir == "/" && !none[0].read_only));
  CHECK(skiff::wasm::container_preopens({}, configured)[0].guest == "/data");
  CHECK(skiff::wasm::container_preopens({{"run.skiff.wasm/preopens", "guest=/x"}}, configured)[0].guest == "/x");
}

TEST_CASE("config.yaml: values, a missing file, and errors naming line and key", "[config]") {
  TempConfig file(
      "root: /run/other\n"
      "wasm:\n"
      "  cache: \"\"\n"
      "  runner: /opt/skiff-wasm\n"
      "  compiler: winch\n"
      "  preopens:\n"
      "    - guest: /data\n"
      "      dir: /srv/data\n"
      "      readonly: true\n"
      "    - guest: /tmp\n");
  skiff::ConfigFile config = skiff::load_config_file(file.path.string());
  CHECK(config.root == "/run/other");
  CHECK(config.wasm_cache == "");
  CHECK(config.wasm_runner == "/opt/skiff-wasm");
  CHECK(config.wasm_compiler == skiff::WasmCompiler::Winch);
  REQUIRE(config.wasm_preopens);
  REQUIRE(config.wasm_preopens->size() == 2);
  CHECK((*config.wasm_preopens)[0].read_only);
  CHECK((*config.wasm_preopens)[1].dir == "/tmp");

  skiff::RuntimeOptions options;
  skiff::apply_config_file(config, options);
  CHECK(options.root == "/run/other");
  CHECK(options.wasm_cache_dir.empty());
  CHECK(options.wasm_compiler == skiff::WasmCompiler::Winch);
  CHECK(skiff::RuntimeOptions{}.wasm_compiler == skiff::WasmCompiler::Auto);

  CHECK_FALSE(skiff::load_config_file("/nonexistent/config.yaml").root);
  CHECK(error_of_config("") == "");
  CHECK(error_of_config("rot: /x\n") == ", line 1: rot: unknown key");
  CHECK(error_of_config("wasm:\n  preopens:\n    - dir: /x\n") == ", line 3: wasm.preopens[0].guest: required");
  CHECK(error_of_config("wasm:\n  preopens:\n    - guest: x\n") ==
        ", line 3: wasm.preopens: guest \"x\" is not an absolute path");
  CHECK(error_of_config("wasm:\n  preopens:\n    - guest: /x\n      readonly: maybe\n") ==
        ", line 4: wasm.preopens[0].readonly: must be true or false");
  CHECK(error_of_config("wasm:\n  compiler: llvm\n") == ", line 2: wasm.compiler: must be auto, cranelift or winch");
  CHECK(error_of_config("wasm: [1, 2]\n") == ", line 1: wasm: must be a mapping");
  CHECK(error_of_config("root: [\n").find(": yaml-cpp: error at line") != std::string::npos);
}
