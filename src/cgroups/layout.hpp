// Where the cgroup hierarchies are mounted, read from /proc/self/mountinfo,
// and which cgroup this process is in, read from /proc/self/cgroup.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skiff::cgroups {

enum class Mode {
  Unified,  // cgroup2 only
  Hybrid,   // v1 controllers plus a cgroup2 hierarchy (usually .../unified)
  Legacy,   // v1 only
};

struct Hierarchy {
  std::string mountpoint;                // /sys/fs/cgroup/cpu,cpuacct
  std::string root;                      // the mount's root inside the hierarchy
  std::vector<std::string> controllers;  // {"cpu","cpuacct"}, {"name=systemd"}; empty for cgroup2
};

struct Layout {
  Mode mode = Mode::Legacy;
  bool has_unified = false;
  Hierarchy unified;          // valid when has_unified
  std::vector<Hierarchy> v1;  // one entry per v1 hierarchy

  // The v1 hierarchy holding a controller, or nullptr.
  [[nodiscard]] const Hierarchy* find_v1(std::string_view controller) const;
};

// Parse mountinfo text. Throws when no cgroup hierarchy is mounted.
Layout parse_mountinfo(std::string_view text);
// The layout seen by this process (not cached: mount namespaces differ).
Layout read_layout();

// One line of /proc/<pid>/cgroup: "4:memory:/a/b".
struct Membership {
  std::vector<std::string> controllers;  // empty for the cgroup2 line "0::/x"
  std::string path;
};
std::vector<Membership> parse_proc_cgroup(std::string_view text);
std::vector<Membership> self_memberships();

}  // namespace skiff::cgroups
