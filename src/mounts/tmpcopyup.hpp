// "tmpcopyup": fill a fresh tmpfs with what the directory it covers held.
#pragma once

namespace skiff::mounts {

// Copy the tree under dir_fd (an O_PATH fd of the covered directory) into
// the detached mount mnt_fd: files, directories, symlinks and nodes, with
// their modes and owners.
void copy_up(int dir_fd, int mnt_fd);

}  // namespace skiff::mounts
