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
  RunnerConfig back = skiff::wasm::runner_config_from_json(skiff::wasm::to_json(config_with_filter(filter)));
  REQUIRE(back.seccomp);
  REQUIRE(back.seccomp->instructions.size() == filter.size());
  for (size_t i = 0; i < filter.size(); ++i) CHECK(same(back.seccomp->instructions[i], filter[i]));
  CHECK(back.seccomp->flags == 4);
  CHECK(back.module == "/app.wasm");
  CHECK(back.compiler == skiff::WasmCompiler::Winch);
  CHECK(back.run.env == std::vector<std::string>{"PATH=/bin", "EMPTY="});
  CHECK(back.run.preopens.size() == 1);
  CHECK_FALSE(back.run.preopens[0].writable);
  CHECK(back.sync_fd == 8);
  CHECK(back.fifo_fd == 5);
}

TEST_CASE("a runner config with a damaged seccomp filter is refused") {
  std::string text = skiff::wasm::to_json(config_with_filter({{0x06, 0, 0, 0x7fff0000}}));
  std::string digits = "000600007fff0000";
  auto at = text.find(digits);
  REQUIRE(at != std::string::npos);
  SECTION("a digit that is not hex") {
    text[at + 3] = 'g';
    CHECK_THROWS_AS(skiff::wasm::runner_config_from_json(text), skiff::Error);
  }
  SECTION("a partial instruction") {
    text.erase(at + 15, 1);
    CHECK_THROWS_AS(skiff::wasm::runner_config_from_json(text), skiff::Error);
  }
}
