// Cross-field rules, after runc's libcontainer/configs/validate: what the
// kernel would reject later (or silently apply to the host) fails here,
// before anything is created.
#include "oci/validate.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <string_view>

#include "util/error.hpp"

namespace skiff::oci::detail {
namespace {

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string indexed(std::string_view base, size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

// "Requested" means present in linux.namespaces, new or joined (runc's Contains).
bool has_namespace(const Spec& spec, NamespaceType type) {
  return spec.linux && spec.linux->find_namespace(type) != nullptr;
}

void validate_hostname(const Spec& spec) {
  if (!spec.hostname.empty() && !has_namespace(spec, NamespaceType::Uts))
    throw_error("hostname", "unable to set hostname without a private UTS namespace");
  if (!spec.domainname.empty() && !has_namespace(spec, NamespaceType::Uts))
    throw_error("domainname", "unable to set domainname without a private UTS namespace");
}

void validate_user_namespace(const Linux& linux_) {
  const Namespace* userns = linux_.find_namespace(NamespaceType::User);
  if (!userns) {
    if (!linux_.uid_mappings.empty())
      throw_error("linux.uidMappings", "user namespace mappings specified, but no user namespace is requested");
    if (!linux_.gid_mappings.empty())
      throw_error("linux.gidMappings", "user namespace mappings specified, but no user namespace is requested");
    return;
  }
  if (!userns->path.empty()) return;  // joined: the namespace already has its maps
  if (linux_.uid_mappings.empty()) throw_error("linux.uidMappings", "required for a new user namespace");
  if (linux_.gid_mappings.empty()) throw_error("linux.gidMappings", "required for a new user namespace");
}

void validate_time_offsets(const Linux& linux_) {
  if (linux_.time_offsets.empty()) return;
  const Namespace* timens = linux_.find_namespace(NamespaceType::Time);
  if (!timens) throw_error("linux.timeOffsets", "time offsets require a time namespace");
  if (!timens->path.empty())
    throw_error("linux.timeOffsets", "time offsets cannot be set when joining an existing time namespace");
}

// True when the netns path names the namespace we are in ("host" = current).
bool is_current_netns(const std::string& path) {
  struct stat target {};
  struct stat current {};
  if (::stat(path.c_str(), &target) != 0 || ::stat("/proc/self/ns/net", &current) != 0) return false;
  return target.st_dev == current.st_dev && target.st_ino == current.st_ino;
}

constexpr std::string_view kIpcSysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

void validate_sysctl(const Linux& linux_) {
  for (const auto& [raw_key, value] : linux_.sysctl) {
    std::string key = raw_key;
    std::replace(key.begin(), key.end(), '/', '.');  // "net/ipv4/ip_forward" is the same knob
    auto fail = [&](std::string_view why) { throw_error("linux.sysctl", "sysctl " + in_quotes(raw_key) + " " + std::string(why)); };

    bool ipc = key.starts_with("fs.mqueue.") ||
               std::find(std::begin(kIpcSysctls), std::end(kIpcSysctls), key) != std::end(kIpcSysctls);
    if (ipc) {
      if (!linux_.find_namespace(NamespaceType::Ipc)) fail("is not allowed in the host's IPC namespace");
      continue;
    }
    if (key.starts_with("net.")) {
      const Namespace* netns = linux_.find_namespace(NamespaceType::Network);
      if (!netns || (!netns->path.empty() && is_current_netns(netns->path)))
        fail("is not allowed in the host's network namespace");
      continue;
    }
    if (linux_.find_namespace(NamespaceType::Uts)) {
      if (key == "kernel.domainname") continue;
      if (key == "kernel.hostname") fail("is not allowed: it conflicts with the \"hostname\" field");
    }
    fail("is not in a separate kernel namespace");
  }
}

void validate_restricted_paths(const Linux& linux_) {
  if (linux_.find_namespace(NamespaceType::Mount)) return;
  if (!linux_.masked_paths.empty())
    throw_error("linux.maskedPaths", "unable to mask paths without a private mount namespace");
  if (!linux_.readonly_paths.empty())
    throw_error("linux.readonlyPaths", "unable to make paths read-only without a private mount namespace");
}

void validate_devices(const Linux& linux_) {
  std::set<std::string> seen;
  for (size_t i = 0; i < linux_.devices.size(); ++i)
    if (!seen.insert(linux_.devices[i].path).second)
      throw_error(indexed("linux.devices", i) + ".path", "duplicate device " + in_quotes(linux_.devices[i].path));
}

void validate_seccomp(const Seccomp& seccomp) {
  constexpr std::string_view kNotify = "SCMP_ACT_NOTIFY";
  if (seccomp.default_action == kNotify)
    throw_error("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be used as the default action");
  bool notify = false;
  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    const auto& syscall = seccomp.syscalls[i];
    if (syscall.action != kNotify) continue;
    notify = true;
    // The container process hands the listener fd to the runtime with sendmsg
    // after loading the filter (runc: write): intercepting it would deadlock.
    for (const char* name : {"write", "sendmsg"})
      if (std::find(syscall.names.begin(), syscall.names.end(), name) != syscall.names.end())
        throw_error(indexed("linux.seccomp.syscalls", i) + ".action",
                    std::string("SCMP_ACT_NOTIFY cannot be used for the ") + name + " syscall");
  }
  if (notify && seccomp.listener_path.empty())
    throw_error("linux.seccomp.listenerPath", "required when SCMP_ACT_NOTIFY is used");
}

bool is_bind_mount(const Mount& mount) {
  if (mount.type == "bind") return true;
  return std::any_of(mount.options.begin(), mount.options.end(),
                     [](const std::string& o) { return o == "bind" || o == "rbind"; });
}

void validate_idmapped_mounts(const Spec& spec) {
  bool userns = has_namespace(spec, NamespaceType::User);
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& mount = spec.mounts[i];
    std::string path = indexed("mounts", i);
    bool uid = !mount.uid_mappings.empty();
    bool gid = !mount.gid_mappings.empty();
    if (uid != gid) throw_error(path, "uidMappings and gidMappings must be specified together");
    if (uid && !is_bind_mount(mount)) throw_error(path, "id-mapped mounts are only supported for bind mounts");
    if (uid || userns) continue;
    // idmap without explicit mappings uses the container's user namespace.
    for (size_t k = 0; k < mount.options.size(); ++k)
      if (mount.options[k] == "idmap" || mount.options[k] == "ridmap")
        throw_error(indexed(path + ".options", k),
                    in_quotes(mount.options[k]) + " without mappings requires a user namespace");
  }
}

}  // namespace

void validate_spec(const Spec& spec) {
  validate_hostname(spec);
  validate_idmapped_mounts(spec);
  if (!spec.linux) return;
  const Linux& linux_ = *spec.linux;
  validate_user_namespace(linux_);
  validate_time_offsets(linux_);
  validate_sysctl(linux_);
  validate_restricted_paths(linux_);
  validate_devices(linux_);
  if (linux_.seccomp) validate_seccomp(*linux_.seccomp);
}

}  // namespace skiff::oci::detail
