// The typed model of an OCI runtime-spec config.json (Linux parts).
//
// parse_spec() turns JSON into this model and validates it; every later stage
// works on the model only. Fields that later issues enforce (seccomp, cgroup
// resources) are parsed here too so bad input fails early with a JSON path.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff::oci {

inline constexpr const char* kSpecVersion = "1.2.0";

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;  // Windows only; kept for round-trips.
};

struct ConsoleSize {
  unsigned height = 0;
  unsigned width = 0;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  int resource = 0;  // RLIMIT_NOFILE
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
};

// process.scheduler (sched_setattr).
struct Scheduler {
  std::string policy;    // "SCHED_BATCH"
  int policy_value = 0;  // SCHED_BATCH
  int nice = 0;
  int priority = 0;
  uint64_t flags = 0;  // SCHED_FLAG_* bits
  uint64_t runtime = 0;
  uint64_t deadline = 0;
  uint64_t period = 0;
};

// process.ioPriority (ioprio_set).
struct IoPriority {
  int io_class = 0;  // IOPRIO_CLASS_*
  int priority = 0;  // 0..7
};

// linux.personality.
struct Personality {
  unsigned long persona = 0;  // PER_LINUX, PER_LINUX32
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
  std::optional<Scheduler> scheduler;
  std::optional<IoPriority> io_priority;
};

struct Root {
  std::string path;  // as written in config.json (may be relative to the bundle)
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
};

struct Hooks {
  std::vector<Hook> prestart;
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
};

enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one
};

struct Device {
  char type = 'c';  // c, b, u or p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct SeccompArg {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_EQ ...
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Linux {
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, std::string> sysctl;
  nlohmann::json resources;  // null when absent; parsed by cgroups/
  std::string cgroups_path;
  std::vector<Namespace> namespaces;
  std::vector<Device> devices;
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
  std::optional<Personality> personality;
  nlohmann::json intel_rdt;    // null when absent

  [[nodiscard]] const Namespace* find_namespace(NamespaceType type) const {
    for (const auto& ns : namespaces)
      if (ns.type == type) return &ns;
    return nullptr;
  }
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
  nlohmann::json raw;  // the document as given, for hooks and state
};

// Parse and validate config.json text. Throws skiff::Error naming the JSON path
// ("linux.namespaces[2].type: unknown namespace \"foo\"").
Spec parse_spec(const std::string& json_text);

// The same, from an already parsed document (a container's recorded config).
Spec parse_spec_document(nlohmann::json document);

// The "hooks" object of a config document alone (absent: no hooks).
Hooks parse_hooks(const nlohmann::json& document);

// Parse a "process" object alone (exec --process FILE); same validation.
Process parse_process(const nlohmann::json& json, const std::string& json_path = "process");

// Read <bundle>/config.json and parse it; the error names the file on failure.
Spec load_spec(const std::string& bundle_dir);

// Namespace name in config.json <-> enum, and the CLONE_NEW* flag.
const char* namespace_name(NamespaceType type);
std::optional<NamespaceType> namespace_from_name(std::string_view name);
int namespace_clone_flag(NamespaceType type);
// The /proc/<pid>/ns/<file> entry for a namespace ("net", "mnt", ...).
const char* namespace_proc_file(NamespaceType type);

}  // namespace skiff::oci
