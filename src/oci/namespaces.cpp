// Namespace names <-> enum <-> CLONE_NEW* flag <-> /proc/<pid>/ns entry.
#include <sched.h>

#include "oci/spec.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace skiff::oci {
namespace {

struct NamespaceInfo {
  NamespaceType type;
  const char* name;     // config.json
  int clone_flag;
  const char* proc_file;  // /proc/<pid>/ns/<file>
};

constexpr NamespaceInfo kNamespaces[] = {
    {NamespaceType::Pid, "pid", CLONE_NEWPID, "pid"},
    {NamespaceType::Network, "network", CLONE_NEWNET, "net"},
    {NamespaceType::Mount, "mount", CLONE_NEWNS, "mnt"},
    {NamespaceType::Ipc, "ipc", CLONE_NEWIPC, "ipc"},
    {NamespaceType::Uts, "uts", CLONE_NEWUTS, "uts"},
    {NamespaceType::User, "user", CLONE_NEWUSER, "user"},
    {NamespaceType::Cgroup, "cgroup", CLONE_NEWCGROUP, "cgroup"},
    {NamespaceType::Time, "time", CLONE_NEWTIME, "time"},
};

const NamespaceInfo& info(NamespaceType type) {
  for (const auto& ns : kNamespaces)
    if (ns.type == type) return ns;
  return kNamespaces[0];  // unreachable: every enumerator is in the table
}

}  // namespace

const char* namespace_name(NamespaceType type) { return info(type).name; }

std::optional<NamespaceType> namespace_from_name(std::string_view name) {
  for (const auto& ns : kNamespaces)
    if (name == ns.name) return ns.type;
  return std::nullopt;
}

int namespace_clone_flag(NamespaceType type) { return info(type).clone_flag; }

const char* namespace_proc_file(NamespaceType type) { return info(type).proc_file; }

}  // namespace skiff::oci
