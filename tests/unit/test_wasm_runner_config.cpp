// The wasm runner's config: what the init writes is what the runner reads.
#include <catch2/catch.hpp>

#include "util/error.hpp"
#include "wasm/runner_config.hpp"

using skiff::wasm::RunnerConfig;

namespace {

RunnerConfig config_with_filter(std::vector<sock_filter> instructions) {
  RunnerConfig config;
  config.module = "/app.wasm";
  config.compiler = skiff::WasmCompiler::Winch;
  config.compile_cache = true;
  config.compiled_ahead = true;
  config.pushed_key = "wasmtime48-0-8-e1-abc";
  config.run.args = {"/app.wasm", "--flag"};
  config.run.env = {"PATH=/bin", "EMPTY="};
  config.run.preopens = {{"/data", "/data", false}};
  config.run.memory_limit = 1 << 20;
  config.sync_fd = 8;
  config.fifo_fd = 5;
  config.no_new_privileges = true;
  config.seccomp = skiff::security::SeccompProgram{};
  config.seccomp->instructions = std::move(instructions);
  config.seccomp->flags = 4;
  return config;
}

bool same(const sock_filter& a, const sock_filter& b) {
  return a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k;
}

}  // namespace

TEST_CASE("a runner config with a seccomp filter reads back as written") {
  std::vector<sock_filter> filter = {{0x20, 0, 0, 4}, {0x15, 255, 1, 0xc000003e}, {0x06, 0, 0, 0xffffffff},
                                     {0xffff, 0, 0, 0}};
  std::string text = skiff::wasm::serialize_runner_config(config_with_filter(filter));
  RunnerConfig back = skiff::wasm::parse_runner_config(text);
  REQUIRE(back.seccomp);
  REQUIRE(back.seccomp->instructions.size() == filter.size());
  for (size_t i = 0; i < filter.size(); ++i) CHECK(same(back.seccomp->instructions[i], filter[i]));
  CHECK(back.seccomp->flags == 4);
  CHECK(back.module == "/app.wasm");
  CHECK(back.compiler == skiff::WasmCompiler::Winch);
  CHECK(back.compile_cache);
  CHECK(back.compiled_ahead);
  CHECK(back.pushed_key == "wasmtime48-0-8-e1-abc");
  CHECK(back.run.env == std::vector<std::string>{"PATH=/bin", "EMPTY="});
  CHECK(back.run.preopens.size() == 1);
  CHECK_FALSE(back.run.preopens[0].writable);
  CHECK(back.sync_fd == 8);
  CHECK(back.fifo_fd == 5);
}

TEST_CASE("a runner config without a filter reads back without one") {
  RunnerConfig config = config_with_filter({});
  config.seccomp.reset();
  std::string text = skiff::wasm::serialize_runner_config(config);
  CHECK(text.find('\0') == std::string::npos);
  RunnerConfig back = skiff::wasm::parse_runner_config(text);
  CHECK_FALSE(back.seccomp);
  CHECK(back.run.args == config.run.args);
}

TEST_CASE("a runner config with a damaged seccomp filter is refused") {
  std::vector<sock_filter> filter = {{0x06, 0, 0, 0x7fff0000}, {0x06, 0, 0, 0}};
  std::string text = skiff::wasm::serialize_runner_config(config_with_filter(filter));
  REQUIRE(text.find('\0') == text.size() - 2 * sizeof(sock_filter) - 1);
  SECTION("a partial instruction") {
    text.pop_back();
    CHECK_THROWS_WITH(skiff::wasm::parse_runner_config(text),
                      "wasm runner config: seccomp.instructions: 2 announced, 15 bytes follow");
  }
  SECTION("an instruction too many") {
    text.append(sizeof(sock_filter), '\x06');
    CHECK_THROWS_AS(skiff::wasm::parse_runner_config(text), skiff::Error);
  }
  SECTION("no instructions at all") {
    text.erase(text.find('\0'));
    CHECK_THROWS_AS(skiff::wasm::parse_runner_config(text), skiff::Error);
  }
}
