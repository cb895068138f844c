// Resolving container paths inside the rootfs, never outside it.
//
// Every lookup goes through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
// against an fd of the rootfs, so ".." and absolute symlinks stop at the
// rootfs. Missing components are created one at a time with mkdirat under the
// already-resolved parent; dangling symlinks are followed (inside the root)
// the way the kernel would.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace skiff::mounts {

enum class Leaf { Directory, File };

// openat2(root_fd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).
// Returns an invalid fd with errno set on failure.
UniqueFd open_in_root(int root_fd, std::string_view path, int flags);

// O_PATH fd of `path` inside the root, creating missing parents (0755) and
// the leaf itself (a directory, or an empty file with mode 0644) when absent.
// Throws skiff::Error naming the path.
UniqueFd mkdir_all_in_root(int root_fd, std::string_view path, Leaf leaf = Leaf::Directory);

// The parent directory of `path` (created when missing) and the last
// component, for operations that must not follow the leaf (mknod, symlink).
struct ParentAndName {
  UniqueFd parent;
  std::string name;
};
ParentAndName parent_in_root(int root_fd, std::string_view path);

// Lexically cleaned absolute path ("/a/./b//c/" -> "/a/b/c"; ".." kept
// above the root as "/").
std::string clean_path(std::string_view path);

}  // namespace skiff::mounts
