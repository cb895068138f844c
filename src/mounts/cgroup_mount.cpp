#include "mounts/cgroup_mount.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "cgroups/layout.hpp"
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
  std::vector<std::string> controllers;  // v1: "cpu", "name=systemd", ...
  std::string own;                       // our cgroup in it (/proc/self/cgroup)
};

// Our cgroup in the hierarchy holding `controllers` (sorted; empty: cgroup2).
std::string own_cgroup(const std::vector<cgroups::Membership>& self, const std::vector<std::string>& controllers) {
  for (const auto& m : self)
    if (m.controllers == controllers) return m.path.empty() ? "/" : m.path;
  return "/";
}

// The cgroup hierarchies mounted under /sys/fs/cgroup: the layout the
// cgroups driver reads, and our own cgroup in each.
std::vector<Hierarchy> host_hierarchies(const cgroups::Layout* host_layout) {
  cgroups::Layout read_here;
  const cgroups::Layout& layout = host_layout ? *host_layout : (read_here = cgroups::read_layout());
  const auto self = cgroups::self_memberships();
  std::vector<Hierarchy> out;
  auto add = [&](const cgroups::Hierarchy& h, bool v2) {
    if (h.mountpoint.starts_with(std::string(kCgroupRoot) + "/"))
      out.push_back({h.mountpoint, h.root, v2, h.controllers, own_cgroup(self, h.controllers)});
  };
  for (const auto& h : layout.v1) add(h, false);
  if (layout.has_unified) add(layout.unified, true);
  return out;
}

// The host directory to bind for hierarchy h: our cgroup, relative to the
// mount's root.
std::string bind_source(const Hierarchy& h) {
  std::string path = h.own;
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

// Its mountpoint in our fresh tmpfs (nothing of the container's there to
// resolve), and a link per co-mounted controller: cpu -> cpu,cpuacct.
void make_mountpoint(int tmpfs_fd, const std::string& destination, const Hierarchy& h) {
  std::string name = base_name(h.mountpoint);
  if (mkdirat(tmpfs_fd, name.c_str(), 0755) < 0 && errno != EEXIST) throw_errno("mkdir " + destination + "/" + name);
  if (h.controllers.size() < 2) return;
  for (const auto& controller : h.controllers)
    if (controller != name && !controller.starts_with("name=") &&
        symlinkat(name.c_str(), tmpfs_fd, controller.c_str()) < 0 && errno != EEXIST)
      throw_errno("symlink " + destination + "/" + controller);
}

void mount_hierarchy(int tmpfs_fd, const std::string& destination, const Hierarchy& h,
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
  if (!mnt) mnt = clone_tree(AT_FDCWD, bind_source(h), false);  // attributes: see mount_cgroup
  UniqueFd target(openat(tmpfs_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!target) throw_errno("open " + destination + "/" + name);
  attach(mnt.get(), target.get());
}

void mount_unified(int root_fd, const std::string& destination, const MountOptions& options,
                   bool new_cgroup_ns) {
  UniqueFd mnt;
  try {
    mnt = new_filesystem("cgroup2", "cgroup", options);
  } catch (const Error& e) {
    if (new_cgroup_ns || (e.err() != EPERM && e.err() != EBUSY)) throw;
    Hierarchy h{std::string(kCgroupRoot), "/", true, {}, own_cgroup(cgroups::self_memberships(), {})};
    mnt = bound_hierarchy(bind_source(h), options);
  }
  attach(mnt.get(), mkdir_all_in_root(root_fd, destination).get());
}

}  // namespace

void mount_cgroup(int root_fd, const std::string& destination, const MountOptions& options,
                  bool new_cgroup_ns, const cgroups::Layout* host_layout) {
  if (unified_host()) return mount_unified(root_fd, destination, options, new_cgroup_ns);

  MountOptions tmpfs;
  tmpfs.attrs.set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  tmpfs.data = {"mode=755"};
  UniqueFd tmp = new_filesystem("tmpfs", "tmpfs", tmpfs);
  const auto hierarchies = host_hierarchies(host_layout);
  for (const auto& h : hierarchies) make_mountpoint(tmp.get(), destination, h);
  attach(tmp.get(), mkdir_all_in_root(root_fd, destination).get());
  for (const auto& h : hierarchies) mount_hierarchy(tmp.get(), destination, h, options, new_cgroup_ns);
  // The mount's attributes (ro, nosuid...) for the tmpfs and every hierarchy
  // at once, last, once every hierarchy has its mountpoint.
  set_attrs(tmp.get(), options.attrs, true);
}

}  // namespace skiff::mounts
