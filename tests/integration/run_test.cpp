// `skiff run` in the foreground: exit codes, stdio, and what the container sees.
#include <signal.h>

#include <sstream>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

TEST_CASE("run prints the container's output and exits with its exit code", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo hi; exit 7"});
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 7);
  CHECK(out.out == "hi\n");
  CHECK(out.err.empty());
}

TEST_CASE("a successful container exits 0 and leaves nothing behind", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"true"});
  b.save();
  std::string id = sb.new_id("ok");
  Output out = sb.skiff({"run", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("the container's process is pid 1 of its own pid namespace", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo $$; cat /proc/1/comm; exit 0"});
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(out.out == "1\nsh\n");
}

TEST_CASE("the container sees the hostname from config.json", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"hostname"});
  b.config["hostname"] = "skiff-box-42";
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(out.out == "skiff-box-42\n");
  // The host's name is untouched.
  CHECK(trim(read_file("/proc/sys/kernel/hostname")) != "skiff-box-42");
}

TEST_CASE("root.readonly makes / read-only, and only then", "[run]") {
  Sandbox sb;
  const std::string probe =
      "if touch /probe 2>/dev/null; then echo writable; else echo read-only; fi";
  SECTION("readonly: true") {
    Bundle b = sb.bundle({"sh", "-c", probe});
    b.config["root"]["readonly"] = true;
    Output out = sb.run(b);
    INFO(out.describe());
    REQUIRE(out.exit_code == 0);
    CHECK(out.out == "read-only\n");
    CHECK_FALSE(fs::exists(b.rootfs / "probe"));
  }
  SECTION("readonly: false") {
    Bundle b = sb.bundle({"sh", "-c", probe});
    b.config["root"]["readonly"] = false;
    Output out = sb.run(b);
    INFO(out.describe());
    REQUIRE(out.exit_code == 0);
    CHECK(out.out == "writable\n");
    CHECK(fs::exists(b.rootfs / "probe"));
  }
}

TEST_CASE("stdin passes straight through: echo data | skiff run ... cat", "[run][stdio]") {
  Sandbox sb;
  Bundle b = sb.bundle({"cat"});
  Output out = sb.run(b, std::string("data\n"));
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "data\n");
}

TEST_CASE("stderr of the container reaches skiff's stderr", "[run][stdio]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo to-out; echo to-err >&2"});
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "to-out\n");
  CHECK(out.err == "to-err\n");
}

TEST_CASE("a container killed with SIGKILL makes run exit 137", "[run][signal]") {
  Sandbox sb;
  SECTION("the process kills itself (no pid namespace, so it is not an init)") {
    Bundle b = sb.bundle({"sh", "-c", "kill -9 $$; echo survived"});
    b.remove_namespace("pid");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 137);
    CHECK(out.out.empty());
  }
  SECTION("skiff kill KILL from outside while run waits in the foreground") {
    Bundle b = sb.bundle({"sleep", "600"});
    b.save();
    std::string id = sb.new_id("kill");
    Child run = sb.skiff_async({"run", "--bundle", b.dir.string(), id});
    REQUIRE(sb.wait_for_status(id, "running"));
    Output kill = sb.skiff({"kill", id, "KILL"});
    INFO(kill.describe());
    CHECK(kill.exit_code == 0);
    Output out = run.wait();
    INFO(out.describe());
    CHECK(out.exit_code == 137);
    // Foreground run without --keep removes the container.
    CHECK_NO_LEFTOVERS(sb, id);
  }
}

TEST_CASE("run --keep leaves a stopped container to delete", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "exit 3"});
  b.save();
  std::string id = sb.new_id("keep");
  Output out = sb.skiff({"run", "--keep", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code == 3);
  CHECK(sb.state(id).value("status", "") == "stopped");
  Output del = sb.skiff({"delete", id});
  INFO(del.describe());
  CHECK(del.exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("run --detach returns at once and the container keeps running", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.save();
  std::string id = sb.new_id("detach");
  Output out = sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}, {}, 10s);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  json state = sb.state(id);
  CHECK(state.value("status", "") == "running");
  CHECK(state.value("pid", 0) > 0);
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("a user namespace maps container root to uid 100000", "[run][userns]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"});
  b.use_user_namespace(100000, 65536);
  b.remove_mounts_of_type("cgroup");
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  auto words = split_words(out.out);
  REQUIRE(words.size() == 7);
  CHECK(std::vector<std::string>(words.begin(), words.begin() + 3) ==
        std::vector<std::string>{"0", "100000", "65536"});
  CHECK(std::vector<std::string>(words.begin() + 3, words.begin() + 6) ==
        std::vector<std::string>{"0", "100000", "65536"});
  CHECK(words[6] == "0");
}

TEST_CASE("a user-namespaced container's root is uid 100000 on the host", "[run][userns]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "sleep 600; true"});
  b.use_user_namespace(100000, 65536);
  b.save();
  std::string id = sb.new_id("userns");
  Output out = sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}, {}, 10s);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  int pid = sb.state(id).value("pid", 0);
  REQUIRE(pid > 0);
  std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  CHECK(status.find("\nUid:\t100000\t100000\t100000\t100000\n") != std::string::npos);
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
}

TEST_CASE("a time namespace shows its boottime offset in /proc/uptime", "[run][timens]") {
  Sandbox sb;
  Bundle b = sb.bundle({"cat", "/proc/uptime"});
  b.add_namespace("time");
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 1000000}, {"nanosecs", 0}}}};
  double before = host_uptime();
  Output out = sb.run(b);
  double after = host_uptime();
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  auto words = split_words(out.out);
  REQUIRE(words.size() == 2);
  double inside = std::stod(words[0]);
  CHECK(inside >= before + 1000000 - 1);
  CHECK(inside <= after + 1000000 + 1);
}

TEST_CASE("a time namespace with a monotonic offset", "[run][timens]") {
  Sandbox sb;
  // /proc/uptime follows boottime; the monotonic clock is seen through sleep's
  // behaviour only, so check that the namespace is distinct from the host's.
  Bundle b = sb.bundle({"readlink", "/proc/self/ns/time"});
  b.add_namespace("time");
  b.config["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 500}, {"nanosecs", 0}}}};
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(trim(out.out).rfind("time:[", 0) == 0);
  CHECK(trim(out.out) != read_link("/proc/self/ns/time"));
}

TEST_CASE("namespaces listed in config.json are new; others are the host's", "[run][namespaces]") {
  Sandbox sb;
  const std::vector<std::string> kinds = {"pid", "ipc", "uts", "mnt", "net", "cgroup", "user"};
  std::string script;
  for (const auto& k : kinds) script += "readlink /proc/self/ns/" + k + "; ";
  Bundle b = sb.bundle({"sh", "-c", script});
  b.remove_namespace("network");  // this one shares the host's network
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  auto words = split_words(out.out);
  REQUIRE(words.size() == kinds.size());
  for (size_t i = 0; i < kinds.size(); ++i) {
    INFO(kinds[i]);
    std::string host = read_link("/proc/self/ns/" + kinds[i]);
    bool shared = kinds[i] == "net" || kinds[i] == "cgroup" || kinds[i] == "user";
    if (shared)
      CHECK(words[i] == host);
    else
      CHECK(words[i] != host);
  }
}

TEST_CASE("run --no-pivot works", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo $$; ls /bin/busybox"});
  b.save();
  Output out = sb.skiff({"run", "--no-pivot", "--bundle", b.dir.string(), sb.new_id("nopivot")});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "1\n/bin/busybox\n");
}

TEST_CASE("the default devices and /dev links are there", "[run][devices]") {
  Sandbox sb;
  Bundle b = sb.bundle(
      {"sh", "-c",
       "for d in null zero full random urandom tty; do [ -c /dev/$d ] && echo $d; done; "
       "for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; "
       "echo x > /dev/null && echo wrote-null"});
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  CHECK(out.out ==
        "null\nzero\nfull\nrandom\nurandom\ntty\n"
        "/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\n"
        "wrote-null\n");
}

// The init makes some namespaces itself and joins others (and its cgroups)
// made by the runtime meanwhile: whatever the order, the result must be this.
TEST_CASE("the container has its own namespaces, a sysfs of its own network and its cgroup", "[run]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c",
                        "for ns in net ipc uts mnt; do readlink /proc/self/ns/$ns; done; "
                        "echo; ls /sys/class/net; echo; cat /proc/self/cgroup"});
  b.save();
  std::string id = sb.new_id("ns");
  Output out = sb.skiff({"run", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  std::istringstream lines(out.out);
  std::string line;
  for (const char* ns : {"net", "ipc", "uts", "mnt"}) {
    REQUIRE(std::getline(lines, line));
    INFO(ns);
    CHECK(line != fs::read_symlink(std::string("/proc/self/ns/") + ns).string());
  }
  REQUIRE(std::getline(lines, line));
  // sysfs shows the network namespace of whoever mounted it: only loopback.
  std::string interfaces;
  while (std::getline(lines, line) && !line.empty()) interfaces += line + " ";
  CHECK(interfaces == "lo ");
  int hierarchies = 0;
  while (std::getline(lines, line)) {
    INFO(line);
    CHECK(line.ends_with(":/" + id));
    ++hierarchies;
  }
  CHECK(hierarchies >= 1);
  CHECK_NO_LEFTOVERS(sb, id);
}
