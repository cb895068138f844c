// The create/start split and the life cycle through the CLI:
// create -> created -> start -> running -> exec -> kill -> stopped -> delete -> gone.
#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

// Each namespace's /proc/<pid>/ns entry name, as seen from the host.
const std::vector<std::string> kNsFiles = {"pid", "mnt", "uts", "ipc", "net", "cgroup", "user",
                                           "time"};

bool listed(const json& list, const std::string& id, const std::string& status) {
  for (const auto& c : list)
    if (c.value("id", "") == id) return c.value("status", "") == status;
  return false;
}

bool listed_at_all(const json& list, const std::string& id) {
  for (const auto& c : list)
    if (c.value("id", "") == id) return true;
  return false;
}

json list_json(Sandbox& sb) {
  Output out = sb.skiff({"list", "--format", "json"});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  json parsed = json::parse(out.out.empty() ? std::string("[]") : out.out);
  if (parsed.is_null()) parsed = json::array();
  REQUIRE(parsed.is_array());
  return parsed;
}

// `exec` readlink of every namespace from inside, compared to the init's from the host.
void check_exec_joins_namespaces(Sandbox& sb, const std::string& id, int init_pid) {
  std::string script;
  for (const auto& ns : kNsFiles) script += "readlink /proc/self/ns/" + ns + "; ";
  Output out = sb.skiff({"exec", id, "sh", "-c", script});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  auto inside = split_words(out.out);
  REQUIRE(inside.size() == kNsFiles.size());
  for (size_t i = 0; i < kNsFiles.size(); ++i) {
    INFO("namespace " << kNsFiles[i]);
    CHECK(inside[i] == read_link("/proc/" + std::to_string(init_pid) + "/ns/" + kNsFiles[i]));
  }
}

}  // namespace

TEST_CASE("create, start, exec, kill, delete through the CLI", "[lifecycle]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.config["annotations"] = {{"org.skiff.test", "lifecycle"}};
  b.save();
  const std::string id = sb.new_id("life");

  Output create = sb.skiff({"create", "--bundle", b.dir.string(), id});
  INFO(create.describe());
  REQUIRE(create.exit_code == 0);

  json state = sb.state(id);
  CHECK(state.value("id", "") == id);
  CHECK(state.value("status", "") == "created");
  CHECK(state.contains("ociVersion"));
  CHECK(fs::equivalent(state.value("bundle", "/nonexistent"), b.dir));
  const int pid = state.value("pid", 0);
  REQUIRE(pid > 0);
  CHECK(fs::exists("/proc/" + std::to_string(pid)));
  CHECK(state["annotations"].value("org.skiff.test", "") == "lifecycle");
  CHECK(listed(list_json(sb), id, "created"));

  // The init has not run its process yet.
  CHECK(read_file("/proc/" + std::to_string(pid) + "/comm") != "sleep\n");

  Output start = sb.skiff({"start", id});
  INFO(start.describe());
  REQUIRE(start.exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "running"));
  CHECK(sb.state(id).value("pid", 0) == pid);
  CHECK(listed(list_json(sb), id, "running"));

  // A second start of a running container is refused.
  CHECK(sb.skiff({"start", id}).exit_code != 0);

  SECTION("exec sees the init as pid 1 and joins every namespace") {
    Output comm = sb.skiff({"exec", id, "sh", "-c", "cat /proc/1/comm; echo $$"});
    INFO(comm.describe());
    REQUIRE(comm.exit_code == 0);
    auto words = split_words(comm.out);
    REQUIRE(words.size() == 2);
    CHECK(words[0] == "sleep");
    CHECK(words[1] != "1");
    check_exec_joins_namespaces(sb, id, pid);
  }
  SECTION("exec reports the process's exit code") {
    Output out = sb.skiff({"exec", id, "sh", "-c", "echo from-exec; exit 5"});
    INFO(out.describe());
    CHECK(out.exit_code == 5);
    CHECK(out.out == "from-exec\n");
  }
  SECTION("exec --env --cwd --user") {
    Output out = sb.skiff({"exec", "--env", "GREETING=ahoy", "--cwd", "/tmp", "--user", "1000:1000",
                           id, "sh", "-c", "echo $GREETING; pwd; id -u; id -g"});
    INFO(out.describe());
    REQUIRE(out.exit_code == 0);
    CHECK(out.out == "ahoy\n/tmp\n1000\n1000\n");
  }
  SECTION("exec --process FILE") {
    json process = {{"args", {"sh", "-c", "echo $WHO; pwd; exit 4"}},
                    {"env", {"PATH=/bin:/usr/bin", "WHO=process-file"}},
                    {"cwd", "/etc"},
                    {"user", {{"uid", 0}, {"gid", 0}}}};
    write_file(sb.dir / "process.json", process.dump());
    Output out = sb.skiff({"exec", "--process", (sb.dir / "process.json").string(), id});
    INFO(out.describe());
    CHECK(out.exit_code == 4);
    CHECK(out.out == "process-file\n/etc\n");
  }
  SECTION("exec --detach --pid-file") {
    fs::path pid_file = sb.dir / "exec.pid";
    Output out = sb.skiff({"exec", "-d", "--pid-file", pid_file.string(), id, "sleep", "300"});
    INFO(out.describe());
    REQUIRE(out.exit_code == 0);
    int exec_pid = std::stoi(trim(read_file(pid_file)));
    CHECK(exec_pid > 0);
    CHECK(read_file("/proc/" + std::to_string(exec_pid) + "/comm") == "sleep\n");
    CHECK(read_link("/proc/" + std::to_string(exec_pid) + "/ns/pid") ==
          read_link("/proc/" + std::to_string(pid) + "/ns/pid"));
  }
  SECTION("ps lists the init") {
    Output out = sb.skiff({"ps", "--format", "json", id});
    INFO(out.describe());
    REQUIRE(out.exit_code == 0);
    json pids = json::parse(out.out);
    REQUIRE(pids.is_array());
    CHECK(std::find(pids.begin(), pids.end(), json(pid)) != pids.end());
  }

  Output kill = sb.skiff({"kill", id, "KILL"});
  INFO(kill.describe());
  REQUIRE(kill.exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "stopped"));
  CHECK(listed(list_json(sb), id, "stopped"));

  Output del = sb.skiff({"delete", id});
  INFO(del.describe());
  REQUIRE(del.exit_code == 0);
  CHECK(sb.skiff({"state", id}).exit_code != 0);
  CHECK_FALSE(listed_at_all(list_json(sb), id));
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("exec joins user, cgroup and time namespaces too", "[lifecycle][userns][timens]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.use_user_namespace(100000, 65536);
  b.add_namespace("cgroup");
  b.add_namespace("time");
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 86400}, {"nanosecs", 0}}}};
  b.save();
  const std::string id = sb.new_id("join");
  Output run = sb.skiff({"run", "-d", "--bundle", b.dir.string(), id});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  const int pid = sb.state(id).value("pid", 0);
  REQUIRE(pid > 0);
  check_exec_joins_namespaces(sb, id, pid);
  // Every one of them is the container's own, not the host's.
  for (const auto& ns : kNsFiles) {
    INFO("namespace " << ns);
    CHECK(read_link("/proc/" + std::to_string(pid) + "/ns/" + ns) !=
          read_link("/proc/self/ns/" + ns));
  }
  Output uptime = sb.skiff({"exec", id, "cat", "/proc/uptime"});
  INFO(uptime.describe());
  REQUIRE(uptime.exit_code == 0);
  CHECK(std::stod(uptime.out) >= host_uptime() + 86400 - 5);
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("kill sends TERM by default and accepts names and numbers", "[lifecycle][signal]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.05; done"});
  b.save();
  auto start = [&](const std::string& id) {
    Output out = sb.skiff({"run", "-d", "--bundle", b.dir.string(), id});
    INFO(out.describe());
    REQUIRE(out.exit_code == 0);
    REQUIRE(sb.wait_for_status(id, "running"));
    usleep(200'000);  // let the shell install its trap
  };
  for (std::vector<std::string> sig : {std::vector<std::string>{}, {"TERM"}, {"SIGTERM"}, {"15"}}) {
    const std::string id = sb.new_id("term");
    start(id);
    std::vector<std::string> args = {"kill", id};
    args.insert(args.end(), sig.begin(), sig.end());
    Output kill = sb.skiff(args);
    INFO(kill.describe());
    CHECK(kill.exit_code == 0);
    CHECK(sb.wait_for_status(id, "stopped", 5s));
    CHECK(sb.skiff({"delete", id}).exit_code == 0);
  }
  Output bad = sb.skiff({"kill", sb.new_id("nosig"), "NOSUCHSIGNAL"});
  CHECK(bad.exit_code != 0);
}

TEST_CASE("delete refuses a running container unless --force", "[lifecycle]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.save();
  const std::string id = sb.new_id("del");
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
  Output refused = sb.skiff({"delete", id});
  INFO(refused.describe());
  CHECK(refused.exit_code != 0);
  CHECK(sb.state(id).value("status", "") == "running");
  Output forced = sb.skiff({"delete", "--force", id});
  INFO(forced.describe());
  CHECK(forced.exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("delete of a created (never started) container cleans everything", "[lifecycle]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.save();
  const std::string id = sb.new_id("created");
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  int pid = sb.state(id).value("pid", 0);
  REQUIRE(pid > 0);
  Output del = sb.skiff({"delete", "--force", id});
  INFO(del.describe());
  CHECK(del.exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("a container whose process exited is stopped (a zombie is stopped)", "[lifecycle]") {
  Sandbox sb;
  Bundle b = sb.bundle({"true"});
  b.save();
  const std::string id = sb.new_id("exited");
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  CHECK(sb.wait_for_status(id, "stopped", 5s));
  CHECK(sb.skiff({"delete", id}).exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("list --quiet prints ids; the table has a header", "[lifecycle][list]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.save();
  const std::string a = sb.new_id("la"), c = sb.new_id("lb");
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), a}).exit_code == 0);
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), c}).exit_code == 0);
  Output quiet = sb.skiff({"list", "--quiet"});
  INFO(quiet.describe());
  REQUIRE(quiet.exit_code == 0);
  auto ids = split_words(quiet.out);
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> want = {a, c};
  std::sort(want.begin(), want.end());
  CHECK(ids == want);
  Output table = sb.skiff({"list"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.rfind("ID", 0) == 0);
  CHECK(table.out.find(a) != std::string::npos);
  CHECK(table.out.find("created") != std::string::npos);
}

TEST_CASE("an empty root lists nothing", "[lifecycle][list]") {
  Sandbox sb;
  Output out = sb.skiff({"list", "--format", "json"});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  json parsed = json::parse(out.out.empty() ? std::string("[]") : out.out);
  CHECK((parsed.is_null() || (parsed.is_array() && parsed.empty())));
}
