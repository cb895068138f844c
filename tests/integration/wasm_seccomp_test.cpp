// linux.seccomp holds for a wasm container as for a native one: the init
// loads the filter at its stage (before the capabilities are dropped without
// noNewPrivileges, at the end of the setup for a notify listener) and the
// runner, which the init then executes, is under it; a filter whose stage is
// "right before execve" is loaded by the runner right before the module runs.
#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

Bundle mkdir_bundle(Sandbox& sb) {
  Bundle b = sb.bundle({"/bin/probe.wasm", "mkdir", "/tmp/made"});
  fs::copy_file(WASM_PROBE, b.rootfs / "bin/probe.wasm");
  b.config["root"]["readonly"] = false;
  return b;
}

json deny_mkdir_profile() {
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"architectures", {"SCMP_ARCH_X86_64"}},
          {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}}}}};
}

}  // namespace

TEST_CASE("a wasm module runs under the container's seccomp filter at every stage", "[wasm][seccomp]") {
  Sandbox sb;
  Bundle b = mkdir_bundle(sb);
  b.config["linux"]["seccomp"] = deny_mkdir_profile();
  SECTION("without noNewPrivileges: loaded by the init before the runner starts") {
    b.config["process"]["noNewPrivileges"] = false;
  }
  SECTION("with noNewPrivileges: loaded by the runner right before the module runs") {
    b.config["process"]["noNewPrivileges"] = true;
  }
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(out.out == "mkdir /tmp/made: Permission denied\n");
  CHECK(!fs::exists(b.rootfs / "tmp/made"));
}

TEST_CASE("a wasm module runs under skiff spec's default seccomp profile", "[wasm][seccomp]") {
  Sandbox sb;
  fs::path spec_dir = sb.dir / "spec";
  fs::create_directories(spec_dir);
  REQUIRE(sb.skiff({"spec", "--bundle", spec_dir.string()}).exit_code == 0);
  Bundle b = mkdir_bundle(sb);
  b.config["linux"]["seccomp"] = json::parse(read_file(spec_dir / "config.json"))["linux"]["seccomp"];
  SECTION("without noNewPrivileges") { b.config["process"]["noNewPrivileges"] = false; }
  SECTION("with noNewPrivileges") { b.config["process"]["noNewPrivileges"] = true; }
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "made /tmp/made\n");
}
