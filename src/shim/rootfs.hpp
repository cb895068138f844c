// The container's root filesystem from CreateTaskRequest.rootfs: containerd
// hands the snapshot as mounts (usually one overlay) for bundle/rootfs.
#pragma once

#include <string>
#include <vector>

namespace skiff::shim {

struct RootfsMount {
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

// Mount them in order onto target; on failure undo what was mounted and
// throw naming the mount.
void mount_rootfs(const std::vector<RootfsMount>& mounts, const std::string& target);
// Unmount everything stacked on target (missing or not mounted is fine).
void unmount_rootfs(const std::string& target);

}  // namespace skiff::shim
