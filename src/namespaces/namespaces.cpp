#include "namespaces/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff::namespaces {

namespace {

using oci::NamespaceType;

// Order of joining: user first (it grants the privileges to join the others),
// mount last (after it, host paths are no longer reachable).
constexpr std::array kJoinOrder = {NamespaceType::User,   NamespaceType::Ipc,  NamespaceType::Uts,
                                   NamespaceType::Network, NamespaceType::Pid,  NamespaceType::Cgroup,
                                   NamespaceType::Time,   NamespaceType::Mount};

std::string format_mappings(const std::vector<oci::IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings)
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  return text;
}

}  // namespace

uint64_t new_namespace_flags(const oci::Linux* linux) {
  uint64_t flags = 0;
  if (!linux) return flags;
  for (const auto& ns : linux->namespaces)
    if (ns.path.empty()) flags |= static_cast<uint64_t>(oci::namespace_clone_flag(ns.type));
  return flags;
}

bool joins_namespaces(const oci::Linux* linux) {
  if (!linux) return false;
  for (const auto& ns : linux->namespaces)
    if (!ns.path.empty()) return true;
  return false;
}

void join_namespaces(const oci::Linux& linux) {
  for (NamespaceType type : kJoinOrder) {
    for (size_t i = 0; i < linux.namespaces.size(); ++i) {
      const auto& ns = linux.namespaces[i];
      if (ns.type != type || ns.path.empty()) continue;
      std::string label = "linux.namespaces[" + std::to_string(i) + "].path: " + ns.path;
      UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno(label);
      if (::setns(fd.get(), oci::namespace_clone_flag(type)) != 0)
        throw_errno(label + ": joining the " + oci::namespace_name(type) + " namespace");
    }
  }
}

void write_id_maps(pid_t pid, const oci::Linux& linux) {
  std::string proc = "/proc/" + std::to_string(pid);
  try {
    write_file(proc + "/uid_map", format_mappings(linux.uid_mappings));
  } catch (const Error& e) {
    throw e.wrap("linux.uidMappings");
  }
  try {
    write_file(proc + "/gid_map", format_mappings(linux.gid_mappings));
  } catch (const Error& e) {
    throw e.wrap("linux.gidMappings");
  }
}

void enter_new_time_namespace(const oci::Linux& linux) {
  if (::unshare(CLONE_NEWTIME) != 0) throw_errno("creating the time namespace");
  std::string offsets;
  for (const auto& [clock, offset] : linux.time_offsets)
    offsets += clock + " " + std::to_string(offset.secs) + " " + std::to_string(offset.nanosecs) + "\n";
  if (!offsets.empty()) {
    try {
      write_file("/proc/self/timens_offsets", offsets);
    } catch (const Error& e) {
      throw e.wrap("linux.timeOffsets");
    }
  }
  UniqueFd fd(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
  if (!fd || ::setns(fd.get(), CLONE_NEWTIME) != 0) throw_errno("entering the time namespace");
}

void join_process_namespaces(pid_t pid, int pidfd) {
  static constexpr std::array<NamespaceType, 8> all = kJoinOrder;
  int flags = 0;
  for (NamespaceType type : all) {
    const char* file = oci::namespace_proc_file(type);
    struct stat theirs, ours;
    std::string their_path = "/proc/" + std::to_string(pid) + "/ns/" + file;
    std::string our_path = std::string("/proc/self/ns/") + file;
    if (::stat(their_path.c_str(), &theirs) != 0) {
      if (errno == ENOENT) continue;
      throw_errno(their_path);
    }
    if (::stat(our_path.c_str(), &ours) != 0) continue;
    if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
      flags |= oci::namespace_clone_flag(type);
  }
  if (flags != 0 && ::setns(pidfd, flags) != 0) throw_errno("joining the container's namespaces");
}

}  // namespace skiff::namespaces
