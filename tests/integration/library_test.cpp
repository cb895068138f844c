// The same life cycle through the C++ API (skiff::Runtime), no CLI involved.
#include <signal.h>

#include <algorithm>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

bool has_id(const std::vector<skiff::ContainerState>& list, const std::string& id) {
  return std::any_of(list.begin(), list.end(), [&](const auto& c) { return c.id == id; });
}

}  // namespace

TEST_CASE("library: create, start, state, exec, kill, wait, remove, list", "[library][lifecycle]") {
  Sandbox sb;
  SubreaperScope reaper;
  Bundle b = sb.bundle({"sleep", "600"});
  fs::path out = b.bind_out();
  b.config["annotations"] = {{"org.skiff.lib", "yes"}};
  b.save();
  skiff::Runtime rt = sb.runtime();
  const std::string id = sb.new_id("lib");

  skiff::CreateOptions create;
  create.bundle = b.dir.string();
  skiff::ContainerState created = rt.create(id, create);
  CHECK(created.id == id);
  CHECK(created.status == skiff::Status::Created);
  CHECK(created.pid > 0);

  skiff::ContainerState state = rt.state(id);
  CHECK(state.status == skiff::Status::Created);
  CHECK(state.pid == created.pid);
  CHECK(fs::equivalent(state.bundle, b.dir));
  CHECK(state.annotations.at("org.skiff.lib") == "yes");
  CHECK(std::string(skiff::status_name(state.status)) == "created");
  json state_json = json::parse(state.to_json());
  CHECK(state_json.value("id", "") == id);
  CHECK(state_json.value("status", "") == "created");
  CHECK(state_json.value("pid", 0) == created.pid);

  auto listed = rt.list();
  CHECK(has_id(listed, id));
  // The CLI sees what the library made.
  CHECK(sb.state(id).value("status", "") == "created");

  rt.start(id);
  CHECK(rt.state(id).status == skiff::Status::Running);

  skiff::ExecOptions exec;
  exec.args = {"sh", "-c",
               "cat /proc/1/comm > /out/comm; readlink /proc/self/ns/pid > /out/ns; exit 6"};
  skiff::ProcessInfo exec_info = rt.exec(id, exec);
  CHECK(exec_info.exit_code == 6);
  CHECK(read_file(out / "comm") == "sleep\n");
  CHECK(trim(read_file(out / "ns")) ==
        read_link("/proc/" + std::to_string(created.pid) + "/ns/pid"));

  auto pids = rt.pids(id);
  CHECK(std::find(pids.begin(), pids.end(), created.pid) != pids.end());

  rt.kill(id, SIGKILL);
  CHECK(rt.wait(id) == 128 + SIGKILL);
  CHECK(rt.state(id).status == skiff::Status::Stopped);

  rt.remove(id);
  CHECK_THROWS_AS(rt.state(id), skiff::Error);
  CHECK_FALSE(has_id(rt.list(), id));
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("library: run in the foreground returns the exit code", "[library][run]") {
  Sandbox sb;
  SubreaperScope reaper;
  Bundle b = sb.bundle({"sh", "-c", "echo $$ > /out/pid; hostname > /out/host; exit 7"});
  fs::path out = b.bind_out();
  b.config["hostname"] = "from-library";
  b.save();
  skiff::Runtime rt = sb.runtime();
  const std::string id = sb.new_id("librun");
  skiff::CreateOptions create;
  create.bundle = b.dir.string();
  skiff::ProcessInfo info = rt.run(id, create, {});
  CHECK(info.exit_code == 7);
  CHECK(read_file(out / "pid") == "1\n");
  CHECK(read_file(out / "host") == "from-library\n");
  // Removed without keep.
  CHECK_FALSE(has_id(rt.list(), id));
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("library: run with keep leaves a stopped container", "[library][run]") {
  Sandbox sb;
  SubreaperScope reaper;
  Bundle b = sb.bundle({"sh", "-c", "kill -9 $$"});
  b.remove_namespace("pid");
  b.save();
  skiff::Runtime rt = sb.runtime();
  const std::string id = sb.new_id("libkeep");
  skiff::CreateOptions create;
  create.bundle = b.dir.string();
  skiff::RunOptions run;
  run.keep = true;
  CHECK(rt.run(id, create, run).exit_code == 137);
  CHECK(rt.state(id).status == skiff::Status::Stopped);
  rt.remove(id);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("library: errors are skiff::Error and leave nothing behind", "[library][badinput]") {
  Sandbox sb;
  skiff::Runtime rt = sb.runtime();
  const std::string id = sb.new_id("liberr");
  Bundle b = sb.bundle({"sh", "-c", "sleep 600; true", id});
  skiff::CreateOptions create;
  create.bundle = b.dir.string();

  SECTION("unknown namespace") {
    b.config["linux"]["namespaces"].push_back({{"type", "foo"}});
    b.save();
    try {
      rt.create(id, create);
      FAIL("create succeeded");
    } catch (const skiff::Error& e) {
      CHECK(std::string(e.what()).find("linux.namespaces[5].type") != std::string::npos);
    }
  }
  SECTION("missing rootfs") {
    b.config["root"]["path"] = "nowhere";
    b.save();
    CHECK_THROWS_AS(rt.create(id, create), skiff::Error);
  }
  SECTION("malformed id") {
    b.save();
    CHECK_THROWS_AS(rt.create("../escape", create), skiff::Error);
    CHECK_FALSE(fs::exists(sb.dir / "escape"));
  }
  SECTION("nonexistent container") {
    CHECK_THROWS_AS(rt.start(id), skiff::Error);
    CHECK_THROWS_AS(rt.state(id), skiff::Error);
    CHECK_THROWS_AS(rt.kill(id, SIGKILL), skiff::Error);
    CHECK_THROWS_AS(rt.remove(id), skiff::Error);
  }
  CHECK_NO_LEFTOVERS(sb, id);
  CHECK(rt.list().empty());
}

TEST_CASE("library: parse_signal, features, default spec", "[library]") {
  CHECK(skiff::parse_signal("KILL") == SIGKILL);
  CHECK(skiff::parse_signal("SIGTERM") == SIGTERM);
  CHECK(skiff::parse_signal("9") == 9);
  CHECK_THROWS_AS(skiff::parse_signal("NOPE"), skiff::Error);
  json features = json::parse(skiff::features_json());
  CHECK(features.contains("ociVersionMin"));
  CHECK(features.contains("ociVersionMax"));
  json spec = json::parse(skiff::default_spec_json(false));
  CHECK(spec["root"].value("path", "") == "rootfs");
  json rootless = json::parse(skiff::default_spec_json(true));
  bool has_user = false;
  for (const auto& ns : rootless["linux"]["namespaces"]) has_user |= ns.value("type", "") == "user";
  CHECK(has_user);
}
