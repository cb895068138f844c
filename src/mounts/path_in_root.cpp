#include "mounts/path_in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "util/error.hpp"

namespace skiff::mounts {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's MAXSYMLINKS

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    pos = end + 1;
  }
  return parts;
}

// Push the components of `path` so that the first one is popped next.
void push_front(std::vector<std::string>& stack, std::string_view path) {
  auto parts = split(path);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) stack.push_back(std::move(*it));
}

std::string read_link(int dir_fd, const std::string& name, std::string_view context) {
  std::string target(4096, '\0');
  ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
  if (n < 0) throw_errno(std::string(context) + ": readlink " + name);
  target.resize(static_cast<size_t>(n));
  return target;
}

// Create `name` under dir_fd as a directory or an empty file; EEXIST is fine.
void create_leaf(int dir_fd, const std::string& name, bool directory, std::string_view context) {
  if (directory) {
    if (mkdirat(dir_fd, name.c_str(), 0755) < 0 && errno != EEXIST)
      throw_errno(std::string(context) + ": mkdir " + name);
    return;
  }
  int fd = openat(dir_fd, name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(std::string(context) + ": create " + name);
  ::close(fd);
}

}  // namespace

UniqueFd open_in_root(int root_fd, std::string_view path, int flags) {
  std::string rel = path.empty() ? std::string(".") : std::string(path);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof(how));
  return UniqueFd(static_cast<int>(fd));
}

UniqueFd mkdir_all_in_root(int root_fd, std::string_view path, Leaf leaf) {
  const std::string context(path);
  std::vector<std::string> todo;
  push_front(todo, path);
  std::string cur;  // resolved so far, relative to the root
  UniqueFd cur_fd = open_in_root(root_fd, ".", O_PATH | O_DIRECTORY);
  if (!cur_fd) throw_errno(context + ": open rootfs");
  int links = 0;

  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    const bool want_dir = !todo.empty() || leaf == Leaf::Directory;
    std::string next = cur.empty() ? comp : cur + "/" + comp;
    UniqueFd fd = open_in_root(root_fd, next, O_PATH | (want_dir ? O_DIRECTORY : 0));
    if (!fd) {
      if (errno != ENOENT) throw_errno(context);
      // `cur` resolved, so `comp` is missing or a dangling symlink in it.
      struct stat st {};
      if (fstatat(cur_fd.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISLNK(st.st_mode) || ++links > kMaxSymlinks) throw_errno(context, ELOOP);
        std::string target = read_link(cur_fd.get(), comp, context);
        if (target.starts_with('/')) {
          cur.clear();
          cur_fd = open_in_root(root_fd, ".", O_PATH | O_DIRECTORY);
        }
        push_front(todo, target);
        continue;
      }
      create_leaf(cur_fd.get(), comp, want_dir, context);
      fd = UniqueFd(openat(cur_fd.get(), comp.c_str(),
                           O_PATH | O_NOFOLLOW | O_CLOEXEC | (want_dir ? O_DIRECTORY : 0)));
      if (!fd) throw_errno(context);
    }
    cur = std::move(next);
    cur_fd = std::move(fd);
  }
  return cur_fd;
}

ParentAndName parent_in_root(int root_fd, std::string_view path) {
  std::string clean = clean_path(path);
  size_t slash = clean.rfind('/');
  std::string name = clean.substr(slash + 1);
  if (name.empty()) throw_error(clean, "is the root, not a file inside it");
  std::string dir = clean.substr(0, slash);
  return {mkdir_all_in_root(root_fd, dir.empty() ? "/" : dir), std::move(name)};
}

std::string clean_path(std::string_view path) {
  std::vector<std::string> out;
  for (auto& part : split(path)) {
    if (part == "..") {
      if (!out.empty()) out.pop_back();
    } else {
      out.push_back(std::move(part));
    }
  }
  std::string joined;
  for (const auto& part : out) {
    joined += '/';
    joined += part;
  }
  return joined.empty() ? "/" : joined;
}

}  // namespace skiff::mounts
