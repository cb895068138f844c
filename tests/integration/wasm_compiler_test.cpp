// config.yaml's wasm.compiler: Cranelift (optimizing), Winch (baseline) and
// auto (Winch when nothing keeps the compile, Cranelift when the compile
// cache does). Each must run the probe module the same way; the cache keeps
// Winch's code under its own names.
#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

// `skiff --config <compiler's config> --wasm-cache <cache> run` of a probe
// module (or component) with probe_args.
struct CompilerRun {
  Sandbox& sb;
  std::string compiler;
  fs::path cache;  // empty: no compile cache

  Output run(const fs::path& module, std::vector<std::string> probe_args, std::vector<std::string> env = {},
             const std::string& path = "/bin/probe.wasm") {
    fs::path config = sb.dir / ("config-" + compiler + ".yaml");
    write_file(config, "wasm:\n  compiler: " + compiler + "\n");
    std::vector<std::string> args{path};
    args.insert(args.end(), probe_args.begin(), probe_args.end());
    Bundle b = sb.bundle(args, sb.new_id("bundle"));
    fs::copy_file(module, b.rootfs / path.substr(1));
    fs::permissions(b.rootfs / path.substr(1), fs::perms(0755));
    // A .wat text module runs under a wasm handler annotation only.
    b.config["annotations"] = {{"run.oci.handler", "wasm"}};
    for (const auto& entry : env) b.config["process"]["env"].push_back(entry);
    b.save();
    return sb.skiff({"--config", config.string(), "--wasm-cache", cache.string(), "run", "--bundle",
                     b.dir.string(), sb.new_id(compiler)});
  }
};

std::vector<std::string> cache_entries(const fs::path& cache) {
  std::vector<std::string> names;
  for (const auto& entry : wasm_cache_entries(cache)) names.push_back(entry.filename().string());
  return names;
}

}  // namespace

TEST_CASE("every wasm compiler runs the module: args, env, exit code, trap", "[wasm]") {
  Sandbox sb;
  auto [compiler, cached] = GENERATE(table<std::string, bool>(
      {{"winch", false}, {"winch", true}, {"cranelift", false}, {"auto", false}, {"auto", true}}));
  CompilerRun probe{sb, compiler, cached ? sb.dir / "wasm-cache" : fs::path()};
  INFO("compiler " << compiler << (cached ? " with" : " without") << " a compile cache");

  Output args = probe.run(WASM_PROBE, {"env", "GREETING"}, {"GREETING=hi"});
  INFO(args.describe());
  CHECK(args.exit_code == 0);
  CHECK(args.out == "GREETING=hi\n");
  Output exit = probe.run(WASM_PROBE, {"exit", "42"});
  CHECK(exit.exit_code == 42);
  Output trap = probe.run(WASM_PROBE, {"trap"});
  CHECK(trap.exit_code == 134);
  CHECK(trap.err.find("wasm module /bin/probe.wasm") != std::string::npos);
}

TEST_CASE("the compile cache names Winch's code apart from Cranelift's", "[wasm]") {
  Sandbox sb;
  const fs::path cache = sb.dir / "wasm-cache";
  SECTION("winch") {
    CHECK(CompilerRun{sb, "winch", cache}.run(WASM_PROBE, {"exit", "3"}).exit_code == 3);
    auto entries = cache_entries(cache);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].rfind("wasmtime48-", 0) == 0);
    CHECK(entries[0].find("-winch-") != std::string::npos);
  }
  SECTION("auto with a cache compiles once, with Cranelift") {
    CHECK(CompilerRun{sb, "auto", cache}.run(WASM_PROBE, {"exit", "3"}).exit_code == 3);
    auto entries = cache_entries(cache);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].rfind("wasmtime48-", 0) == 0);
    CHECK(entries[0].find("winch") == std::string::npos);
  }
  SECTION("both, side by side, each loaded by its own engine") {
    CHECK(CompilerRun{sb, "winch", cache}.run(WASM_PROBE, {"exit", "3"}).exit_code == 3);
    CHECK(CompilerRun{sb, "cranelift", cache}.run(WASM_PROBE, {"exit", "4"}).exit_code == 4);
    CHECK(cache_entries(cache).size() == 2);
    CHECK(CompilerRun{sb, "winch", cache}.run(WASM_PROBE, {"exit", "5"}).exit_code == 5);
    CHECK(cache_entries(cache).size() == 2);
  }
}

TEST_CASE("a module compiled by Winch sleeps and wakes (WASI timers on one worker thread)", "[wasm]") {
  Sandbox sb;
  Output out = CompilerRun{sb, "auto", {}}.run(WASM_PROBE, {"sleep", "1"});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "woke\n");
}

TEST_CASE("what Winch cannot compile (tail calls) Cranelift compiles", "[wasm]") {
  Sandbox sb;
  fs::path module = sb.dir / "tail.wat";
  write_file(module,
             "(module\n"
             "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
             "  (func $id (param i32) (result i32) (local.get 0))\n"
             "  (func $tail (param i32) (result i32) (return_call $id (local.get 0)))\n"
             "  (func (export \"_start\") (call $exit (call $tail (i32.const 7))))\n"
             "  (memory (export \"memory\") 1))\n");
  Output out = CompilerRun{sb, "winch", sb.dir / "wasm-cache"}.run(module, {}, {}, "/app.wat");
  INFO(out.describe());
  CHECK(out.exit_code == 7);
}

#ifdef WASM_COMPONENT
TEST_CASE("a component compiled by Winch runs", "[wasm][component]") {
  Sandbox sb;
  Output out = CompilerRun{sb, "winch", {}}.run(WASM_COMPONENT, {"args"});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "argc=2\n/bin/probe.wasm\nargs\n");
}
#endif
