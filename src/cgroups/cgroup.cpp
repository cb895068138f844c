// make_cgroup / load_cgroup: pick the driver from the host layout and turn
// linux.cgroupsPath into one directory per hierarchy.
#include "cgroups/cgroup.hpp"

#include <unistd.h>

#include <algorithm>

#include "cgroups/files.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/v1.hpp"
#include "cgroups/v2.hpp"
#include "util/error.hpp"

namespace skiff::cgroups {

namespace {

constexpr const char* kField = "linux.cgroupsPath";

// runc's systemd form "slice:prefix:name": a relative path with two colons.
bool systemd_style(const std::string& path) {
  return !path.starts_with('/') && std::count(path.begin(), path.end(), ':') == 2;
}

// "/a//b/" -> "/a/b" (or "a/b" when relative); "." and ".." are refused so a
// path can never climb out of the hierarchy or this process's cgroup.
std::string clean(const std::string& path) {
  std::string out = path.starts_with('/') ? "/" : "";
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = std::min(path.find('/', pos), path.size());
    std::string part = path.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    if (part == "." || part == "..")
      throw_error(kField, "\"" + path + "\" must not contain \".\" or \"..\"");
    if (!out.empty() && out.back() != '/') out += '/';
    out += part;
  }
  if (out.empty() || out == "/") throw_error(kField, "\"" + path + "\" names the root cgroup");
  return out;
}

// This process's cgroup in the hierarchy holding `controllers` (empty: cgroup2).
std::string own_cgroup(const std::vector<Membership>& self, std::vector<std::string> controllers) {
  std::sort(controllers.begin(), controllers.end());
  for (const auto& m : self)
    if (m.controllers == controllers) {
      std::string path = m.path;
      // Like runc: a process in the root's init.scope (systemd) nests beside it.
      if (controllers.empty() && path.ends_with("/init.scope")) path.resize(path.size() - 11);
      return path.empty() ? "/" : path;
    }
  return "/";
}

// The cgroup path inside one hierarchy, relative to its mount.
std::string in_hierarchy(const Hierarchy& h, const std::string& path,
                         const std::vector<Membership>& self) {
  std::string full =
      path.starts_with('/') ? path : join_path(own_cgroup(self, h.controllers), path);
  if (!full.starts_with('/')) full = std::string("/") + full;
  // A mount of a sub-tree (root "/x") shows only what lies below it.
  if (h.root != "/" && (full == h.root || full.starts_with(h.root + "/")))
    full.erase(0, h.root.size());
  return full.empty() ? "/" : full;
}

}  // namespace

void join_self(const std::vector<SelfJoin>& joins) {
  for (const auto& join : joins)
    if (::write(join.tasks.get(), "0", 1) != 1) throw_errno("joining cgroup " + join.dir);
}

std::unique_ptr<Cgroup> make_cgroup(const std::string& path, const std::string& id) {
  return make_cgroup(path, id, read_layout());
}

std::unique_ptr<Cgroup> make_cgroup(const std::string& path, const std::string& id, const Layout& layout) {
  if (systemd_style(path))
    throw_error(kField, "\"" + path + "\": systemd cgroup driver not supported yet");
  if (path.empty() && (id.empty() || id.find('/') != std::string::npos || id == "." || id == ".."))
    throw_error("container id", "\"" + id + "\" cannot name a cgroup");
  std::string cleaned = clean(path.empty() ? "/" + id : path);

  auto self = self_memberships();
  if (layout.mode == Mode::Unified)
    return std::make_unique<CgroupV2>(layout.unified.mountpoint,
                                      in_hierarchy(layout.unified, cleaned, self), true);

  std::vector<V1Dir> dirs;
  for (const auto& h : layout.v1)
    dirs.push_back(
        {h.controllers, h.mountpoint, join_path(h.mountpoint, in_hierarchy(h, cleaned, self))});
  std::unique_ptr<CgroupV2> unified;
  if (layout.mode == Mode::Hybrid)
    unified = std::make_unique<CgroupV2>(layout.unified.mountpoint,
                                         in_hierarchy(layout.unified, cleaned, self), false);
  return std::make_unique<CgroupV1>(std::move(dirs), std::move(unified));
}

std::unique_ptr<Cgroup> load_cgroup(const nlohmann::json& saved) {
  if (!saved.is_object() || !saved.contains("driver") || !saved["driver"].is_string())
    throw_error("cgroup state", "missing \"driver\"");
  std::string driver = saved["driver"].get<std::string>();
  if (driver == "cgroup2") return CgroupV2::from_json(saved);
  if (driver == "cgroup1") return CgroupV1::from_json(saved);
  throw_error("cgroup state", "unknown driver \"" + driver + "\"");
}

}  // namespace skiff::cgroups
