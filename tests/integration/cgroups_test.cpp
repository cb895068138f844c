// Resource limits, pause/resume, update, events and cgroup cleanup with real
// containers. Runs on the host (a hybrid host: the v1 driver) and, tagged
// [cgroup2], inside tools/cgroup2-tests' VM on a pure cgroup v2 hierarchy.
#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "cgroups/layout.hpp"
#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

constexpr int64_t kMiB = 1024 * 1024;

bool unified_host() { return skiff::cgroups::read_layout().mode == skiff::cgroups::Mode::Unified; }

// A control file of the container's cgroup (default cgroupsPath "/<id>"):
// v2_file on a cgroup v2 host, else v1_file in the v1 controller's hierarchy.
fs::path cgroup_file(const std::string& id, const std::string& controller,
                     const std::string& v2_file, const std::string& v1_file) {
  auto layout = skiff::cgroups::read_layout();
  if (layout.mode == skiff::cgroups::Mode::Unified)
    return fs::path(layout.unified.mountpoint) / id / v2_file;
  const auto* h = layout.find_v1(controller);
  REQUIRE(h != nullptr);
  return fs::path(h->mountpoint) / id / v1_file;
}

// The container's directory in every hierarchy (they must all go on delete).
std::vector<fs::path> cgroup_dirs(const std::string& id) {
  auto layout = skiff::cgroups::read_layout();
  std::vector<fs::path> dirs;
  if (layout.has_unified) dirs.push_back(fs::path(layout.unified.mountpoint) / id);
  for (const auto& h : layout.v1) dirs.push_back(fs::path(h.mountpoint) / id);
  return dirs;
}

void set_resources(Bundle& b, const json& resources) {
  b.config["linux"]["resources"] = resources;
  b.save();
}

void start_detached(Sandbox& sb, const Bundle& b, const std::string& id) {
  b.save();
  Output out = sb.skiff({"run", "--detach", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
}

std::string read_number(const fs::path& file) {
  std::error_code ec;
  return fs::exists(file, ec) ? trim(read_file(file)) : std::string("(missing)");
}

// Each line of `skiff events` output as JSON.
std::vector<json> event_lines(const std::string& out) {
  std::vector<json> events;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) events.push_back(json::parse(line));
  return events;
}

}  // namespace

TEST_CASE("memory.limit 32 MiB: allocating 100 MB is OOM-killed, run exits 137",
          "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"});
  set_resources(b, {{"memory", {{"limit", 32 * kMiB}}}});
  Output out = sb.run(b, {}, 60s);
  INFO(out.describe());
  CHECK(out.exit_code == 137);
}

TEST_CASE("events: an OOM kill in the container is reported, in the stream and in --stats",
          "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c",
                        "while [ ! -e /out/go ]; do sleep 0.1; done; "
                        "dd if=/dev/zero of=/dev/null bs=100M count=1; sleep 600"});
  fs::path out_dir = b.bind_out();
  set_resources(b, {{"memory", {{"limit", 32 * kMiB}}}});
  const std::string id = sb.new_id("oom");
  start_detached(sb, b, id);
  Child events = sb.skiff_async({"events", "--interval", "1h", id}, {}, 90s);
  std::this_thread::sleep_for(2s);  // let it register its watch before the OOM
  write_file(out_dir / "go", "");
  // The shell survives its dd child; the OOM count shows in the stats.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  json stats;
  do {
    std::this_thread::sleep_for(200ms);
    Output s = sb.skiff({"events", "--stats", id});
    REQUIRE(s.exit_code == 0);
    stats = json::parse(s.out);
  } while (stats["data"]["memory"]["event_count"].value("oom_kill", 0) == 0 &&
           std::chrono::steady_clock::now() < deadline);
  CAPTURE(stats.dump());
  CHECK(stats["data"]["memory"]["event_count"]["oom_kill"] == 1);
  // The stream ends when the container stops, after reporting the OOM.
  REQUIRE(sb.skiff({"kill", id, "KILL"}).exit_code == 0);
  Output streamed = events.wait();
  INFO(streamed.describe());
  REQUIRE(streamed.exit_code == 0);
  auto lines = event_lines(streamed.out);
  REQUIRE(lines.size() >= 2);
  CHECK(lines.front()["type"] == "stats");
  CHECK(std::count(lines.begin(), lines.end(), json{{"type", "oom"}, {"id", id}}) == 1);
  REQUIRE(sb.skiff({"delete", id}).exit_code == 0);
}

TEST_CASE("pids.limit 5: the sixth concurrent process fails to fork", "[limits][cgroup2]") {
  Sandbox sb;
  // The shell is the first process, four sleeps make five, the fifth sleep is the sixth;
  // a shell that cannot fork gives up.
  Bundle b = sb.bundle({"sh", "-c", "for i in 1 2 3 4 5; do sleep 30 & echo started $i; done"});
  set_resources(b, {{"pids", {{"limit", 5}}}});
  Output out = sb.run(b, {}, 60s);
  INFO(out.describe());
  CHECK(out.out == "started 1\nstarted 2\nstarted 3\nstarted 4\n");
  CHECK(out.err.find("can't fork") != std::string::npos);
}

TEST_CASE("v1-only fields: written on v1, dropped with a warning on cgroup v2 (as runc drops them)",
          "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"true"});
  set_resources(b, {{"memory", {{"limit", 64 * kMiB}, {"swappiness", 60}}}});
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  const bool warned =
      out.err.find("linux.resources.memory.swappiness: ignored: cgroup v2 has no equivalent") != std::string::npos;
  CHECK(warned == unified_host());
}

TEST_CASE("cpu quota 50000/100000 is what the container's cgroup reads", "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  set_resources(b, {{"cpu", {{"quota", 50000}, {"period", 100000}}}});
  if (unified_host()) {  // through the container's own cgroup namespace and mount
    b.add_namespace("cgroup");
    b.config["mounts"].push_back({{"destination", "/sys/fs/cgroup"},
                                  {"type", "cgroup"},
                                  {"source", "cgroup"},
                                  {"options", {"nosuid", "noexec", "nodev", "ro"}}});
    b.set_args({"cat", "/sys/fs/cgroup/cpu.max"});
    Output out = sb.run(b);
    INFO(out.describe());
    REQUIRE(out.exit_code == 0);
    CHECK(trim(out.out) == "50000 100000");
    return;
  }
  const std::string id = sb.new_id("cpu");
  start_detached(sb, b, id);
  CHECK(read_number(cgroup_file(id, "cpu", "cpu.max", "cpu.cfs_quota_us")) == "50000");
  CHECK(read_number(cgroup_file(id, "cpu", "cpu.max", "cpu.cfs_period_us")) == "100000");
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
}

TEST_CASE("pause freezes every process, resume thaws them", "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c",
                        "count() { while :; do echo x >> /out/$1; done; }; "
                        "count a & count b & wait"});
  fs::path out_dir = b.bind_out();
  const std::string id = sb.new_id("pause");
  start_detached(sb, b, id);
  auto counters = [&] {
    std::error_code ec;
    return std::to_string(fs::file_size(out_dir / "a", ec)) + "/" +
           std::to_string(fs::file_size(out_dir / "b", ec));
  };
  std::this_thread::sleep_for(500ms);
  REQUIRE(sb.skiff({"pause", id}).exit_code == 0);
  CHECK(sb.state(id)["status"] == "paused");
  std::string frozen = counters();
  std::this_thread::sleep_for(500ms);
  CHECK(counters() == frozen);
  CHECK(sb.skiff({"exec", id, "true"}).exit_code != 0);  // like runc: no exec into a paused one
  REQUIRE(sb.skiff({"resume", id}).exit_code == 0);
  CHECK(sb.state(id)["status"] == "running");
  std::this_thread::sleep_for(500ms);
  CHECK(counters() != frozen);
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("update changes the limits of a running container and records them",
          "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  set_resources(b, {{"memory", {{"limit", 32 * kMiB}}}, {"pids", {{"limit", 10}}}});
  const std::string id = sb.new_id("update");
  start_detached(sb, b, id);
  fs::path memory = cgroup_file(id, "memory", "memory.max", "memory.limit_in_bytes");
  fs::path pids = cgroup_file(id, "pids", "pids.max", "pids.max");
  CHECK(read_number(memory) == std::to_string(32 * kMiB));

  Output out = sb.skiff({"update", "--memory", "64m", "--pids-limit", "20", id});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(read_number(memory) == std::to_string(64 * kMiB));
  CHECK(read_number(pids) == "20");

  // -r: a linux.resources document; what it leaves out keeps its value.
  out = sb.skiff({"update", "-r", "-", id}, R"({"pids": {"limit": 30}})");
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(read_number(pids) == "30");
  CHECK(read_number(memory) == std::to_string(64 * kMiB));
  json saved = json::parse(read_file(sb.root / id / "state.json"));
  CAPTURE(saved.dump());
  CHECK(saved.dump().find("\"limit\":30") != std::string::npos);

  out = sb.skiff({"update", "-r", "-", id}, R"({"memory": {"limit": "lots"}})");
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("linux.resources.memory.limit") != std::string::npos);
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
}

TEST_CASE("events --stats prints one runc-shaped stats event", "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "sleep 600 & sleep 600"});
  set_resources(b, {{"memory", {{"limit", 64 * kMiB}}}, {"pids", {{"limit", 50}}}});
  const std::string id = sb.new_id("stats");
  start_detached(sb, b, id);
  Output out = sb.skiff({"events", "--stats", id});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  REQUIRE(event_lines(out.out).size() == 1);
  json event = json::parse(out.out);
  CHECK(event["type"] == "stats");
  CHECK(event["id"] == id);
  const json& data = event["data"];
  for (const char* key : {"cpu", "memory", "pids", "blkio", "hugetlb"}) {
    INFO(key);
    CHECK(data[key].is_object());
  }
  CHECK(data["cpu"]["usage"]["total"].get<uint64_t>() > 0);
  CHECK(data["memory"]["usage"]["usage"].get<uint64_t>() > 0);
  CHECK(data["memory"]["usage"]["limit"] == 64 * kMiB);
  CHECK(data["pids"]["current"] == 2);  // sh runs the last sleep in its own process
  CHECK(data["pids"]["limit"] == 50);
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
  CHECK(sb.skiff({"events", "--stats", id}).exit_code != 0);
}

TEST_CASE("kill --all reaches every process of the container", "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "sleep 600 & sleep 600 & sleep 600"});
  const std::string id = sb.new_id("killall");
  start_detached(sb, b, id);
  REQUIRE(sb.wait_for_status(id, "running"));
  Output out = sb.skiff({"kill", "--all", id, "KILL"});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(sb.wait_for_status(id, "stopped"));
  std::string procs = read_number(cgroup_file(id, "pids", "cgroup.procs", "cgroup.procs"));
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!procs.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    procs = read_number(cgroup_file(id, "pids", "cgroup.procs", "cgroup.procs"));
  }
  CHECK(procs.empty());
  REQUIRE(sb.skiff({"delete", id}).exit_code == 0);
}

TEST_CASE("delete removes the cgroup; 100 create/delete cycles leave none", "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  set_resources(b, {{"memory", {{"limit", 64 * kMiB}}}, {"pids", {{"limit", 20}}}});
  b.save();
  for (int cycle = 0; cycle < 100; ++cycle) {
    const std::string id = sb.new_id("cycle");
    Output out = sb.skiff({"create", "--bundle", b.dir.string(), id});
    INFO("cycle " << cycle << ": " << out.describe());
    REQUIRE(out.exit_code == 0);
    if (cycle % 2) REQUIRE(sb.skiff({"start", id}).exit_code == 0);
    out = sb.skiff({"delete", "--force", id});
    REQUIRE(out.exit_code == 0);
    for (const auto& dir : cgroup_dirs(id)) {
      INFO(dir);
      REQUIRE_FALSE(fs::exists(dir));
    }
  }
}

TEST_CASE("delete --force waits for the cgroup of many processes to drain", "[limits][cgroup2]") {
  Sandbox sb;
  // 40 processes touching memory, and no pid namespace whose end would make
  // the kernel kill and reap them along with the init: delete signals them,
  // and they leave the cgroup only as each one exits.
  Bundle b = sb.bundle({"sh", "-c",
                        "i=0; while [ $i -lt 40 ]; do dd if=/dev/zero of=/dev/null bs=4M & "
                        "i=$((i+1)); done; wait"});
  b.remove_namespace("pid");
  set_resources(b, {{"pids", {{"limit", 100}}}});
  const std::string id = sb.new_id("drain");
  start_detached(sb, b, id);
  std::string procs;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  do {  // all 41 processes are in the cgroup
    std::this_thread::sleep_for(20ms);
    procs = read_number(cgroup_file(id, "pids", "cgroup.procs", "cgroup.procs"));
  } while (std::count(procs.begin(), procs.end(), '\n') < 40 &&
           std::chrono::steady_clock::now() < deadline);
  Output out = sb.skiff({"delete", "--force", id});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  for (const auto& dir : cgroup_dirs(id)) {
    INFO(dir);
    CHECK_FALSE(fs::exists(dir));
  }
}

TEST_CASE("library: a stopped container's stats still count its OOM kill (what the shim reads)",
          "[limits][cgroup2][library]") {
  Sandbox sb;
  SubreaperScope reaper;
  Bundle b = sb.bundle({"dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"});
  set_resources(b, {{"memory", {{"limit", 32 * kMiB}}}});
  b.save();
  skiff::Runtime rt = sb.runtime();
  const std::string id = sb.new_id("libstats");
  skiff::CreateOptions create;
  create.bundle = b.dir.string();
  rt.create(id, create);
  rt.start(id);
  CHECK(rt.wait(id) == 137);
  REQUIRE(rt.state(id).status == skiff::Status::Stopped);

  skiff::ContainerStats stats = rt.stats(id);
  CHECK(stats.cgroup_version == (unified_host() ? 2 : 1));
  CHECK(stats.oom_kills >= 1);
  json data = json::parse(stats.json);
  for (const char* key : {"cpu", "memory", "pids", "blkio", "hugetlb"}) {
    INFO(key);
    CHECK(data[key].is_object());
  }
  CHECK(data["memory"]["event_count"].value("oom_kill", 0) >= 1);
  // Streaming events and changing limits need a live container.
  auto sink = [](std::string_view, std::string_view) { return false; };
  CHECK_THROWS_WITH(rt.events(id, 1s, sink), Catch::Contains("it is not running"));
  CHECK_THROWS_WITH(rt.update(id, R"({"pids": {"limit": 10}})"),
                    Catch::Contains("it is not running"));
  rt.remove(id);
  CHECK_THROWS(rt.stats(id));
}

TEST_CASE("a cgroup namespace shows the container its own cgroup as /", "[limits][cgroup2]") {
  Sandbox sb;
  Bundle b = sb.bundle({"cat", "/proc/self/cgroup"});
  b.add_namespace("cgroup");
  set_resources(b, {{"pids", {{"limit", 20}}}});
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  // "0::/" on v2; on a hybrid host also "N:controllers:/" per v1 hierarchy.
  std::istringstream lines(out.out);
  int seen = 0;
  for (std::string line; std::getline(lines, line); ++seen) {
    INFO(line);
    CHECK(line.ends_with(":/"));
  }
  CHECK(seen >= 1);
  if (unified_host()) CHECK(trim(out.out) == "0::/");
}
