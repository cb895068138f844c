// Bad input fails cleanly: a non-zero exit, one clear line naming the field or
// path, and nothing left behind (no state dir, mount, process or cgroup).
#include <algorithm>
#include <cctype>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

// The container process names its id so a leaked one is found by leftovers().
Bundle marked_bundle(Sandbox& sb, const std::string& id) {
  return sb.bundle({"sh", "-c", "sleep 600; true", id});
}

bool contains_any(const std::string& text, const std::vector<std::string>& needles) {
  for (const auto& n : needles)
    if (text.find(n) != std::string::npos) return true;
  return false;
}

// Run `command` (create or run) on a bad bundle and check the failure is clean.
void expect_clean_failure(Sandbox& sb, const std::string& id, const std::vector<std::string>& args,
                          const std::vector<std::string>& message_names_one_of) {
  Output out = sb.skiff(args, {}, 20s);
  INFO(out.describe());
  CHECK_FALSE(out.timed_out);
  CHECK(out.exit_code != 0);
  CHECK(out.exit_code != 137);  // not a crash
  auto lines = out.err_lines();
  CHECK(lines.size() == 1);
  CAPTURE(message_names_one_of);
  CHECK(contains_any(out.err, message_names_one_of));
  CHECK(out.out.empty());
  auto left = sb.leftovers(id);
  CAPTURE(left);
  CHECK(left.empty());
  CHECK(sb.skiff({"state", id}).exit_code != 0);
}

}  // namespace

TEST_CASE("malformed config.json", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("badjson");
  Bundle b = marked_bundle(sb, id);
  write_file(b.dir / "config.json", "{\"ociVersion\": \"1.0.2\", \"process\": {");
  for (const char* cmd : {"create", "run"}) {
    INFO(cmd);
    expect_clean_failure(sb, id, {cmd, "--bundle", b.dir.string(), id}, {"config.json"});
  }
}

TEST_CASE("config.json missing", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("noconfig");
  Bundle b = marked_bundle(sb, id);
  fs::remove(b.dir / "config.json");
  expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id}, {"config.json"});
}

TEST_CASE("a field of the wrong type names its JSON path", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("badtype");
  Bundle b = marked_bundle(sb, id);
  b.config["process"]["args"] = "sh";  // must be an array
  b.save();
  expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id}, {"process.args"});
}

TEST_CASE("an unknown namespace type", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("badns");
  Bundle b = marked_bundle(sb, id);
  b.config["linux"]["namespaces"].push_back({{"type", "foo"}});
  b.save();
  for (const char* cmd : {"create", "run"}) {
    INFO(cmd);
    expect_clean_failure(sb, id, {cmd, "--bundle", b.dir.string(), id},
                         {"linux.namespaces[5].type"});
  }
  CHECK(sb.skiff({"create", "--bundle", b.dir.string(), id}).err.find("foo") !=
        std::string::npos);
}

TEST_CASE("a namespace path that does not exist", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("badnspath");
  Bundle b = marked_bundle(sb, id);
  b.add_namespace("network", (sb.dir / "no-such-netns").string());
  b.save();
  expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id},
                       {(sb.dir / "no-such-netns").string()});
}

TEST_CASE("a missing rootfs", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("norootfs");
  Bundle b = marked_bundle(sb, id);
  b.config["root"]["path"] = "no-such-rootfs";
  b.save();
  for (const char* cmd : {"create", "run"}) {
    INFO(cmd);
    expect_clean_failure(sb, id, {cmd, "--bundle", b.dir.string(), id},
                         {"no-such-rootfs", "root.path"});
  }
}

TEST_CASE("a bad mount option", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("badmount");
  SECTION("an option the filesystem rejects") {
    Bundle b = marked_bundle(sb, id);
    b.config["mounts"].push_back({{"destination", "/mnt"},
                                  {"type", "tmpfs"},
                                  {"source", "tmpfs"},
                                  {"options", {"nosuid", "frobnicate=1"}}});
    b.save();
    expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id},
                         {"mounts[6]", "/mnt", "frobnicate"});
  }
  SECTION("an option that is not a string") {
    Bundle b = marked_bundle(sb, id);
    b.config["mounts"].push_back({{"destination", "/mnt"},
                                  {"type", "tmpfs"},
                                  {"source", "tmpfs"},
                                  {"options", {"nosuid", 42}}});
    b.save();
    expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id},
                         {"mounts[6].options[1]"});
  }
  SECTION("a bind mount of a source that does not exist") {
    Bundle b = marked_bundle(sb, id);
    b.config["mounts"].push_back({{"destination", "/mnt"},
                                  {"type", "bind"},
                                  {"source", (sb.dir / "no-such-source").string()},
                                  {"options", {"rbind", "ro"}}});
    b.save();
    expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id},
                         {"no-such-source"});
  }
  SECTION("an unknown propagation for rootfsPropagation") {
    Bundle b = marked_bundle(sb, id);
    b.config["linux"]["rootfsPropagation"] = "sideways";
    b.save();
    expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id},
                         {"rootfsPropagation"});
  }
}

TEST_CASE("an executable that does not exist", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("noexe");
  Bundle b = sb.bundle({"/no/such/program", id});
  b.save();
  Output out = sb.skiff({"run", "--bundle", b.dir.string(), id}, {}, 20s);
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("/no/such/program") != std::string::npos);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("a duplicate container id", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("dup");
  Bundle b = marked_bundle(sb, id);
  b.save();
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  const int pid = sb.state(id).value("pid", 0);
  REQUIRE(pid > 0);

  Output again = sb.skiff({"create", "--bundle", b.dir.string(), id});
  INFO(again.describe());
  CHECK(again.exit_code != 0);
  CHECK(again.err_lines().size() == 1);
  CHECK(again.err.find(id) != std::string::npos);
  // The first container is untouched.
  json state = sb.state(id);
  CHECK(state.value("status", "") == "created");
  CHECK(state.value("pid", 0) == pid);

  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("a malformed container id", "[badinput]") {
  Sandbox sb;
  Bundle b = sb.bundle({"true"});
  b.save();
  for (std::string id : {"../x", "a/b", "..", ".", ""}) {
    INFO("id '" << id << "'");
    Output out = sb.skiff({"create", "--bundle", b.dir.string(), id});
    INFO(out.describe());
    CHECK(out.exit_code != 0);
    CHECK(out.err_lines().size() == 1);
    std::string err = out.err;
    std::transform(err.begin(), err.end(), err.begin(), ::tolower);
    CHECK(err.find("id") != std::string::npos);
    // No state entry, mount or process of this sandbox.
    CHECK_NO_LEFTOVERS(sb, sb.new_id("unused"));
    // Nothing escaped the state root either.
    CHECK_FALSE(fs::exists(sb.dir / "x"));
    CHECK_FALSE(fs::exists(sb.root / "a"));
  }
}

TEST_CASE("commands on a container that does not exist", "[badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("ghost");
  const std::vector<std::vector<std::string>> commands = {
      {"start", id}, {"state", id}, {"kill", id, "KILL"}, {"delete", id},
      {"exec", id, "true"}, {"ps", id}};
  for (const auto& args : commands) {
    INFO("skiff " << args[0]);
    Output out = sb.skiff(args);
    INFO(out.describe());
    CHECK(out.exit_code != 0);
    CHECK(out.err_lines().size() == 1);
    CHECK(out.err.find(id) != std::string::npos);
    CHECK(out.out.empty());
    CHECK_NO_LEFTOVERS(sb, id);
  }
}

TEST_CASE("--systemd-cgroup says it is not supported yet", "[badinput][cli]") {
  Sandbox sb;
  const std::string id = sb.new_id("systemd");
  Bundle b = marked_bundle(sb, id);
  b.save();
  Output out = sb.skiff({"--systemd-cgroup", "create", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("systemd") != std::string::npos);
  CHECK(out.err.find("not supported") != std::string::npos);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("a failing createRuntime hook leaves nothing behind", "[badinput][hooks]") {
  Sandbox sb;
  const std::string id = sb.new_id("badhook");
  Bundle b = marked_bundle(sb, id);
  b.config["hooks"] = {
      {"createRuntime", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 3"}}}}}};
  b.save();
  expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id},
                       {"createRuntime", "hook"});
}

TEST_CASE("a hook that outlives its timeout is killed and fails create", "[badinput][hooks]") {
  Sandbox sb;
  const std::string id = sb.new_id("slowhook");
  Bundle b = marked_bundle(sb, id);
  b.config["hooks"] = {
      {"prestart",
       {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "exec sleep 30"}}, {"timeout", 1}}}}};
  b.save();
  auto t0 = std::chrono::steady_clock::now();
  expect_clean_failure(sb, id, {"create", "--bundle", b.dir.string(), id}, {"prestart", "hook"});
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
}
