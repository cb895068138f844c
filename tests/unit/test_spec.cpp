// config.json parsing: every field lands in the model, defaults, the
// tables, load_spec and parse_process (bad input: test_spec_errors.cpp).
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
#include "spec_test_helpers.hpp"

using nlohmann::json;
using namespace skiff::oci;
using spec_test::error_of;
using spec_test::minimal;

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
