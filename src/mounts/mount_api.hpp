// Thin, throwing wrappers over the new mount API (open_tree, fsopen/fsmount,
// mount_setattr, move_mount). Mounts are built detached and attached onto an
// O_PATH fd last, so nothing is ever mounted onto a path a container process
// could swap for a symlink.
#pragma once

#include <cstdint>
#include <string>

#include "mounts/mount_options.hpp"
#include "util/fd.hpp"

namespace skiff::mounts {

// A detached copy of the mount tree at dir_fd/path (AT_EMPTY_PATH when path
// is empty); the whole subtree when recursive.
UniqueFd clone_tree(int dir_fd, const std::string& path, bool recursive);

// A new filesystem of `type`, configured with the superblock flags and data
// of `options`, as a detached mount with options.attrs applied.
UniqueFd new_filesystem(const std::string& type, const std::string& source,
                        const MountOptions& options);

// mount_setattr on the mount behind mnt_fd.
void set_attrs(int mnt_fd, const AttrChange& change, bool recursive);
void set_propagation(int mnt_fd, uint64_t propagation, bool recursive);

// Idmap the (detached) mount with the user namespace behind userns_fd.
void set_idmap(int mnt_fd, int userns_fd, bool recursive);

// Attach the detached mount onto the object target_fd refers to.
void attach(int mnt_fd, int target_fd);

// Attributes a user namespace locks on a mount it did not create
// (MOUNT_ATTR_RDONLY/NOSUID/NODEV/NOEXEC/atime) that fd's mount has set.
uint64_t locked_attrs(int fd);

}  // namespace skiff::mounts
