// `skiff spec` (a default config.json) and `skiff features` (features.md).
// Both are built from the same tables the validator uses.
#include <seccomp.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/seccomp_default.hpp"
#include "oci/spec.hpp"
#include "oci/tables.hpp"
#include "skiff/skiff.hpp"

#ifndef SKIFF_VERSION
#define SKIFF_VERSION "unknown"
#endif

namespace skiff {
namespace {

using ojson = nlohmann::ordered_json;

// Docker's default capability set: enough for ordinary images (package
// managers chown, su/sudo setuid, ping needs NET_RAW), nothing that
// reaches the host.
const std::vector<std::string> kDefaultCapabilities = {
    "CAP_CHOWN",      "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",      "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP",    "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",       "CAP_AUDIT_WRITE",
};

// Docker's default masked paths: host information and hardware knobs.
const std::vector<std::string> kMaskedPaths = {
    "/proc/asound",      "/proc/acpi",        "/proc/interrupts",  "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",        "/sys/firmware",     "/sys/devices/virtual/powercap",
};

const std::vector<std::string> kReadonlyPaths = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

ojson mount(const char* destination, const char* type, const char* source,
            std::vector<std::string> options) {
  ojson m = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) m["options"] = std::move(options);
  return m;
}

// runc's mounts; rootless swaps sysfs for a bind of the host's /sys (a new
// sysfs needs a netns owned by the user ns) and drops gid= (only one group is mapped).
ojson default_mounts(bool rootless) {
  ojson mounts = ojson::array();
  mounts.push_back(mount("/proc", "proc", "proc", {}));
  mounts.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  std::vector<std::string> devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  if (!rootless) devpts.push_back("gid=5");
  mounts.push_back(mount("/dev/pts", "devpts", "devpts", devpts));
  mounts.push_back(mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (rootless)
    mounts.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  else
    mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  return mounts;
}

ojson default_process() {
  ojson caps = {{"bounding", kDefaultCapabilities},
                {"effective", kDefaultCapabilities},
                {"permitted", kDefaultCapabilities}};
  return {
      {"terminal", true},  // as `runc spec`: the example runs an interactive sh
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities", caps},
      {"rlimits", ojson::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
}

ojson id_mapping(unsigned host_id) {
  return ojson::array({{{"containerID", 0}, {"hostID", host_id}, {"size", 1}}});
}

ojson default_linux(bool rootless) {
  ojson linux_ = ojson::object();
  if (rootless) {
    linux_["uidMappings"] = id_mapping(::geteuid());
    linux_["gidMappings"] = id_mapping(::getegid());
  } else {
    linux_["resources"] = {{"devices", ojson::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  ojson namespaces = ojson::array();
  for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"})
    if (!rootless || std::string_view(type) != "network") namespaces.push_back({{"type", type}});
  if (rootless) namespaces.push_back({{"type", "user"}});
  linux_["namespaces"] = namespaces;
  linux_["maskedPaths"] = kMaskedPaths;
  linux_["readonlyPaths"] = kReadonlyPaths;
  linux_["seccomp"] = oci::default_seccomp(kDefaultCapabilities);
  return linux_;
}

template <typename Range>
std::vector<std::string> names(const Range& range) {
  std::vector<std::string> out;
  for (const auto& entry : range) out.emplace_back(entry.name);
  return out;
}

std::vector<std::string> strings(std::span<const std::string_view> views) {
  return {views.begin(), views.end()};
}

std::vector<std::string> mount_option_names() {
  std::vector<std::string> out;
  for (const auto& option : oci::mount_options())
    if (option.kind != oci::MountOptionKind::Data) out.emplace_back(option.name);
  std::sort(out.begin(), out.end());
  return out;
}

// Only the architectures this libseccomp can build filters for.
std::vector<std::string> seccomp_arch_names() {
  std::vector<std::string> out;
  for (const auto& arch : oci::seccomp_archs())
    if (seccomp_arch_resolve_name(std::string(arch.libseccomp).c_str()) != 0)
      out.emplace_back(arch.name);
  return out;
}

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

ojson features_linux() {
  std::vector<std::string> namespaces;
  for (int i = 0; i <= static_cast<int>(oci::NamespaceType::Time); ++i)
    namespaces.emplace_back(oci::namespace_name(static_cast<oci::NamespaceType>(i)));
  return {
      {"namespaces", namespaces},
      {"capabilities", names(oci::capabilities())},
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", false}}},
      {"seccomp",
       {{"enabled", true},
        {"actions", strings(oci::seccomp_actions())},
        {"operators", strings(oci::seccomp_operators())},
        {"archs", seccomp_arch_names()},
        {"knownFlags", strings(oci::seccomp_flags())},
        {"supportedFlags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}}}},
      {"apparmor", {{"enabled", false}}},
      {"selinux", {{"enabled", false}}},
      {"intelRdt", {{"enabled", false}}},
      {"mountExtensions", {{"idmap", {{"enabled", true}}}}},
      {"netDevices", {{"enabled", false}}},
  };
}

}  // namespace

std::string default_spec_json(bool rootless) {
  ojson spec = {
      {"ociVersion", oci::kSpecVersion},
      {"process", default_process()},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "skiff"},
      {"mounts", default_mounts(rootless)},
      {"linux", default_linux(rootless)},
  };
  return spec.dump(1, '\t');
}

std::string features_json() {
  ojson features = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", oci::kSpecVersion},
      {"hooks", strings(oci::hook_names())},
      {"mountOptions", mount_option_names()},
      {"linux", features_linux()},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version", libseccomp_version()},
        {"io.github.skiff.version", SKIFF_VERSION}}},
  };
  return features.dump(4);
}

}  // namespace skiff
