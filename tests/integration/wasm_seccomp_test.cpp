// linux.seccomp holds for a wasm container as for a native one: the init
// loads the filter at its stage (before the capabilities are dropped without
// noNewPrivileges, at the end of the setup for a notify listener) and the
// runner, which the init then executes, is under it; a filter whose stage is
// "right before execve" is loaded by the runner once it has reported Ready
// (after the startContainer hooks when there are any).
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

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
  SECTION("with noNewPrivileges: loaded by the runner") {
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

namespace {

// The Seccomp: line of a process's status ("0" none, "2" a filter).
std::string seccomp_mode_of(pid_t pid) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Seccomp:", 0) == 0) return trim(line.substr(8));
  return "";
}

}  // namespace

TEST_CASE("a filter left to the runner is loaded before start, after startContainer hooks", "[wasm][seccomp]") {
  Sandbox sb;
  Bundle b = mkdir_bundle(sb);
  b.config["linux"]["seccomp"] = deny_mkdir_profile();
  b.config["process"]["noNewPrivileges"] = true;
  fs::path out = b.bind_out();
  bool with_hook = false;
  SECTION("without hooks: while create returns") {}
  SECTION("with a startContainer hook: after the hook, which runs outside the filter (as with runc)") {
    with_hook = true;
    b.config["hooks"]["startContainer"] = {
        {{"path", "/bin/sh"}, {"args", {"sh", "-c", "grep '^Seccomp:' /proc/self/status > /out/hook"}}}};
  }
  b.save();
  const std::string id = sb.new_id("wasmfilter");
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  pid_t pid = sb.state(id)["pid"].get<pid_t>();
  if (!with_hook) {
    // The runner loads it right after it reports Ready: soon after create.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (seccomp_mode_of(pid) != "2" && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    CHECK(seccomp_mode_of(pid) == "2");
  }
  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "stopped"));
  if (with_hook) CHECK(trim(read_file(out / "hook")) == "Seccomp:\t0");
  CHECK(!fs::exists(b.rootfs / "tmp/made"));
  CHECK(sb.skiff({"delete", id}).exit_code == 0);
}
