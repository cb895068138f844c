// config.json parsing and validation: every field lands in the model, and
// every bad input fails with the JSON path and cause.
#include <sched.h>
#include <sys/personality.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "oci/spec.hpp"
#include "oci/tables.hpp"
#include "skiff/skiff.hpp"

using nlohmann::json;
using namespace skiff::oci;

namespace {

const char* kFullConfig = R"({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6], "username": "me"},
    "args": ["/bin/sh", "-c", "true"],
    "env": ["PATH=/bin", "TERM=xterm"],
    "cwd": "/work",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_KILL"],
      "effective": ["CAP_KILL"],
      "inheritable": ["CAP_NET_RAW"],
      "permitted": ["CAP_KILL", "CAP_CHECKPOINT_RESTORE"],
      "ambient": ["CAP_SYS_ADMIN"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "unconfined",
    "oomScoreAdj": -500,
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "scheduler": {"policy": "SCHED_OTHER", "nice": 5},
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data",
     "options": ["rbind", "rro", "nosuid", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}]},
    {"destination": "tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=64m", "mode=1777", "noswap"]}
  ],
  "hooks": {
    "prestart": [{"path": "/bin/pre"}],
    "createRuntime": [{"path": "/bin/cr", "args": ["cr", "x"], "env": ["A=1"], "timeout": 5}],
    "createContainer": [{"path": "/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}, {"path": "/bin/sc2"}],
    "poststart": [{"path": "/bin/ps"}],
    "poststop": [{"path": "/bin/pst"}]
  },
  "annotations": {"org.example.key": "value", "run.oci.handler": "wasm"},
  "futureTopLevelKey": {"ignored": true},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
    "gidMappings": [{"containerID": 0, "hostID": 1001, "size": 1}, {"containerID": 1, "hostID": 300000, "size": 10}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "20", "kernel.domainname": "x"},
    "resources": {"memory": {"limit": 1048576}, "pids": {"limit": 5}},
    "cgroupsPath": "/skiff/test",
    "namespaces": [
      {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
      {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "devices": [
      {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
      {"type": "p", "path": "/dev/pipe"}
    ],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/agent.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 255, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "timeOffsets": {"monotonic": {"secs": -3600, "nanosecs": 5}, "boottime": {"secs": 86400}},
    "personality": {"domain": "LINUX32"},
    "intelRdt": {"closID": "x"}
  }
})";

json full() { return json::parse(kFullConfig); }

// A minimal valid document to mutate.
json minimal() {
  return json::parse(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
    "process": {"args": ["sh"], "cwd": "/"},
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}})");
}

std::string error_of(const json& doc) {
  try {
    parse_spec(doc.dump());
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string error_of_text(const std::string& text) {
  try {
    parse_spec(text);
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a full config parses into every field of the model", "[spec]") {
  Spec spec = parse_spec(kFullConfig);
  CHECK(spec.oci_version == "1.2.0");
  CHECK(spec.raw == full());
  CHECK(spec.hostname == "box");
  CHECK(spec.domainname == "example.org");
  CHECK(spec.root.path == "rootfs");
  CHECK(spec.root.readonly);

  REQUIRE(spec.process);
  const Process& p = *spec.process;
  CHECK(p.terminal);
  REQUIRE(p.console_size);
  CHECK(p.console_size->height == 25);
  CHECK(p.console_size->width == 80);
  CHECK(p.user.uid == 1000);
  CHECK(p.user.gid == 1001);
  CHECK(p.user.umask == 18u);
  CHECK(p.user.additional_gids == std::vector<uint32_t>{5, 6});
  CHECK(p.user.username == "me");
  CHECK(p.args == std::vector<std::string>{"/bin/sh", "-c", "true"});
  CHECK(p.env == std::vector<std::string>{"PATH=/bin", "TERM=xterm"});
  CHECK(p.cwd == "/work");
  REQUIRE(p.capabilities);
  CHECK(p.capabilities->bounding == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"});
  CHECK(p.capabilities->effective == std::vector<std::string>{"CAP_KILL"});
  CHECK(p.capabilities->inheritable == std::vector<std::string>{"CAP_NET_RAW"});
  CHECK(p.capabilities->permitted == std::vector<std::string>{"CAP_KILL", "CAP_CHECKPOINT_RESTORE"});
  CHECK(p.capabilities->ambient == std::vector<std::string>{"CAP_SYS_ADMIN"});
  REQUIRE(p.rlimits.size() == 2);
  CHECK(p.rlimits[0].type == "RLIMIT_NOFILE");
  CHECK(p.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(p.rlimits[0].hard == 4096);
  CHECK(p.rlimits[0].soft == 1024);
  CHECK(p.rlimits[1].resource == RLIMIT_CORE);
  CHECK(p.rlimits[1].hard == UINT64_MAX);
  CHECK(p.no_new_privileges);
  CHECK(p.apparmor_profile == "unconfined");
  CHECK(p.oom_score_adj == -500);
  CHECK(p.selinux_label == "system_u:system_r:container_t:s0");
  REQUIRE(p.scheduler);
  CHECK(p.scheduler->policy == "SCHED_OTHER");
  CHECK(p.scheduler->policy_value == SCHED_OTHER);
  REQUIRE(p.io_priority);
  CHECK(p.io_priority->priority == 4);

  REQUIRE(spec.mounts.size() == 3);
  CHECK(spec.mounts[0].destination == "/proc");
  CHECK(spec.mounts[0].type == "proc");
  CHECK(spec.mounts[0].source == "proc");
  CHECK(spec.mounts[0].options.empty());
  CHECK(spec.mounts[1].options == std::vector<std::string>{"rbind", "rro", "nosuid", "idmap"});
  REQUIRE(spec.mounts[1].uid_mappings.size() == 1);
  CHECK(spec.mounts[1].uid_mappings[0].host_id == 100000);
  CHECK(spec.mounts[1].uid_mappings[0].size == 65536);
  CHECK(spec.mounts[1].gid_mappings[0].host_id == 200000);
  CHECK(spec.mounts[2].destination == "/tmp");  // relative: put under "/", like runc

  CHECK(spec.hooks.prestart.size() == 1);
  REQUIRE(spec.hooks.create_runtime.size() == 1);
  CHECK(spec.hooks.create_runtime[0].path == "/bin/cr");
  CHECK(spec.hooks.create_runtime[0].args == std::vector<std::string>{"cr", "x"});
  CHECK(spec.hooks.create_runtime[0].env == std::vector<std::string>{"A=1"});
  CHECK(spec.hooks.create_runtime[0].timeout == 5);
  CHECK_FALSE(spec.hooks.prestart[0].timeout);
  CHECK(spec.hooks.create_container.size() == 1);
  CHECK(spec.hooks.start_container.size() == 2);
  CHECK(spec.hooks.poststart.size() == 1);
  CHECK(spec.hooks.poststop.at(0).path == "/bin/pst");

  CHECK(spec.annotations.at("org.example.key") == "value");
  CHECK(spec.annotations.at("run.oci.handler") == "wasm");

  REQUIRE(spec.linux);
  const Linux& l = *spec.linux;
  REQUIRE(l.uid_mappings.size() == 1);
  CHECK(l.uid_mappings[0].container_id == 0);
  CHECK(l.uid_mappings[0].host_id == 1000);
  CHECK(l.uid_mappings[0].size == 1);
  REQUIRE(l.gid_mappings.size() == 2);
  CHECK(l.gid_mappings[1].container_id == 1);
  CHECK(l.gid_mappings[1].host_id == 300000);
  CHECK(l.gid_mappings[1].size == 10);
  CHECK(l.sysctl.at("net.ipv4.ip_forward") == "1");
  CHECK(l.sysctl.size() == 4);
  CHECK(l.resources["pids"]["limit"] == 5);
  CHECK(l.cgroups_path == "/skiff/test");
  REQUIRE(l.namespaces.size() == 8);
  CHECK(l.namespaces[0].type == NamespaceType::Pid);
  CHECK(l.namespaces[7].type == NamespaceType::Time);
  CHECK(l.find_namespace(NamespaceType::User) != nullptr);
  REQUIRE(l.devices.size() == 2);
  CHECK(l.devices[0].type == 'c');
  CHECK(l.devices[0].path == "/dev/fuse");
  CHECK(l.devices[0].major == 10);
  CHECK(l.devices[0].minor == 229);
  CHECK(l.devices[0].file_mode == 0666u);
  CHECK(l.devices[0].uid == 0u);
  CHECK(l.devices[1].type == 'p');
  CHECK_FALSE(l.devices[1].file_mode);

  REQUIRE(l.seccomp);
  const Seccomp& s = *l.seccomp;
  CHECK(s.default_action == "SCMP_ACT_ERRNO");
  CHECK(s.default_errno_ret == 38u);
  CHECK(s.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"});
  CHECK(s.flags == std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  CHECK(s.listener_path == "/run/agent.sock");
  CHECK(s.listener_metadata == "meta");
  REQUIRE(s.syscalls.size() == 4);
  CHECK(s.syscalls[0].names == std::vector<std::string>{"read", "write"});
  CHECK(s.syscalls[1].action == "SCMP_ACT_NOTIFY");
  REQUIRE(s.syscalls[2].args.size() == 2);
  CHECK(s.syscalls[2].args[1].index == 1);
  CHECK(s.syscalls[2].args[1].value == 255);
  CHECK(s.syscalls[2].args[1].value_two == 4);
  CHECK(s.syscalls[2].args[1].op == "SCMP_CMP_MASKED_EQ");
  CHECK(s.syscalls[3].errno_ret == 1u);

  CHECK(l.rootfs_propagation == "rslave");
  CHECK(l.masked_paths == std::vector<std::string>{"/proc/kcore"});
  CHECK(l.readonly_paths == std::vector<std::string>{"/proc/sys"});
  CHECK(l.mount_label == "system_u:object_r:container_file_t:s0");
  REQUIRE(l.time_offsets.size() == 2);
  CHECK(l.time_offsets.at("monotonic").secs == -3600);
  CHECK(l.time_offsets.at("monotonic").nanosecs == 5);
  CHECK(l.time_offsets.at("boottime").secs == 86400);
  REQUIRE(l.personality);
  CHECK(l.personality->persona == PER_LINUX32);
  CHECK(l.intel_rdt["closID"] == "x");
}

TEST_CASE("a minimal config gets the model's defaults", "[spec]") {
  Spec spec = parse_spec(R"({"ociVersion": "1.0.0", "root": {"path": "/abs/rootfs"}})");
  CHECK_FALSE(spec.process);
  CHECK_FALSE(spec.linux);
  CHECK_FALSE(spec.root.readonly);
  CHECK(spec.mounts.empty());
  CHECK(spec.hooks.poststop.empty());

  json doc = minimal();
  doc["process"] = {{"args", {"sh"}}};  // no cwd, no user
  Spec with_process = parse_spec(doc.dump());
  CHECK(with_process.process->cwd == "/");
  CHECK(with_process.process->user.uid == 0);
  CHECK_FALSE(with_process.process->capabilities);
  CHECK(!with_process.process->scheduler);
  CHECK(with_process.linux->resources.is_null());
}

TEST_CASE("JSON null counts as an absent field", "[spec]") {
  json doc = minimal();
  doc["hostname"] = nullptr;
  doc["mounts"] = nullptr;
  doc["linux"]["seccomp"] = nullptr;
  Spec spec = parse_spec(doc.dump());
  CHECK(spec.hostname.empty());
  CHECK_FALSE(spec.linux->seccomp);
}

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

TEST_CASE("unknown keys are ignored, and raw keeps them", "[spec]") {
  json doc = minimal();
  doc["vm"] = {{"hypervisor", {{"path", "/x"}}}};
  doc["process"]["futureField"] = 1;
  doc["linux"]["netDevices"] = {{"eth0", json::object()}};
  Spec spec = parse_spec(doc.dump());
  CHECK(spec.raw["vm"]["hypervisor"]["path"] == "/x");
  CHECK(spec.raw["linux"]["netDevices"].contains("eth0"));
}

TEST_CASE("parse_process reads an exec process.json with the given path", "[spec]") {
  json process = {{"args", {"ls"}}, {"cwd", "/tmp"}, {"user", {{"uid", 5}}}};
  Process p = parse_process(process);
  CHECK(p.args == std::vector<std::string>{"ls"});
  CHECK(p.user.uid == 5);
  // Values built in code (signed ints) are as good as parsed ones.
  CHECK(parse_process(json{{"args", {"x"}}, {"user", {{"uid", int{7}}}}}).user.uid == 7);

  json bad = {{"args", {"ls"}}, {"cwd", "tmp"}};
  CHECK_THROWS_WITH(parse_process(bad, "exec.process"),
                    "exec.process.cwd: must be an absolute path, got \"tmp\"");
  CHECK_THROWS_WITH(parse_process(json{{"args", json::array()}}),
                    "process.args: must contain at least one entry");
}

TEST_CASE("load_spec reads <bundle>/config.json", "[spec]") {
  char tmpl[] = "/tmp/skiff-spec-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string bundle = tmpl;
  CHECK_THROWS_WITH(load_spec(bundle), bundle + "/config.json: No such file or directory");
  {
    std::ofstream out(bundle + "/config.json");
    out << minimal().dump();
  }
  CHECK(load_spec(bundle).root.path == "rootfs");
  CHECK(load_spec(bundle + "/").process->args.at(0) == "sh");
  ::unlink((bundle + "/config.json").c_str());
  ::rmdir(bundle.c_str());
}

TEST_CASE("namespace names, flags and proc files", "[spec]") {
  CHECK(namespace_from_name("network") == NamespaceType::Network);
  CHECK_FALSE(namespace_from_name("net"));
  CHECK(std::string(namespace_name(NamespaceType::Mount)) == "mount");
  CHECK(std::string(namespace_proc_file(NamespaceType::Mount)) == "mnt");
  CHECK(std::string(namespace_proc_file(NamespaceType::Network)) == "net");
  CHECK(namespace_clone_flag(NamespaceType::User) == CLONE_NEWUSER);
  CHECK(namespace_clone_flag(NamespaceType::Time) == 0x80);
  for (int i = 0; i <= static_cast<int>(NamespaceType::Time); ++i) {
    auto type = static_cast<NamespaceType>(i);
    CHECK(namespace_from_name(namespace_name(type)) == type);
  }
}

TEST_CASE("capability and rlimit tables match the kernel headers", "[spec]") {
  CHECK(capabilities().size() == 41);
  CHECK(capability_from_name("CAP_SYS_ADMIN") == 21);
  CHECK(capability_from_name("CAP_CHECKPOINT_RESTORE") == 40);
  CHECK(rlimit_from_name("RLIMIT_NOFILE") == RLIMIT_NOFILE);
  CHECK(rlimits().size() == 16);
}

TEST_CASE("the default spec is valid and looks like runc's", "[spec][defaults]") {
  Spec spec = parse_spec(skiff::default_spec_json(false));
  CHECK(spec.oci_version == kSpecVersion);
  REQUIRE(spec.process);
  CHECK(spec.process->terminal);
  CHECK(spec.process->args == std::vector<std::string>{"sh"});
  CHECK(spec.process->capabilities->bounding.size() == 14);
  CHECK(spec.process->capabilities->ambient.empty());
  CHECK(spec.process->no_new_privileges);
  CHECK(spec.process->rlimits.at(0).resource == RLIMIT_NOFILE);
  CHECK(spec.root.path == "rootfs");
  CHECK(spec.root.readonly);
  CHECK(spec.hostname == "skiff");
  CHECK(spec.mounts.size() == 7);
  CHECK(spec.mounts[5].type == "sysfs");
  CHECK(spec.linux->find_namespace(NamespaceType::Network));
  CHECK(spec.linux->find_namespace(NamespaceType::Cgroup));
  CHECK_FALSE(spec.linux->find_namespace(NamespaceType::User));
  CHECK(spec.linux->resources["devices"][0]["allow"] == false);
  CHECK(spec.linux->masked_paths.size() >= 10);
  CHECK(spec.linux->readonly_paths.size() == 5);
  // Key order is runc's: ociVersion first.
  CHECK(skiff::default_spec_json(false).find("\"ociVersion\"") < skiff::default_spec_json(false).find("\"process\""));
}

TEST_CASE("the rootless default spec maps the current user", "[spec][defaults]") {
  Spec spec = parse_spec(skiff::default_spec_json(true));
  REQUIRE(spec.linux);
  CHECK(spec.linux->find_namespace(NamespaceType::User));
  CHECK_FALSE(spec.linux->find_namespace(NamespaceType::Network));
  REQUIRE(spec.linux->uid_mappings.size() == 1);
  CHECK(spec.linux->uid_mappings[0].host_id == ::geteuid());
  CHECK(spec.linux->gid_mappings[0].host_id == ::getegid());
  CHECK(spec.linux->resources.is_null());
  CHECK(spec.mounts[5].destination == "/sys");
  CHECK(spec.mounts[5].options.at(0) == "rbind");
  for (const auto& mount : spec.mounts)
    for (const auto& option : mount.options) CHECK(option.rfind("gid=", 0) == std::string::npos);
}

TEST_CASE("features lists what the validator accepts", "[spec][defaults]") {
  json features = json::parse(skiff::features_json());
  CHECK(features["ociVersionMin"] == "1.0.0");
  CHECK(features["ociVersionMax"] == kSpecVersion);
  CHECK(features["hooks"].size() == 6);
  CHECK(features["linux"]["capabilities"].size() == 41);
  CHECK(features["linux"]["namespaces"].size() == 8);
  CHECK(features["linux"]["mountExtensions"]["idmap"]["enabled"] == true);
  auto archs = features["linux"]["seccomp"]["archs"].get<std::vector<std::string>>();
  CHECK(std::find(archs.begin(), archs.end(), "SCMP_ARCH_X86_64") != archs.end());
  CHECK(features["annotations"].contains("io.github.skiff.version"));
  // Every advertised mount option passes validation.
  json doc = minimal();
  doc["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
  doc["mounts"] = {{{"destination", "/x"}, {"type", "bind"}, {"options", features["mountOptions"]}}};
  CHECK(error_of(doc) == "(no error)");
  // And every advertised seccomp action and operator.
  for (const auto& action : features["linux"]["seccomp"]["actions"]) {
    if (action == "SCMP_ACT_NOTIFY") continue;
    json d = minimal();
    d["linux"]["seccomp"] = {{"defaultAction", action}};
    CHECK(error_of(d) == "(no error)");
  }
}
