// CLI surface: --version, features, spec, logging flags.
#include <algorithm>
#include <csignal>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

TEST_CASE("--version names skiff and lists compiled-in features", "[cli]") {
  Output out = run_command({.argv = {skiff_binary(), "--version"}});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out.find("skiff") != std::string::npos);
  CHECK(split_words(out.out).size() > 2);
}

TEST_CASE("features prints the runtime-spec features document", "[cli]") {
  Output out = run_command({.argv = {skiff_binary(), "features"}});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  json features = json::parse(out.out);
  CHECK(features.value("ociVersionMin", "").rfind("1.0", 0) == 0);
  CHECK(features.contains("ociVersionMax"));
  CHECK(features["hooks"].is_array());
  CHECK(features["mountOptions"].is_array());
  auto namespaces = features["linux"]["namespaces"];
  for (const char* ns : {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}) {
    INFO(ns);
    CHECK(std::find(namespaces.begin(), namespaces.end(), json(ns)) != namespaces.end());
  }
}

TEST_CASE("spec writes a config.json that runs as is", "[cli][spec]") {
  Sandbox sb;
  Bundle b = sb.bundle();  // for its rootfs
  fs::remove(b.dir / "config.json");
  Output spec = sb.skiff({"spec", "--bundle", b.dir.string()});
  INFO(spec.describe());
  REQUIRE(spec.exit_code == 0);
  json config = json::parse(read_file(b.dir / "config.json"));
  CHECK(config["root"].value("path", "") == "rootfs");
  CHECK(config["process"]["args"].is_array());
  // Refuses to overwrite an existing config.json, as runc does.
  CHECK(sb.skiff({"spec", "--bundle", b.dir.string()}).exit_code != 0);

  config["process"]["terminal"] = false;
  config["process"]["args"] = {"sh", "-c", "echo spec-ok"};
  write_file(b.dir / "config.json", config.dump());
  Output run = sb.skiff({"run", "--bundle", b.dir.string(), sb.new_id("spec")});
  INFO(run.describe());
  CHECK(run.exit_code == 0);
  CHECK(run.out == "spec-ok\n");
}

TEST_CASE("spec --rootless uses a user namespace", "[cli][spec]") {
  Sandbox sb;
  Output spec = sb.skiff({"spec", "--rootless", "--bundle", sb.dir.string()});
  INFO(spec.describe());
  REQUIRE(spec.exit_code == 0);
  json config = json::parse(read_file(sb.dir / "config.json"));
  bool user = false;
  for (const auto& ns : config["linux"]["namespaces"]) user |= ns.value("type", "") == "user";
  CHECK(user);
  CHECK(config["linux"]["uidMappings"].is_array());
}

TEST_CASE("--log with --log-format json writes JSON lines", "[cli][log]") {
  Sandbox sb;
  fs::path log = sb.dir / "skiff.log";
  Output out = sb.skiff({"--log", log.string(), "--log-format", "json", "state", "no-such-id"});
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  REQUIRE(fs::exists(log));
  std::string text = read_file(log);
  INFO(text);
  REQUIRE_FALSE(trim(text).empty());
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (trim(line).empty()) continue;
    json entry = json::parse(line, nullptr, false);
    CHECK_FALSE(entry.is_discarded());
    CHECK(entry.contains("msg"));
    CHECK(entry.contains("level"));
  }
  CHECK(text.find("no-such-id") != std::string::npos);
}

TEST_CASE("an unknown command fails with usage", "[cli]") {
  Output out = run_command({.argv = {skiff_binary(), "frobnicate"}});
  CHECK(out.exit_code != 0);
  CHECK_FALSE(out.err.empty());
}

TEST_CASE("the example program runs a bundle through the library", "[example][library]") {
  fs::path example = fs::path(skiff_binary()).parent_path() / "skiff-example";
  REQUIRE(fs::exists(example));
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo inside; exit 3"});
  b.save();
  const std::string id = sb.new_id("example");
  Output out = run_command(
      {.argv = {example.string(), b.dir.string(), id, "--root", sb.root.string()}});
  INFO(out.describe());
  CHECK(out.exit_code == 3);
  CHECK(out.out == "inside\ncontainer " + id + " exited with code 3\n");
  CHECK_NO_LEFTOVERS(sb, id);
}

namespace {

// The container traps TERM, says so through /out, and exits 3 when it gets it.
constexpr const char* kTrapScript =
    "trap 'echo got-term; exit 3' TERM; touch /out/ready; while :; do sleep 0.05; done";

bool wait_for_file(const fs::path& path) {
  for (int i = 0; i < 400 && !fs::exists(path); ++i) std::this_thread::sleep_for(25ms);
  return fs::exists(path);
}

}  // namespace

TEST_CASE("a foreground run forwards SIGTERM to the container", "[cli][signals]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", kTrapScript});
  fs::path out = b.bind_out();
  b.save();
  Child run = sb.skiff_async({"run", "--bundle", b.dir.string(), sb.new_id("sig")});
  REQUIRE(wait_for_file(out / "ready"));
  REQUIRE(::kill(run.pid(), SIGTERM) == 0);
  Output result = run.wait();
  INFO(result.describe());
  CHECK(result.exit_code == 3);
  CHECK(result.out == "got-term\n");
}

TEST_CASE("a foreground exec forwards SIGTERM to its process", "[cli][signals]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "60"});
  fs::path out = b.bind_out();
  b.save();
  std::string id = sb.new_id("sigexec");
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
  Child exec = sb.skiff_async({"exec", id, "sh", "-c", kTrapScript});
  REQUIRE(wait_for_file(out / "ready"));
  REQUIRE(::kill(exec.pid(), SIGTERM) == 0);
  Output result = exec.wait();
  INFO(result.describe());
  CHECK(result.exit_code == 3);
  CHECK(result.out == "got-term\n");
  CHECK(sb.skiff({"delete", "--force", id}).exit_code == 0);
}
