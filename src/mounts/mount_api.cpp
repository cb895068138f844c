#include "mounts/mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/error.hpp"

namespace skiff::mounts {
namespace {

// The kernel logs why fsconfig failed ("e tmpfs: Bad value for 'mode'") on
// the fs context fd; append it to the errno text when there is one.
[[noreturn]] void throw_fs_error(int fs_fd, const std::string& context) {
  int err = errno;
  std::string detail;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fs_fd, buf, sizeof(buf) - 1)) > 0) {
    std::string_view line(buf, static_cast<size_t>(n));
    if (line.size() > 2 && line[1] == ' ') line.remove_prefix(2);
    while (line.ends_with('\n')) line.remove_suffix(1);
    if (!detail.empty()) detail += "; ";
    detail += line;
  }
  if (detail.empty()) throw_errno(context, err);
  throw_errno(context + " (" + detail + ")", err);
}

void fs_set(int fs_fd, const std::string& item) {
  size_t eq = item.find('=');
  int rc = eq == std::string::npos ? fsconfig(fs_fd, FSCONFIG_SET_FLAG, item.c_str(), nullptr, 0)
                                   : fsconfig(fs_fd, FSCONFIG_SET_STRING,
                                              item.substr(0, eq).c_str(), item.c_str() + eq + 1, 0);
  if (rc < 0) throw_fs_error(fs_fd, "option \"" + item + "\"");
}

// Bits fsmount() takes directly (the rest goes through mount_setattr).
constexpr uint64_t kFsmountAttrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                   MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME |
                                   MOUNT_ATTR_NOSYMFOLLOW;

int setattr(int mnt_fd, mount_attr& attr, bool recursive) {
  return mount_setattr(mnt_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                       sizeof(attr));
}

}  // namespace

UniqueFd clone_tree(int dir_fd, const std::string& path, bool recursive) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0) |
                   (path.empty() ? AT_EMPTY_PATH : 0);
  UniqueFd fd(open_tree(dir_fd, path.c_str(), flags));
  if (!fd) throw_errno("open_tree " + (path.empty() ? std::string("fd") : path));
  return fd;
}

UniqueFd new_filesystem(const std::string& type, const std::string& source,
                        const MountOptions& options) {
  UniqueFd fs(fsopen(type.c_str(), FSOPEN_CLOEXEC));
  if (!fs) throw_errno("fsopen " + type);
  if (!source.empty() && fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) < 0)
    throw_fs_error(fs.get(), "source \"" + source + "\"");
  for (const auto& flag : options.sb_flags) fs_set(fs.get(), flag);
  for (const auto& item : options.data) fs_set(fs.get(), item);
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    throw_fs_error(fs.get(), "mount " + type);
  // Pass the attributes to fsmount itself: a procfs/sysfs mount in a user
  // namespace is only allowed when it is as restrictive as the host's.
  UniqueFd mnt(
      fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(options.attrs.set & kFsmountAttrs)));
  if (!mnt) throw_fs_error(fs.get(), "mount " + type);
  return mnt;
}

void set_attrs(int mnt_fd, const AttrChange& change, bool recursive) {
  if (change.empty()) return;
  mount_attr attr{};
  attr.attr_set = change.set;
  attr.attr_clr = change.clr;
  if (setattr(mnt_fd, attr, recursive) == 0) return;
  if (errno != EPERM) throw_errno("mount_setattr");
  // A user namespace cannot clear flags locked on a mount it inherited
  // (runc does the same): keep those and retry.
  uint64_t locked = locked_attrs(mnt_fd);
  attr.attr_clr &= ~(locked & ~uint64_t{MOUNT_ATTR__ATIME});
  if (attr.attr_clr & MOUNT_ATTR__ATIME) {
    attr.attr_clr &= ~uint64_t{MOUNT_ATTR__ATIME};
    attr.attr_set &= ~uint64_t{MOUNT_ATTR__ATIME};
  }
  if (setattr(mnt_fd, attr, recursive) < 0) throw_errno("mount_setattr");
}

void set_propagation(int mnt_fd, uint64_t propagation, bool recursive) {
  mount_attr attr{};
  attr.propagation = propagation;
  if (setattr(mnt_fd, attr, recursive) < 0) throw_errno("setting propagation");
}

void set_idmap(int mnt_fd, int userns_fd, bool recursive) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (setattr(mnt_fd, attr, recursive) == 0) return;
  if (errno == EINVAL)
    throw_errno("idmapping the mount (the filesystem may not support idmapped mounts)");
  throw_errno("idmapping the mount");
}

void attach(int mnt_fd, int target_fd) {
  if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    throw_errno("move_mount");
}

uint64_t locked_attrs(int fd) {
  struct statvfs st {};
  if (fstatvfs(fd, &st) < 0) throw_errno("statfs");
  struct Bit {
    unsigned long st;
    uint64_t attr;
  };
  constexpr Bit kBits[] = {
      {ST_RDONLY, MOUNT_ATTR_RDONLY},   {ST_NOSUID, MOUNT_ATTR_NOSUID},
      {ST_NODEV, MOUNT_ATTR_NODEV},     {ST_NOEXEC, MOUNT_ATTR_NOEXEC},
      {ST_NOATIME, MOUNT_ATTR_NOATIME}, {ST_NODIRATIME, MOUNT_ATTR_NODIRATIME},
  };
  uint64_t attrs = 0;
  for (const auto& bit : kBits)
    if (st.f_flag & bit.st) attrs |= bit.attr;
  return attrs;
}

}  // namespace skiff::mounts
