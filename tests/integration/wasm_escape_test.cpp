// The CVE-2019-5736 attack against a wasm container: its pid 1 is our runner
// skiff-wasm, dumpable once the module runs, so the container sees its
// /proc/1/exe. The init executes the runner from a detached read-only bind
// mount of the file (or a sealed memfd copy when the container could ptrace
// the runtime), so no process of the container can open it for writing
// (tests/integration/attack/exe_attacker.c --exe 1).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <functional>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

size_t content_hash(const fs::path& path) { return std::hash<std::string>{}(read_file(path)); }

bool has_line(const std::string& report, const std::string& line) {
  return ("\n" + report).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("a container cannot open the wasm runner for writing through /proc/1/exe",
          "[wasm][security][escape]") {
  Sandbox sb;
  // The attack, should it succeed, only reaches this copy.
  const fs::path runner = sb.dir / "skiff-wasm";
  fs::copy_file(wasm_runner(), runner);
  const size_t hash_before = content_hash(runner);

  Bundle b = sb.bundle({"/bin/probe.wasm", "sleep", "600"});
  fs::copy_file(WASM_PROBE, b.rootfs / "bin/probe.wasm");
  fs::copy_file(EXE_ATTACKER, b.rootfs / "bin/exe-attacker");
  bool sealed_expected = false;
  SECTION("default capabilities: a read-only bind of the runner") {}
  SECTION("CAP_SYS_PTRACE without a user namespace: a sealed copy") {
    for (const char* set : {"bounding", "effective", "permitted"})
      b.config["process"]["capabilities"][set].push_back("CAP_SYS_PTRACE");
    sealed_expected = true;
  }
  b.save();

  const std::string id = sb.new_id("wasmexe");
  Output run = sb.skiff({"--wasm-runner", runner.string(), "run", "-d", "--bundle", b.dir.string(), id});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "running"));
  Output attack = sb.skiff({"exec", id, "/bin/exe-attacker", "--exe", "1"});
  INFO(attack.describe());
  CHECK(attack.exit_code == 0);
  // The module's process is as visible as a native one would be...
  CHECK(has_line(attack.out, "exe-path ok"));
  // ...but its binary is never writable.
  CHECK(attack.out.find("opened") == std::string::npos);
  CHECK(attack.out.find("exe-written") == std::string::npos);
  if (sealed_expected) CHECK(has_line(attack.out, "exe-sealed 1"));
  else CHECK(has_line(attack.out, "exe-rdonly 1"));

  CHECK(sb.skiff({"kill", id, "KILL"}).exit_code == 0);
  CHECK(sb.wait_for_status(id, "stopped"));
  CHECK(sb.skiff({"delete", id}).exit_code == 0);
  CHECK(content_hash(runner) == hash_before);
  CHECK_NO_LEFTOVERS(sb, id);
}
