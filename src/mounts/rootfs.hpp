// Building the container's root filesystem. Runs in the container's init,
// inside its new mount namespace, after user/gid maps are in place and
// before any privilege is dropped. All paths under the rootfs are resolved
// with openat2(RESOLVE_IN_ROOT) against an O_PATH fd of the rootfs; mounts are
// made onto fds (new mount API or /proc/self/fd/N), never onto a path the
// container could swap for a symlink.
#pragma once

#include <functional>
#include <string>

#include "cgroups/layout.hpp"
#include "oci/spec.hpp"

namespace skiff::mounts {

struct RootfsContext {
  std::string rootfs;       // absolute host path of the rootfs directory
  std::string bundle;       // absolute bundle directory (relative mount sources)
  bool no_pivot = false;    // --no-pivot: MS_MOVE + chroot instead of pivot_root
  bool new_user_ns = false; // the container has its own user namespace
  bool new_cgroup_ns = false;
  // The runtime's cgroup layout, when our mount namespace is a copy of its.
  const cgroups::Layout* host_layout = nullptr;
  // Run once before the first cgroup mount: the init joins its cgroup there
  // (a fresh cgroup mount shows the namespace of whoever mounts it).
  std::function<void()> before_cgroup_mount;
};

// Step 1 (before createContainer hooks): make / private/slave as
// rootfsPropagation says, bind the rootfs onto itself, do every spec mount in
// order, create linux.devices and the default devices, /dev symlinks
// (fd, stdin, stdout, stderr, ptmx), /dev/pts and /dev/shm as configured.
void prepare_rootfs(const oci::Spec& spec, const RootfsContext& ctx);

// Step 2 (after createContainer hooks): pivot_root into the rootfs (or move +
// chroot with no_pivot), detach the old root, chdir("/"). When the spec has
// no mount namespace (the init shares the runtime's), "/" propagation is
// left alone in step 1 and this only chroots, like runc.
void enter_rootfs(const oci::Spec& spec, const RootfsContext& ctx);

// Step 3 (inside the new root): maskedPaths, readonlyPaths, root.readonly,
// final rootfsPropagation.
void finalize_rootfs(const oci::Spec& spec, const RootfsContext& ctx);

}  // namespace skiff::mounts
