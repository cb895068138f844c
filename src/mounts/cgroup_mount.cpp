#include "mounts/cgroup_mount.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "mounts/mount_api.hpp"
#include "mounts/path_in_root.hpp"
#include "util/error.hpp"

namespace skiff::mounts {
namespace {

constexpr std::string_view kCgroupRoot = "/sys/fs/cgroup";

struct Hierarchy {
  std::string mountpoint;  // host path
  std::string root;        // the mount's root inside the hierarchy
  bool v2 = false;
  std::set<std::string> controllers;  // v1: "cpu", "name=systemd", ...
};

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in{std::string(text)};
  while (std::getline(in, part, sep))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 3)), nullptr, 8));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Super options of a v1 mount that are not controllers.
bool is_v1_option(const std::string& word) {
  static const std::set<std::string> kOptions = {"rw",           "ro",
                                                 "noprefix",     "clone_children",
                                                 "xattr",        "cpuset_v2_mode",
                                                 "favordynmods", "nofavordynmods",
                                                 "none"};
  return kOptions.count(word) || word.starts_with("release_agent=");
}

// Cgroup hierarchies mounted under /sys/fs/cgroup, from /proc/self/mountinfo.
std::vector<Hierarchy> host_hierarchies() {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) throw_errno("open /proc/self/mountinfo");
  std::vector<Hierarchy> out;
  std::string line;
  while (std::getline(in, line)) {
    auto fields = split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) continue;
    const std::string& fstype = dash[1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.root = unescape(fields[3]);
    h.mountpoint = unescape(fields[4]);
    h.v2 = fstype == "cgroup2";
    if (!h.mountpoint.starts_with(std::string(kCgroupRoot) + "/")) continue;
    for (auto& opt : split(dash[3], ','))
      if (!h.v2 && !is_v1_option(opt)) h.controllers.insert(opt);
    out.push_back(std::move(h));
  }
  return out;
}

// This process's cgroup path in the hierarchy (from /proc/self/cgroup).
std::string own_cgroup(const Hierarchy& h) {
  std::ifstream in("/proc/self/cgroup");
  if (!in) throw_errno("open /proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find(':');
    size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string id = line.substr(0, first);
    auto names = split(line.substr(first + 1, second - first - 1), ',');
    std::set<std::string> set(names.begin(), names.end());
    if ((h.v2 && id == "0" && set.empty()) || (!h.v2 && !set.empty() && set == h.controllers))
      return line.substr(second + 1);
  }
  return "/";
}

// The host directory to bind for hierarchy h: our cgroup, relative to the
// mount's root.
std::string bind_source(const Hierarchy& h) {
  std::string path = own_cgroup(h);
  if (h.root != "/" && path.starts_with(h.root)) path = path.substr(h.root.size());
  return clean_path(h.mountpoint + "/" + path);
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

bool unified_host() {
  struct statfs st {};
  return statfs(std::string(kCgroupRoot).c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

// A fresh mount of hierarchy h (only meaningful inside a cgroup namespace).
UniqueFd fresh_hierarchy(const Hierarchy& h, const MountOptions& options) {
  MountOptions fs_options;
  fs_options.attrs = options.attrs;
  if (!h.v2) fs_options.data.assign(h.controllers.begin(), h.controllers.end());
  return new_filesystem(h.v2 ? "cgroup2" : "cgroup", "cgroup", fs_options);
}

UniqueFd bound_hierarchy(const std::string& source, const MountOptions& options) {
  UniqueFd tree = clone_tree(AT_FDCWD, source, false);
  set_attrs(tree.get(), options.attrs, false);
  return tree;
}

void mount_hierarchy(int root_fd, const std::string& destination, const Hierarchy& h,
                     const MountOptions& options, bool new_cgroup_ns) {
  std::string name = base_name(h.mountpoint);
  UniqueFd mnt;
  if (new_cgroup_ns) {
    try {
      mnt = fresh_hierarchy(h, options);
    } catch (const Error&) {
      // e.g. a v1 hierarchy a user namespace may not mount: bind it instead.
    }
  }
  if (!mnt) mnt = bound_hierarchy(bind_source(h), options);
  UniqueFd target = mkdir_all_in_root(root_fd, destination + "/" + name);
  attach(mnt.get(), target.get());
  // Co-mounted controllers get a link per controller: cpu -> cpu,cpuacct.
  if (h.controllers.size() < 2) return;
  UniqueFd dir = mkdir_all_in_root(root_fd, destination);
  for (const auto& controller : h.controllers)
    if (controller != name && !controller.starts_with("name=") &&
        symlinkat(name.c_str(), dir.get(), controller.c_str()) < 0 && errno != EEXIST)
      throw_errno("symlink " + destination + "/" + controller);
}

void mount_unified(int root_fd, const std::string& destination, const MountOptions& options,
                   bool new_cgroup_ns) {
  UniqueFd mnt;
  try {
    mnt = new_filesystem("cgroup2", "cgroup", options);
  } catch (const Error& e) {
    if (new_cgroup_ns || (e.err() != EPERM && e.err() != EBUSY)) throw;
    Hierarchy h{std::string(kCgroupRoot), "/", true, {}};
    mnt = bound_hierarchy(bind_source(h), options);
  }
  attach(mnt.get(), mkdir_all_in_root(root_fd, destination).get());
}

}  // namespace

void mount_cgroup(int root_fd, const std::string& destination, const MountOptions& options,
                  bool new_cgroup_ns) {
  if (unified_host()) return mount_unified(root_fd, destination, options, new_cgroup_ns);

  MountOptions tmpfs;
  tmpfs.attrs.set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  tmpfs.data = {"mode=755"};
  UniqueFd tmp = new_filesystem("tmpfs", "tmpfs", tmpfs);
  attach(tmp.get(), mkdir_all_in_root(root_fd, destination).get());

  for (const auto& h : host_hierarchies())
    mount_hierarchy(root_fd, destination, h, options, new_cgroup_ns);
  // Read-only last, once every hierarchy has its mountpoint.
  if (options.attrs.set & MOUNT_ATTR_RDONLY) set_attrs(tmp.get(), {MOUNT_ATTR_RDONLY, 0}, false);
}

}  // namespace skiff::mounts
