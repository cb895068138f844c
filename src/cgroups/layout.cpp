#include "cgroups/layout.hpp"

#include <algorithm>
#include <sstream>

#include "cgroups/files.hpp"
#include "util/error.hpp"

namespace skiff::cgroups {

namespace {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t pos = 0;
  for (;;) {
    size_t end = text.find(sep, pos);
    parts.emplace_back(text.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) return parts;
    pos = end + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() &&
        std::all_of(field.begin() + i + 1, field.begin() + i + 4,
                    [](char c) { return c >= '0' && c <= '7'; })) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

// Options of a v1 mount that are controllers, not mount flags.
bool is_controller_option(std::string_view opt) {
  static constexpr std::string_view kFlags[] = {
      "rw",      "ro",    "nosuid",   "nodev",          "noexec",         "relatime",
      "noatime", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods",
      "none"};
  if (opt.starts_with("release_agent=")) return false;
  return std::find(std::begin(kFlags), std::end(kFlags), opt) == std::end(kFlags);
}

bool same_hierarchy(const Hierarchy& a, const std::vector<std::string>& controllers) {
  return a.controllers == controllers;
}

struct MountLine {
  std::string id, parent, mountpoint, root, fstype, super_options;
};

std::vector<MountLine> parse_mount_lines(std::string_view text) {
  std::vector<MountLine> mounts;
  for (const auto& line : split(text, '\n')) {
    auto fields = split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) continue;
    mounts.push_back({fields[0], fields[1], unescape(fields[4]), unescape(fields[3]), dash[1],
                      dash[3]});
  }
  return mounts;
}

bool is_same_or_ancestor_dir(std::string_view dir, std::string_view path) {
  if (dir == "/" || dir == path) return true;
  return path.starts_with(dir) && path.size() > dir.size() && path[dir.size()] == '/';
}

// A mount is hidden when another mount sits on its mountpoint or on a directory above it
// and is not one of the mounts it itself sits on (its parent chain), e.g. a tmpfs mounted
// over /sys/fs/cgroup/unified in a private mount namespace.
bool is_covered(const std::vector<MountLine>& mounts, const MountLine& m) {
  std::vector<const MountLine*> below;  // m's parent chain
  for (const MountLine* cur = &m;;) {
    auto parent = std::find_if(mounts.begin(), mounts.end(),
                               [&](const MountLine& o) { return o.id == cur->parent; });
    if (parent == mounts.end() || parent->id == m.id ||
        std::find(below.begin(), below.end(), &*parent) != below.end())
      break;
    below.push_back(&*parent);
    cur = &*parent;
  }
  return std::any_of(mounts.begin(), mounts.end(), [&](const MountLine& o) {
    return &o != &m && std::find(below.begin(), below.end(), &o) == below.end() &&
           is_same_or_ancestor_dir(o.mountpoint, m.mountpoint);
  });
}

}  // namespace

const Hierarchy* Layout::find_v1(std::string_view controller) const {
  for (const auto& h : v1)
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end())
      return &h;
  return nullptr;
}

Layout parse_mountinfo(std::string_view text) {
  Layout layout;
  const auto mounts = parse_mount_lines(text);
  for (const auto& m : mounts) {
    if (m.fstype != "cgroup" && m.fstype != "cgroup2") continue;
    if (is_covered(mounts, m)) continue;
    Hierarchy h{m.mountpoint, m.root, {}};
    if (m.fstype == "cgroup2") {
      // The first cgroup2 mount wins; later ones are usually bind mounts.
      if (!layout.has_unified) layout.unified = h, layout.has_unified = true;
      continue;
    }
    for (auto& opt : split(m.super_options, ','))
      if (is_controller_option(opt)) h.controllers.push_back(opt);
    std::sort(h.controllers.begin(), h.controllers.end());
    bool seen = std::any_of(layout.v1.begin(), layout.v1.end(),
                            [&](const Hierarchy& o) { return same_hierarchy(o, h.controllers); });
    if (!seen && !h.controllers.empty()) layout.v1.push_back(std::move(h));
  }
  if (layout.v1.empty() && !layout.has_unified)
    throw_error("/proc/self/mountinfo", "no cgroup filesystem is mounted");
  layout.mode = layout.v1.empty()    ? Mode::Unified
                : layout.has_unified ? Mode::Hybrid
                                     : Mode::Legacy;
  return layout;
}

Layout read_layout() { return parse_mountinfo(read_text("/proc/self/mountinfo")); }

std::vector<Membership> parse_proc_cgroup(std::string_view text) {
  std::vector<Membership> out;
  for (const auto& line : split(text, '\n')) {
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    Membership m;
    std::string list = line.substr(first + 1, second - first - 1);
    if (!list.empty()) m.controllers = split(list, ',');
    std::sort(m.controllers.begin(), m.controllers.end());
    m.path = line.substr(second + 1);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<Membership> self_memberships() {
  return parse_proc_cgroup(read_text("/proc/self/cgroup"));
}

}  // namespace skiff::cgroups
