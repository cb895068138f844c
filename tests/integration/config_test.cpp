// config.json fields honoured: hooks, rlimits, env/cwd/user, sysctl,
// annotations, masked and read-only paths, mounts.
#include <algorithm>
#include <sstream>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

// A hook that saves its stdin (the state JSON) to dir/NAME.json and logs its
// name to dir/order.
json saving_hook(const fs::path& dir, const std::string& name) {
  std::string d = dir.string();
  return {{"path", "/bin/sh"},
          {"args", {"sh", "-c", "cat > " + d + "/" + name + ".json; echo " + name + " >> " + d +
                                    "/order; echo \"$HOOK_VAR\" > " + d + "/" + name + ".env"}},
          {"env", {"PATH=/usr/bin:/bin", "HOOK_VAR=" + name + "-env"}},
          {"timeout", 10}};
}

std::vector<std::string> lines_of(const std::string& text) { return split_words(text); }

size_t position(const std::vector<std::string>& order, const std::string& name) {
  return std::find(order.begin(), order.end(), name) - order.begin();
}

}  // namespace

TEST_CASE("hooks run in order with the state on stdin", "[hooks]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo main >> /out/order"});
  fs::path out = b.bind_out();
  // startContainer runs inside the container (after pivot_root): it sees /out.
  // createContainer runs in the container's mount namespace before pivot_root:
  // the host path is still reachable there.
  b.config["hooks"] = {
      {"prestart", {saving_hook(out, "prestart")}},
      {"createRuntime", {saving_hook(out, "createRuntime")}},
      {"createContainer", {saving_hook(out, "createContainer")}},
      {"startContainer", {saving_hook("/out", "startContainer")}},
      {"poststart", {saving_hook(out, "poststart")}},
      {"poststop", {saving_hook(out, "poststop")}}};
  b.config["annotations"] = {{"org.skiff.hooks", "yes"}};
  b.save();
  const std::string id = sb.new_id("hooks");

  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  for (const char* name : {"prestart", "createRuntime", "createContainer"}) {
    INFO(name);
    CHECK(fs::exists(out / (std::string(name) + ".json")));
  }
  CHECK_FALSE(fs::exists(out / "startContainer.json"));
  CHECK_FALSE(fs::exists(out / "poststart.json"));

  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "stopped"));
  CHECK(fs::exists(out / "startContainer.json"));
  CHECK(fs::exists(out / "poststart.json"));
  CHECK_FALSE(fs::exists(out / "poststop.json"));

  REQUIRE(sb.skiff({"delete", id}).exit_code == 0);
  REQUIRE(fs::exists(out / "poststop.json"));

  for (const char* name : {"prestart", "createRuntime", "createContainer", "startContainer",
                           "poststart", "poststop"}) {
    INFO("hook " << name);
    json state = json::parse(read_file(out / (std::string(name) + ".json")), nullptr, false);
    REQUIRE_FALSE(state.is_discarded());
    CHECK(state.value("id", "") == id);
    CHECK(state.value("ociVersion", "") != "");
    CHECK(fs::equivalent(state.value("bundle", "/nonexistent"), b.dir));
    CHECK(state["annotations"].value("org.skiff.hooks", "") == "yes");
    CHECK(trim(read_file(out / (std::string(name) + ".env"))) == std::string(name) + "-env");
  }
  auto status = [&](const char* name) {
    return json::parse(read_file(out / (std::string(name) + ".json"))).value("status", "");
  };
  CHECK(status("createRuntime") == "creating");
  CHECK(status("poststart") == "running");
  CHECK(status("poststop") == "stopped");
  CHECK(json::parse(read_file(out / "createRuntime.json")).value("pid", 0) > 0);

  auto order = lines_of(read_file(out / "order"));
  INFO(read_file(out / "order"));
  REQUIRE(order.size() == 7);
  CHECK(position(order, "prestart") < position(order, "createContainer"));
  CHECK(position(order, "createRuntime") < position(order, "createContainer"));
  CHECK(position(order, "createContainer") < position(order, "startContainer"));
  CHECK(position(order, "startContainer") < position(order, "main"));
  CHECK(position(order, "main") < position(order, "poststop"));
  CHECK(position(order, "poststart") < position(order, "poststop"));
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("foreground run runs poststop hooks when the container is removed", "[hooks][run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"true"});
  fs::path out = b.bind_out();
  b.config["hooks"] = {{"poststop", {saving_hook(out, "poststop")}}};
  Output run = sb.run(b);
  INFO(run.describe());
  CHECK(run.exit_code == 0);
  CHECK(fs::exists(out / "poststop.json"));
}

TEST_CASE("rlimits are applied", "[config][rlimits]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "grep -E '^Max (open files|processes) ' /proc/self/limits"});
  b.config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 123}, {"hard", 456}},
                                    {{"type", "RLIMIT_NPROC"}, {"soft", 777}, {"hard", 888}}};
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  auto words = split_words(out.out);
  // "Max processes 777 888 processes" "Max open files 123 456 files"
  REQUIRE(words.size() == 11);
  CHECK(words[2] == "777");
  CHECK(words[3] == "888");
  CHECK(words[8] == "123");
  CHECK(words[9] == "456");
}

TEST_CASE("an unknown rlimit is rejected with its path", "[config][rlimits][badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("badrlimit");
  Bundle b = sb.bundle({"true"});
  b.config["process"]["rlimits"] = {{{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}}};
  b.save();
  Output out = sb.skiff({"create", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("process.rlimits[0]") != std::string::npos);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("env, cwd, user, additional groups and umask", "[config][user]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo $FOO; pwd; id -u; id -g; id -G; umask"});
  b.config["process"]["env"] = {"PATH=/bin:/usr/bin", "FOO=bar baz"};
  b.config["process"]["cwd"] = "/tmp";
  b.config["process"]["user"] = {
      {"uid", 1000}, {"gid", 1000}, {"additionalGids", {1234, 5678}}, {"umask", 23}};
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  std::istringstream lines(out.out);
  std::string foo, cwd, uid, gid, groups, umask;
  std::getline(lines, foo);
  std::getline(lines, cwd);
  std::getline(lines, uid);
  std::getline(lines, gid);
  std::getline(lines, groups);
  std::getline(lines, umask);
  CHECK(foo == "bar baz");
  CHECK(cwd == "/tmp");
  CHECK(uid == "1000");
  CHECK(gid == "1000");
  auto g = split_words(groups);
  std::sort(g.begin(), g.end());
  CHECK(g == std::vector<std::string>{"1000", "1234", "5678"});
  CHECK(umask == "0027");
}

TEST_CASE("a cwd that does not exist is created", "[config]") {
  Sandbox sb;
  Bundle b = sb.bundle({"pwd"});
  b.config["root"]["readonly"] = false;
  b.config["process"]["cwd"] = "/work/here";
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "/work/here\n");
}

TEST_CASE("sysctl values are set inside the container's namespaces", "[config][sysctl]") {
  Sandbox sb;
  Bundle b = sb.bundle(
      {"sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax"});
  b.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.msgmax", "12345"}};
  std::string host_msgmax = read_file("/proc/sys/kernel/msgmax");
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(out.out == "1\n12345\n");
  CHECK(read_file("/proc/sys/kernel/msgmax") == host_msgmax);
}

TEST_CASE("a sysctl outside the container's namespaces is refused", "[config][sysctl][badinput]") {
  Sandbox sb;
  const std::string id = sb.new_id("badsysctl");
  Bundle b = sb.bundle({"true"});
  b.remove_namespace("network");
  b.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  b.save();
  std::string host = read_file("/proc/sys/net/ipv4/ip_forward");
  Output out = sb.skiff({"create", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("net.ipv4.ip_forward") != std::string::npos);
  CHECK(read_file("/proc/sys/net/ipv4/ip_forward") == host);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("annotations are kept in the state", "[config][state]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.config["annotations"] = {{"org.skiff.a", "1"}, {"org.skiff.b", "two words"}};
  b.save();
  const std::string id = sb.new_id("annot");
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  json state = sb.state(id);
  CHECK(state["annotations"] == b.config["annotations"]);
  CHECK(sb.runtime().state(id).annotations ==
        std::map<std::string, std::string>{{"org.skiff.a", "1"}, {"org.skiff.b", "two words"}});
}

TEST_CASE("masked paths are empty and read-only paths are read-only", "[config][paths]") {
  Sandbox sb;
  Bundle b = sb.bundle(
      {"sh", "-c",
       "echo \"file=[$(cat /etc/secret)]\"; echo \"dir=[$(ls /etc/secretdir)]\"; "
       "echo \"plain=[$(cat /etc/plain)]\"; "
       "if echo x > /etc/rodir/f 2>/dev/null; then echo rodir-writable; else echo rodir-ro; fi; "
       "if echo x > /etc/rwdir/f 2>/dev/null; then echo rwdir-writable; else echo rwdir-ro; fi; "
       "grep -cE ' /proc/sys ro[, ]' /proc/self/mountinfo"});
  write_file(b.rootfs / "etc/secret", "top secret\n");
  fs::create_directories(b.rootfs / "etc/secretdir");
  write_file(b.rootfs / "etc/secretdir/key", "key\n");
  write_file(b.rootfs / "etc/plain", "plain\n");
  fs::create_directories(b.rootfs / "etc/rodir");
  fs::create_directories(b.rootfs / "etc/rwdir");
  b.config["root"]["readonly"] = false;
  b.config["linux"]["maskedPaths"] = {"/etc/secret", "/etc/secretdir", "/does/not/exist"};
  b.config["linux"]["readonlyPaths"] = {"/etc/rodir", "/proc/sys", "/does/not/exist"};
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(out.out ==
        "file=[]\ndir=[]\nplain=[plain]\nrodir-ro\nrwdir-writable\n1\n");
  // The host copy is untouched.
  CHECK(read_file(b.rootfs / "etc/secret") == "top secret\n");
}

TEST_CASE("mounts: tmpfs, bind read-only, bind read-write", "[config][mounts]") {
  Sandbox sb;
  Bundle b = sb.bundle(
      {"sh", "-c",
       "echo t > /scratch/t && echo tmpfs-ok; cat /data/in; "
       "if echo x > /data/x 2>/dev/null; then echo ro-broken; else echo ro-ok; fi; "
       "echo written > /rw/out"});
  fs::path data = sb.dir / "data";
  fs::path rw = sb.dir / "rw";
  fs::create_directories(data);
  fs::create_directories(rw);
  write_file(data / "in", "from-host\n");
  b.config["mounts"].push_back({{"destination", "/scratch"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"nosuid", "nodev", "size=1m"}}});
  b.config["mounts"].push_back({{"destination", "/data"},
                                {"type", "bind"},
                                {"source", data.string()},
                                {"options", {"bind", "ro"}}});
  b.config["mounts"].push_back({{"destination", "/rw"},
                                {"type", "none"},
                                {"source", rw.string()},
                                {"options", {"rbind", "rw"}}});
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(out.out == "tmpfs-ok\nfrom-host\nro-ok\n");
  CHECK(read_file(rw / "out") == "written\n");
  CHECK_FALSE(fs::exists(data / "x"));
  CHECK(mounts_under(sb.dir).empty());
}

TEST_CASE("a bind-mounted file", "[config][mounts]") {
  Sandbox sb;
  Bundle b = sb.bundle({"cat", "/etc/motd"});
  fs::path motd = sb.dir / "motd";
  write_file(motd, "welcome aboard\n");
  b.config["mounts"].push_back({{"destination", "/etc/motd"},
                                {"type", "bind"},
                                {"source", motd.string()},
                                {"options", {"bind", "ro"}}});
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "welcome aboard\n");
}

TEST_CASE("linux.devices are created", "[config][devices]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "ls -ln /dev/mydev | awk '{print $1, $3, $4, $5, $6}'"});
  b.config["linux"]["devices"] = {{{"path", "/dev/mydev"},
                                   {"type", "c"},
                                   {"major", 1},
                                   {"minor", 3},
                                   {"fileMode", 0640},
                                   {"uid", 0},
                                   {"gid", 0}}};
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(out.out == "crw-r----- 0 0 1, 3\n");
}

TEST_CASE("domainname is set", "[config]") {
  Sandbox sb;
  Bundle b = sb.bundle({"cat", "/proc/sys/kernel/domainname"});
  b.config["domainname"] = "skiff.example";
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "skiff.example\n");
}

TEST_CASE("oomScoreAdj is applied", "[config]") {
  Sandbox sb;
  Bundle b = sb.bundle({"cat", "/proc/self/oom_score_adj"});
  b.config["process"]["oomScoreAdj"] = 123;
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "123\n");
}
