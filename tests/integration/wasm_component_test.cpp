// WASI preview 2 command components (wasi:cli/run): the probe module of the
// other wasm tests made a component by jco (`jco new --wasi-command`,
// WASM_COMPONENT); without jco at build time these tests are left out.
#include <catch2/catch.hpp>

#include "integration/harness.hpp"

#ifdef WASM_COMPONENT

using namespace skiff_test;

namespace {

Bundle component_bundle(Sandbox& sb, std::vector<std::string> probe_args) {
  std::vector<std::string> args{"/bin/probe.component.wasm"};
  args.insert(args.end(), probe_args.begin(), probe_args.end());
  Bundle b = sb.bundle(args);
  fs::copy_file(WASM_COMPONENT, b.rootfs / "bin/probe.component.wasm");
  fs::permissions(b.rootfs / "bin/probe.component.wasm", fs::perms(0755));
  return b;
}

}  // namespace

TEST_CASE("a WASI preview 2 command component runs as the container's process", "[wasm][component]") {
  Sandbox sb;
  SECTION("args and env") {
    Bundle b = component_bundle(sb, {"env", "GREETING"});
    b.config["process"]["env"].push_back("GREETING=from p2");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "GREETING=from p2\n");
    b.set_args({"/bin/probe.component.wasm", "args", "two words"});
    Output args = sb.run(b);
    INFO(args.describe());
    CHECK(args.out == "argc=3\n/bin/probe.component.wasm\nargs\ntwo words\n");
  }
  SECTION("reads the rootfs, echoes stdin") {
    Bundle b = component_bundle(sb, {"cat", "/etc/greeting"});
    write_file(b.rootfs / "etc/greeting", "hello p2\n");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "hello p2\n");
    b.set_args({"/bin/probe.component.wasm", "echo"});
    Output echo = sb.run(b, std::string("in\n"));
    INFO(echo.describe());
    CHECK(echo.out == "in\n");
  }
  SECTION("exit codes: WASI 0.2's wasi:cli/exit carries success or failure only") {
    Output out = sb.run(component_bundle(sb, {"exit", "42"}));
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    Output zero = sb.run(component_bundle(sb, {"exit", "0"}));
    INFO(zero.describe());
    CHECK(zero.exit_code == 0);
    Output unknown = sb.run(component_bundle(sb, {"no-such-command"}));
    INFO(unknown.describe());
    CHECK(unknown.exit_code == 1);
    CHECK(unknown.err == "probe: unknown command no-such-command\n");
  }
  SECTION("the memory limit bounds it too") {
    Bundle b = component_bundle(sb, {"grow", "512"});
    b.config["linux"]["resources"]["memory"]["limit"] = 64 << 20;
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out.rfind("refused at ", 0) == 0);
  }
}

TEST_CASE("a compiled component is cached and loaded on the second start", "[wasm][component]") {
  Sandbox sb;
  const fs::path cache = sb.dir / "wasm-cache";
  Bundle b = component_bundle(sb, {"args"});
  b.save();
  auto run = [&] { return sb.skiff({"--wasm-cache", cache.string(), "run", "--bundle", b.dir.string(), sb.new_id("p2")}); };
  Output first = run();
  INFO(first.describe());
  CHECK(first.exit_code == 0);
  CHECK(first.out == "argc=2\n/bin/probe.component.wasm\nargs\n");
  REQUIRE(wasm_cache_entries(cache).size() == 1);
  const auto entry = wasm_cache_entries(cache).front();
  const auto stored = fs::last_write_time(entry);
  Output second = run();
  INFO(second.describe());
  CHECK(second.exit_code == 0);
  CHECK(second.out == first.out);
  CHECK(fs::last_write_time(entry) == stored);
}

TEST_CASE("a component that is no WASI command fails the create, naming the module", "[wasm][component][badinput]") {
  Sandbox sb;
  Bundle b = sb.bundle({"/app.wat"});
  b.config["annotations"] = {{"run.oci.handler", "wasm"}};
  std::string expected;
  SECTION("an import WASI does not provide") {
    write_file(b.rootfs / "app.wat", "(component (import \"acme:nowhere/api\" (instance)))\n");
    expected = "skiff: wasm module /app.wat: imports \"acme:nowhere/api\", which WASI preview 2 does not provide";
  }
  SECTION("no wasi:cli/run export") {
    write_file(b.rootfs / "app.wat", "(component)\n");
    expected = "skiff: wasm module /app.wat: no \"wasi:cli/run@0.2\" export (not a WASI preview 2 command component)";
  }
  b.save();
  const std::string id = sb.new_id("badp2");
  Output out = sb.skiff({"run", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(trim(out.err) == expected);
  CHECK_NO_LEFTOVERS(sb, id);
}

#endif  // WASM_COMPONENT
