// config.json that must fail: every bad field names its JSON path, the
// namespace each setting needs, malformed JSON.
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <string>

#include "oci/spec.hpp"
#include "oci/tables.hpp"
#include "spec_test_helpers.hpp"

using nlohmann::json;
using namespace skiff::oci;
using spec_test::error_of;
using spec_test::error_of_text;
using spec_test::minimal;

struct BadCase {
  const char* name;
  const char* pointer;  // JSON pointer to set (or "-remove" suffix semantics below)
  json value;
  const char* message;
};

TEST_CASE("bad fields fail with their JSON path", "[spec]") {
  const BadCase cases[] = {
      {"ociVersion missing", "/ociVersion", nullptr, "ociVersion: required"},
      {"ociVersion not a string", "/ociVersion", 1, "ociVersion: expected a string"},
      {"root missing", "/root", nullptr, "root.path: required"},
      {"root.path empty", "/root/path", "", "root.path: required"},
      {"root not an object", "/root", "rootfs", "root: expected an object"},
      {"process not an object", "/process", json::array(), "process: expected an object"},
      {"args empty", "/process/args", json::array(), "process.args: must contain at least one entry"},
      {"args missing", "/process/args", nullptr, "process.args: must contain at least one entry"},
      {"args element not a string", "/process/args", {"sh", 1}, "process.args[1]: expected a string"},
      {"cwd relative", "/process/cwd", "work", "process.cwd: must be an absolute path, got \"work\""},
      {"uid a string", "/process/user/uid", "0", "process.user.uid: expected an unsigned integer"},
      {"uid negative", "/process/user/uid", -1, "process.user.uid: expected an unsigned integer"},
      {"uid too big", "/process/user/uid", 4294967296ull, "process.user.uid: value 4294967296 is out of range"},
      {"uid a float", "/process/user/uid", 1.5, "process.user.uid: expected an unsigned integer"},
      {"terminal a string", "/process/terminal", "yes", "process.terminal: expected a boolean"},
      {"additionalGids element", "/process/user/additionalGids", {1, "x"},
       "process.user.additionalGids[1]: expected an unsigned integer"},
      {"consoleSize missing width", "/process/consoleSize", {{"height", 1}},
       "process.consoleSize.width: required"},
      {"unknown capability", "/process/capabilities",
       {{"bounding", {"CAP_KILL", "CAP_CHOWN", "CAP_TEST"}}},
       "process.capabilities.bounding[2]: unknown capability \"CAP_TEST\""},
      {"capability lower case", "/process/capabilities", {{"ambient", {"cap_kill"}}},
       "process.capabilities.ambient[0]: unknown capability \"cap_kill\""},
      {"capabilities not an object", "/process/capabilities", {"CAP_KILL"},
       "process.capabilities: expected an object"},
      {"unknown rlimit", "/process/rlimits", {{{"type", "RLIMIT_FOO"}, {"hard", 1}, {"soft", 1}}},
       "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
      {"duplicate rlimit", "/process/rlimits",
       {{{"type", "RLIMIT_NOFILE"}, {"hard", 2}, {"soft", 1}}, {{"type", "RLIMIT_NOFILE"}, {"hard", 2}, {"soft", 1}}},
       "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
      {"rlimit soft above hard", "/process/rlimits", {{{"type", "RLIMIT_NPROC"}, {"hard", 5}, {"soft", 10}}},
       "process.rlimits[0]: soft limit 10 is greater than hard limit 5"},
      {"rlimit hard missing", "/process/rlimits", {{{"type", "RLIMIT_NPROC"}, {"soft", 10}}},
       "process.rlimits[0].hard: required"},
      {"oomScoreAdj range", "/process/oomScoreAdj", 1001, "process.oomScoreAdj: must be between -1000 and 1000"},
      {"scheduler not an object", "/process/scheduler", "fifo", "process.scheduler: expected an object"},
      {"hostname not a string", "/hostname", 5, "hostname: expected a string"},
      {"mounts not an array", "/mounts", json::object(), "mounts: expected an array"},
      {"mount without destination", "/mounts", {{{"type", "tmpfs"}}}, "mounts[0].destination: required"},
      {"unknown mount option", "/mounts",
       {{{"destination", "/a"}}, {{"destination", "/b"}}, {{"destination", "/c"}},
        {{"destination", "/d"}, {"options", {"ro", "bogus"}}}},
       "mounts[3].options[1]: unknown mount option \"bogus\""},
      {"mount option '=value'", "/mounts", {{{"destination", "/a"}, {"options", {"=x"}}}},
       "mounts[0].options[0]: unknown mount option \"=x\""},
      {"mount uidMappings alone", "/mounts",
       {{{"destination", "/a"}, {"type", "bind"}, {"source", "/x"},
         {"uidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}}}}},
       "mounts[0]: uidMappings and gidMappings must be specified together"},
      {"id-mapped tmpfs", "/mounts",
       {{{"destination", "/a"}, {"type", "tmpfs"},
         {"uidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}}},
         {"gidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}}}}},
       "mounts[0]: id-mapped mounts are only supported for bind mounts"},
      {"idmap without user namespace", "/mounts",
       {{{"destination", "/a"}, {"type", "bind"}, {"source", "/x"}, {"options", {"rbind", "idmap"}}}},
       "mounts[0].options[1]: \"idmap\" without mappings requires a user namespace"},
      {"hook path relative", "/hooks", {{"poststop", {{{"path", "/ok"}}, {{"path", "bin/x"}}}}},
       "hooks.poststop[1].path: must be an absolute path, got \"bin/x\""},
      {"hook timeout zero", "/hooks", {{"prestart", {{{"path", "/x"}, {"timeout", 0}}}}},
       "hooks.prestart[0].timeout: must be greater than zero"},
      {"hooks not an object", "/hooks", json::array(), "hooks: expected an object"},
      {"annotation value not a string", "/annotations", {{"a", 1}}, "annotations.a: expected a string"},
      {"unknown namespace", "/linux/namespaces",
       {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "foo"}}},
       "linux.namespaces[2].type: unknown namespace \"foo\""},
      {"duplicate namespace", "/linux/namespaces", {{{"type", "pid"}}, {{"type", "pid"}}},
       "linux.namespaces[1].type: duplicate namespace \"pid\""},
      {"namespace without type", "/linux/namespaces", {json::object()}, "linux.namespaces[0].type: required"},
      {"namespace path relative", "/linux/namespaces", {{{"type", "net"}}},
       "linux.namespaces[0].type: unknown namespace \"net\""},
      {"namespace path relative", "/linux/namespaces", {{{"type", "network"}, {"path", "proc/1/ns/net"}}},
       "linux.namespaces[0].path: must be an absolute path, got \"proc/1/ns/net\""},
      {"mapping without user namespace", "/linux/uidMappings",
       {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}},
       "linux.uidMappings: user namespace mappings specified, but no user namespace is requested"},
      {"mapping size zero", "/linux/uidMappings", {{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}},
       "linux.uidMappings[0].size: must be greater than zero"},
      {"mapping missing hostID", "/linux/gidMappings", {{{"containerID", 0}, {"size", 1}}},
       "linux.gidMappings[0].hostID: required"},
      {"new user namespace without mappings", "/linux/namespaces", {{{"type", "user"}}},
       "linux.uidMappings: required for a new user namespace"},
      {"timeOffsets without time namespace", "/linux/timeOffsets", {{"monotonic", {{"secs", 1}}}},
       "linux.timeOffsets: time offsets require a time namespace"},
      {"timeOffsets unknown clock", "/linux/timeOffsets", {{"realtime", {{"secs", 1}}}},
       "linux.timeOffsets.realtime: unknown clock \"realtime\" (want monotonic or boottime)"},
      {"timeOffsets nanosecs", "/linux/timeOffsets", {{"boottime", {{"nanosecs", 1000000000}}}},
       "linux.timeOffsets.boottime.nanosecs: must be less than 1000000000"},
      {"device type", "/linux/devices", {{{"type", "x"}, {"path", "/dev/x"}}},
       "linux.devices[0].type: invalid device type \"x\" (want c, b, u or p)"},
      {"device path relative", "/linux/devices", {{{"type", "c"}, {"path", "dev/x"}, {"major", 1}, {"minor", 3}}},
       "linux.devices[0].path: must be an absolute path, got \"dev/x\""},
      {"char device without major", "/linux/devices", {{{"type", "c"}, {"path", "/dev/x"}, {"minor", 3}}},
       "linux.devices[0].major: required"},
      {"block device without minor", "/linux/devices", {{{"type", "b"}, {"path", "/dev/x"}, {"major", 3}}},
       "linux.devices[0].minor: required"},
      {"duplicate device", "/linux/devices",
       {{{"type", "p"}, {"path", "/dev/x"}}, {{"type", "p"}, {"path", "/dev/x"}}},
       "linux.devices[1].path: duplicate device \"/dev/x\""},
      {"rootfsPropagation", "/linux/rootfsPropagation", "sideways",
       "linux.rootfsPropagation: unknown propagation \"sideways\""},
      {"maskedPaths relative", "/linux/maskedPaths", {"/ok", "proc/kcore"},
       "linux.maskedPaths[1]: must be an absolute path, got \"proc/kcore\""},
      {"sysctl value not a string", "/linux/sysctl", {{"kernel.shmmax", 5}},
       "linux.sysctl.kernel.shmmax: expected a string"},
      {"resources not an object", "/linux/resources", json::array(), "linux.resources: expected an object"},
      {"seccomp defaultAction missing", "/linux/seccomp", json::object(),
       "linux.seccomp.defaultAction: required"},
      {"seccomp unknown defaultAction", "/linux/seccomp", {{"defaultAction", "SCMP_ACT_MAYBE"}},
       "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_MAYBE\""},
      {"seccomp unknown action", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {{{"names", {"a"}}, {"action", "ALLOW"}}}}},
       "linux.seccomp.syscalls[0].action: unknown seccomp action \"ALLOW\""},
      {"seccomp unknown op", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls", {{{"names", {"a"}}, {"action", "SCMP_ACT_ERRNO"},
                       {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ALMOST"}}}}}}}},
       "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_ALMOST\""},
      {"seccomp arg index", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls", {{{"names", {"a"}}, {"action", "SCMP_ACT_ERRNO"},
                       {"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}}}},
       "linux.seccomp.syscalls[0].args[0].index: must be less than 6"},
      {"seccomp syscall without names", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {{{"action", "SCMP_ACT_ERRNO"}}}}},
       "linux.seccomp.syscalls[0].names: must contain at least one entry"},
      {"seccomp unknown arch", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"}}},
       "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_Z80\""},
      {"seccomp unknown flag", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_FAST"}}},
       "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\""},
      {"seccomp notify default", "/linux/seccomp", {{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/s"}},
       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action"},
      {"seccomp notify without listener", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}},
       "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"},
      {"seccomp notify on write", "/linux/seccomp",
       {{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerPath", "/s"},
        {"syscalls", {{{"names", {"mkdir", "write"}}, {"action", "SCMP_ACT_NOTIFY"}}}}},
       "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY cannot be used for the write syscall"},
  };
  for (const auto& c : cases) {
    json doc = minimal();
    json::json_pointer ptr(c.pointer);
    if (c.value.is_null())
      doc[ptr.parent_pointer()].erase(ptr.back());
    else
      doc[ptr] = c.value;
    INFO(c.name);
    CHECK(error_of(doc) == c.message);
  }
}

TEST_CASE("hostname and sysctl need their namespaces", "[spec]") {
  json doc = minimal();
  doc["hostname"] = "box";
  CHECK(error_of(doc) == "hostname: unable to set hostname without a private UTS namespace");
  doc["linux"]["namespaces"].push_back({{"type", "uts"}});
  CHECK_NOTHROW(parse_spec(doc.dump()));

  auto sysctl_error = [](json d, const char* key) {
    d["linux"]["sysctl"] = {{key, "1"}};
    return error_of(d);
  };
  json bare = minimal();
  CHECK(sysctl_error(bare, "net.ipv4.ip_forward") ==
        "linux.sysctl: sysctl \"net.ipv4.ip_forward\" is not allowed in the host's network namespace");
  CHECK(sysctl_error(bare, "kernel.shmmax") ==
        "linux.sysctl: sysctl \"kernel.shmmax\" is not allowed in the host's IPC namespace");
  CHECK(sysctl_error(bare, "fs.mqueue.msg_max") ==
        "linux.sysctl: sysctl \"fs.mqueue.msg_max\" is not allowed in the host's IPC namespace");
  CHECK(sysctl_error(bare, "vm.swappiness") ==
        "linux.sysctl: sysctl \"vm.swappiness\" is not in a separate kernel namespace");
  CHECK(sysctl_error(bare, "kernel.domainname") ==
        "linux.sysctl: sysctl \"kernel.domainname\" is not in a separate kernel namespace");

  json namespaced = minimal();
  for (const char* ns : {"network", "ipc", "uts"}) namespaced["linux"]["namespaces"].push_back({{"type", ns}});
  CHECK(sysctl_error(namespaced, "net.ipv4.ip_forward") == "(no error)");
  CHECK(sysctl_error(namespaced, "net/ipv4/ip_forward") == "(no error)");
  CHECK(sysctl_error(namespaced, "kernel.msgmax") == "(no error)");
  CHECK(sysctl_error(namespaced, "kernel.domainname") == "(no error)");
  CHECK(sysctl_error(namespaced, "kernel.hostname") ==
        "linux.sysctl: sysctl \"kernel.hostname\" is not allowed: it conflicts with the \"hostname\" field");

  // Joining the network namespace we are in is the host's, as runc sees it.
  json joined = minimal();
  joined["linux"]["namespaces"].push_back({{"type", "network"}, {"path", "/proc/self/ns/net"}});
  CHECK(sysctl_error(joined, "net.core.somaxconn") ==
        "linux.sysctl: sysctl \"net.core.somaxconn\" is not allowed in the host's network namespace");
}

TEST_CASE("user and time namespaces: mappings and offsets", "[spec]") {
  json doc = minimal();
  doc["linux"]["namespaces"].push_back({{"type", "user"}});
  doc["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
  CHECK(error_of(doc) == "linux.gidMappings: required for a new user namespace");
  doc["linux"]["gidMappings"] = doc["linux"]["uidMappings"];
  CHECK(error_of(doc) == "(no error)");

  // A joined user namespace already has its mappings.
  json joined = minimal();
  joined["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
  CHECK(error_of(joined) == "(no error)");

  json timens = minimal();
  timens["linux"]["namespaces"].push_back({{"type", "time"}, {"path", "/proc/1/ns/time"}});
  timens["linux"]["timeOffsets"] = {{"boottime", {{"secs", 5}}}};
  CHECK(error_of(timens) ==
        "linux.timeOffsets: time offsets cannot be set when joining an existing time namespace");
  timens["linux"]["namespaces"].back().erase("path");
  CHECK(error_of(timens) == "(no error)");
}

TEST_CASE("masked and read-only paths need a mount namespace", "[spec]") {
  json doc = minimal();
  doc["linux"]["namespaces"] = {{{"type", "pid"}}};
  doc["linux"]["maskedPaths"] = {"/proc/kcore"};
  CHECK(error_of(doc) == "linux.maskedPaths: unable to mask paths without a private mount namespace");
}

TEST_CASE("every mount option in the table is accepted", "[spec]") {
  json doc = minimal();
  json options = json::array();
  for (const auto& option : mount_options()) options.push_back(option.name);
  options.push_back("size=65536k");
  options.push_back("idmap=uids=0-1000-10;gids=0-1000-10");
  doc["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
  doc["mounts"] = {{{"destination", "/x"}, {"type", "bind"}, {"source", "/y"}, {"options", options}}};
  Spec spec = parse_spec(doc.dump());
  CHECK(spec.mounts[0].options.size() == options.size());
  // The table carries what the mount code applies.
  REQUIRE(find_mount_option("rbind"));
  CHECK(find_mount_option("rbind")->flag == (MS_BIND | MS_REC));
  CHECK(find_mount_option("rw")->clear);
  CHECK(find_mount_option("rro")->kind == MountOptionKind::Recursive);
  CHECK(propagation_flags("rslave") == (MS_SLAVE | MS_REC));
  CHECK_FALSE(find_mount_option("bogus"));
}

TEST_CASE("malformed JSON names the file and the position", "[spec]") {
  CHECK(error_of_text("{\"ociVersion\": ") ==
        "config.json: invalid JSON: parse error at line 1, column 16: syntax error while parsing value - "
        "unexpected end of input; expected '[', '{', or a literal");
  CHECK(error_of_text("[1, 2]") == "config.json: expected a JSON object");
  CHECK(error_of_text("").rfind("config.json: invalid JSON: ", 0) == 0);
}
