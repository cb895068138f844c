// Isolation seen from inside a container: capabilities, no_new_privs,
// rlimits, fds, masked and read-only paths (the secure default of `skiff
// spec`), and the process fields personality, scheduler, ioPriority and the
// LSM labels; `exec` inherits them and takes --cap / --no-new-privs.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <sstream>

#include "integration/harness.hpp"
#include "oci/tables.hpp"

using namespace skiff_test;

namespace {

// The "CapXxx:\t<hex>" and "NoNewPrivs:\t<n>" lines of a /proc/PID/status.
std::map<std::string, std::string> status_fields(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    fields[line.substr(0, colon)] = trim(line.substr(colon + 1));
  }
  return fields;
}

// The 16-hex-digit mask /proc shows for a list of capability names.
std::string cap_mask(const json& names) {
  uint64_t mask = 0;
  for (const auto& name : names)
    mask |= uint64_t{1} << *skiff::oci::capability_from_name(name.get<std::string>());
  char text[17];
  snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(mask));
  return text;
}

// A bundle with the config of `skiff spec`, running args without a terminal.
Bundle spec_bundle(Sandbox& sb, std::vector<std::string> args) {
  Bundle b = sb.bundle(args);
  fs::remove(b.dir / "config.json");
  Output spec = sb.skiff({"spec", "--bundle", b.dir.string()});
  REQUIRE(spec.exit_code == 0);
  b.config = json::parse(read_file(b.dir / "config.json"));
  b.config["process"]["terminal"] = false;
  b.set_args(std::move(args));
  return b;
}

}  // namespace

TEST_CASE("the default of skiff spec, seen from inside", "[security][spec]") {
  Sandbox sb;
  Bundle b =
      spec_bundle(sb, {"sh", "-c",
                       "grep -E '^(Cap|NoNewPrivs)' /proc/self/status; ulimit -n; ls /proc/self/fd "
                       "| tr '\\n' ' '; echo;"
                       "for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts; do [ -e $f ] && echo "
                       "\"$f=[$(cat $f)]\"; done;"
                       "ls /sys/firmware | wc -l;"
                       "if echo x > /proc/sys/kernel/domainname; then echo sys-writable; fi;"
                       "if echo x > /proc/sysrq-trigger; then echo sysrq-writable; fi; true"});
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  auto fields = status_fields(out.out);
  const json& caps = b.config["process"]["capabilities"];
  CHECK(fields["CapBnd"] == cap_mask(caps["bounding"]));
  CHECK(fields["CapEff"] == cap_mask(caps["effective"]));
  CHECK(fields["CapPrm"] == cap_mask(caps["permitted"]));
  CHECK(fields["CapInh"] == "0000000000000000");
  CHECK(fields["CapAmb"] == "0000000000000000");
  CHECK(fields["NoNewPrivs"] == "1");
  CHECK(out.out.find("\n1024\n0 1 2 3 \n") != std::string::npos);
  for (const char* masked : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/interrupts"})
    if (fs::exists(masked)) CHECK(out.out.find(std::string(masked) + "=[]\n") != std::string::npos);
  CHECK(out.out.find("\n0\n") != std::string::npos);  // /sys/firmware is an empty tmpfs
  CHECK(out.out.find("writable") == std::string::npos);
  CHECK(out.err.find("Read-only file system") != std::string::npos);
  // Docker's capability set, exactly.
  CHECK(caps["bounding"].size() == 14);
  CHECK(caps["bounding"] == caps["effective"]);
}

TEST_CASE("capabilities equal exactly what config.json asks", "[security][caps]") {
  Sandbox sb;
  Bundle b = sb.bundle({"grep", "-E", "^Cap", "/proc/self/status"});
  const json bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"};
  const json effective = {"CAP_CHOWN", "CAP_KILL"};
  b.config["process"]["capabilities"] = {{"bounding", bounding},
                                         {"effective", effective},
                                         {"permitted", bounding},
                                         {"inheritable", {"CAP_KILL"}},
                                         {"ambient", {"CAP_KILL"}}};
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  auto fields = status_fields(out.out);
  CHECK(fields["CapBnd"] == cap_mask(bounding));
  // Ambient caps are raised into effective and permitted at execve.
  CHECK(fields["CapEff"] == cap_mask({"CAP_KILL"}));
  CHECK(fields["CapPrm"] == cap_mask({"CAP_KILL"}));
  CHECK(fields["CapInh"] == cap_mask({"CAP_KILL"}));
  CHECK(fields["CapAmb"] == cap_mask({"CAP_KILL"}));
}

TEST_CASE("noNewPrivileges false leaves NoNewPrivs 0", "[security][nnp]") {
  Sandbox sb;
  Bundle b = sb.bundle({"grep", "NoNewPrivs", "/proc/self/status"});
  b.config["process"]["noNewPrivileges"] = false;
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.out == "NoNewPrivs:\t0\n");
}

TEST_CASE("exec inherits capabilities and no_new_privs, and takes --cap and --no-new-privs",
          "[security][exec]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.config["process"]["noNewPrivileges"] = false;
  b.save();
  const std::string id = sb.new_id("exec");
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
  const json& caps = b.config["process"]["capabilities"];

  Output plain =
      sb.skiff({"exec", id, "grep", "-E", "^(CapEff|CapBnd|NoNewPrivs)", "/proc/self/status"});
  INFO(plain.describe());
  auto fields = status_fields(plain.out);
  CHECK(fields["CapEff"] == cap_mask(caps["effective"]));
  CHECK(fields["CapBnd"] == cap_mask(caps["bounding"]));
  CHECK(fields["NoNewPrivs"] == "0");

  Output more = sb.skiff({"exec", "--cap", "CAP_SYS_ADMIN", "--no-new-privs", id, "grep", "-E",
                          "^(CapEff|CapBnd|NoNewPrivs)", "/proc/self/status"});
  INFO(more.describe());
  fields = status_fields(more.out);
  json with_admin = caps["effective"];
  with_admin.push_back("CAP_SYS_ADMIN");
  CHECK(fields["CapEff"] == cap_mask(with_admin));
  CHECK(fields["NoNewPrivs"] == "1");

  Output bad = sb.skiff({"exec", "--cap", "CAP_NOPE", id, "true"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("CAP_NOPE") != std::string::npos);
  sb.skiff({"delete", "--force", id});
}

TEST_CASE("linux.personality LINUX32 makes uname -m report a 32-bit machine",
          "[security][personality]") {
  Sandbox sb;
  Bundle b = sb.bundle({"uname", "-m"});
  b.config["linux"]["personality"] = {{"domain", "LINUX32"}};
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "i686\n");
  b.config["linux"]["personality"] = {{"domain", "LINUX"}};
  CHECK(sb.run(b).out == "x86_64\n");
}

TEST_CASE("process.scheduler and process.ioPriority", "[security][scheduler]") {
  Sandbox sb;
  // Fields 19 and 41 of /proc/PID/stat: nice and policy.
  Bundle b = sb.bundle({"sh", "-c", "awk '{print $19, $41}' /proc/self/stat; ionice -p $$"});
  SECTION("SCHED_BATCH with nice 7, best effort 6") {
    b.config["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 7}};
    b.config["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 6}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "7 3\nbest-effort: prio 6\n");
  }
  SECTION("SCHED_IDLE, idle I/O") {
    b.config["process"]["scheduler"] = {{"policy", "SCHED_IDLE"}};
    b.config["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 0}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    // SCHED_IDLE takes no nice value: the process keeps the one it inherits
    // (ours, when the tests themselves run under nice).
    errno = 0;
    const int inherited_nice = ::getpriority(PRIO_PROCESS, 0);
    CHECK(out.out == std::to_string(inherited_nice) + " 5\nidle\n");
  }
  SECTION("exec applies its own process.json fields") {
    b.set_args({"sleep", "600"});
    b.save();
    const std::string id = sb.new_id("sched");
    REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
    json process = b.config["process"];
    process["args"] = {"sh", "-c", "awk '{print $19, $41}' /proc/self/stat"};
    process["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 3}};
    write_file(sb.dir / "process.json", process.dump());
    Output out = sb.skiff({"exec", "--process", (sb.dir / "process.json").string(), id});
    INFO(out.describe());
    CHECK(out.out == "3 3\n");
    sb.skiff({"delete", "--force", id});
  }
}

TEST_CASE("bad scheduler, ioPriority and personality name their field", "[security][badinput]") {
  Sandbox sb;
  Bundle b = sb.bundle({"true"});
  struct Case {
    const char* pointer;
    json value;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"/process/scheduler",
       {{"policy", "SCHED_FAST"}},
       "process.scheduler.policy: unknown value \"SCHED_FAST\""},
      {"/process/scheduler", {{"nice", 1}}, "process.scheduler.policy: required"},
      {"/process/scheduler",
       {{"policy", "SCHED_OTHER"}, {"nice", 40}},
       "process.scheduler.nice: must be between"},
      {"/process/scheduler",
       {{"policy", "SCHED_OTHER"}, {"flags", {"SCHED_FLAG_NOPE"}}},
       "process.scheduler.flags[0]: unknown value"},
      {"/process/ioPriority",
       {{"class", "IOPRIO_CLASS_RT"}, {"priority", 9}},
       "process.ioPriority.priority"},
      {"/process/ioPriority", {{"class", "BEST"}}, "process.ioPriority.class: unknown value"},
      {"/linux/personality", {{"domain", "LINUX64"}}, "linux.personality.domain: unknown value"},
      {"/linux/personality", {{"domain", "LINUX"}, {"flags", {"X"}}}, "linux.personality.flags[0]"},
  };
  for (const auto& c : cases) {
    json config = b.config;
    config[json::json_pointer(c.pointer)] = c.value;
    write_file(b.dir / "config.json", config.dump());
    const std::string id = sb.new_id("bad");
    Output out = sb.skiff({"create", "--bundle", b.dir.string(), id});
    INFO(c.value.dump() << "\n" << out.describe());
    CHECK(out.exit_code != 0);
    CHECK(out.err.find(c.message) != std::string::npos);
    CHECK_NO_LEFTOVERS(sb, id);
  }
}

TEST_CASE("AppArmor and SELinux fields are a quiet no-op on a kernel without them",
          "[security][lsm]") {
  Sandbox sb;
  if (fs::exists("/sys/kernel/security/apparmor") || fs::exists("/sys/fs/selinux")) {
    WARN("an LSM is enabled on this host; the no-op case does not apply");
    return;
  }
  Bundle b = sb.bundle({"sleep", "600"});
  b.config["process"]["apparmorProfile"] = "docker-default";
  b.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2";
  b.save();
  const std::string id = sb.new_id("lsm");
  Output run = sb.skiff({"run", "-d", "--bundle", b.dir.string(), id});
  INFO(run.describe());
  CHECK(run.exit_code == 0);
  CHECK(run.err.empty());
  Output exec =
      sb.skiff({"exec", "--apparmor", "other", "--process-label", "system_u:x", id, "echo", "ok"});
  INFO(exec.describe());
  CHECK(exec.out == "ok\n");
  CHECK(exec.err.empty());
  sb.skiff({"delete", "--force", id});
}
