// Parsing of OCI mount "options" into what the new mount API needs.
//
// A word is, in order of lookup: a per-mount attribute (ro, nosuid, noatime,
// ...), a superblock flag (sync, dirsync, lazytime, mand: only meaningful for a
// new filesystem), a recursive attribute (rro, rnosuid, ...: mount_setattr with
// AT_RECURSIVE), a propagation word, one of bind/rbind/remount/tmpcopyup/idmap,
// and otherwise filesystem data handed to fsconfig ("mode=755", "newinstance").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::mounts {

// A set/clear pair of MOUNT_ATTR_* bits. The atime mode is a 3-valued field:
// when atime_set is true, attr_clr includes MOUNT_ATTR__ATIME.
struct AttrChange {
  uint64_t set = 0;
  uint64_t clr = 0;
  [[nodiscard]] bool empty() const { return set == 0 && clr == 0; }
};

struct MountOptions {
  bool bind = false;
  bool recursive_bind = false;  // rbind
  bool remount = false;
  bool tmpcopyup = false;
  bool idmap = false;            // "idmap" / "ridmap"
  bool recursive_idmap = false;  // "ridmap": every mount of an rbind
  AttrChange attrs;              // applied to the mount itself
  AttrChange rec_attrs;          // applied with AT_RECURSIVE
  // Superblock flags for fsconfig(FSCONFIG_SET_FLAG): "sync", "dirsync", ...
  std::vector<std::string> sb_flags;
  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, each with whether it is the r* form.
  struct Propagation {
    uint64_t type = 0;
    bool recursive = false;
  };
  std::vector<Propagation> propagation;
  // Filesystem data, in order: "key=value" or bare words.
  std::vector<std::string> data;

  // Data as the comma-joined string mount(2) would take.
  [[nodiscard]] std::string data_string() const;
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

// Propagation word ("rslave") -> MS_* | (MS_REC when recursive). 0 when unknown.
unsigned long propagation_flags(std::string_view word);

}  // namespace skiff::mounts
