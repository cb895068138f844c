#include "mounts/tmpcopyup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::mounts {
namespace {

UniqueFd open_dir(int dir_fd, const char* name) {
  UniqueFd fd(openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_errno(std::string("tmpcopyup: open ") + name);
  return fd;
}

void copy_file(int src_dir, int dst_dir, const char* name, const struct stat& st) {
  UniqueFd in(openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd out(openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!in || !out) throw_errno(std::string("tmpcopyup: ") + name);
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
    if (n <= 0) throw_errno(std::string("tmpcopyup: copy ") + name);
    left -= n;
  }
}

void copy_tree(int src_dir, int dst_dir);

// Create `name` in dst_dir like the one in src_dir; false for a symlink (its
// mode is not settable).
bool copy_entry(int src_dir, int dst_dir, const char* name, const struct stat& st) {
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR: {
      if (mkdirat(dst_dir, name, 0700) < 0) throw_errno(std::string("tmpcopyup: mkdir ") + name);
      copy_tree(open_dir(src_dir, name).get(), open_dir(dst_dir, name).get());
      return true;
    }
    case S_IFREG:
      copy_file(src_dir, dst_dir, name, st);
      return true;
    case S_IFLNK: {
      std::string target(4096, '\0');
      ssize_t n = readlinkat(src_dir, name, target.data(), target.size() - 1);
      if (n < 0) throw_errno(std::string("tmpcopyup: readlink ") + name);
      target.resize(static_cast<size_t>(n));
      if (symlinkat(target.c_str(), dst_dir, name) < 0)
        throw_errno(std::string("tmpcopyup: symlink ") + name);
      return false;
    }
    default:
      if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0)
        throw_errno(std::string("tmpcopyup: mknod ") + name);
      return true;
  }
}

void copy_tree(int src_dir, int dst_dir) {
  DIR* dir = fdopendir(dup(src_dir));
  if (!dir) throw_errno("tmpcopyup: opendir");
  try {
    while (dirent* entry = readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (fstatat(src_dir, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno(std::string("tmpcopyup: stat ") + entry->d_name);
      bool has_mode = copy_entry(src_dir, dst_dir, entry->d_name, st);
      if (fchownat(dst_dir, entry->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw_errno(std::string("tmpcopyup: chown ") + entry->d_name);
      // We created it just now, so following is safe.
      if (has_mode && fchmodat(dst_dir, entry->d_name, st.st_mode & 07777, 0) < 0)
        throw_errno(std::string("tmpcopyup: chmod ") + entry->d_name);
    }
  } catch (...) {
    closedir(dir);
    throw;
  }
  closedir(dir);
}

}  // namespace

void copy_up(int dir_fd, int mnt_fd) {
  UniqueFd src = open_dir(dir_fd, ".");
  UniqueFd dst = open_dir(mnt_fd, ".");
  struct stat st {};
  if (fstat(src.get(), &st) < 0) throw_errno("tmpcopyup: stat");
  copy_tree(src.get(), dst.get());
  if (fchown(dst.get(), st.st_uid, st.st_gid) < 0 || fchmod(dst.get(), st.st_mode & 07777) < 0)
    throw_errno("tmpcopyup: setting the root's owner and mode");
}

}  // namespace skiff::mounts
