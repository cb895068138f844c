#include "cgroups/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff::cgroups {

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (name.empty()) return out;
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::optional<std::string> read_optional(const std::string& path) { return read_file_if_exists(path); }

std::string read_text(const std::string& path) {
  auto text = read_optional(path);
  if (!text) throw_errno("reading " + path, ENOENT);
  return *text;
}

std::string trim(std::string_view text) {
  auto end = text.find('\n');
  if (end != std::string_view::npos) text = text.substr(0, end);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

int try_write(const std::string& dir, const std::string& file, std::string_view value) {
  return ControlFileWriter().write(dir, file, value);
}

int ControlFileWriter::write(const std::string& dir, const std::string& file, std::string_view value) {
  std::string path = join_path(dir, file);
  if (!fd_ || path != path_) {
    // No O_CREAT: a missing control file means the controller is absent.
    fd_.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    path_ = fd_ ? std::move(path) : std::string();
    if (!fd_) return errno;
  }
  // One write(2): the kernel takes a control file's value per write.
  ssize_t n;
  do {
    n = ::write(fd_.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  return static_cast<size_t>(n) == value.size() ? 0 : EIO;
}

void write_file(const std::string& dir, const std::string& file, std::string_view value) {
  if (int err = try_write(dir, file, value)) throw_errno("writing " + file + " in " + dir, err);
}

namespace {

// mkdir of the leaf first: its parents almost always exist, so one syscall
// per hierarchy instead of one mkdir + stat per path component.
void make_dirs_into(const std::string& path, std::vector<std::string>& created) {
  if (path.empty() || path == "/") return;
  if (::mkdir(path.c_str(), 0755) == 0) {
    created.push_back(path);
    return;
  }
  int err = errno;
  if (err == ENOENT) {
    make_dirs_into(path.substr(0, path.rfind('/')), created);
    if (::mkdir(path.c_str(), 0755) == 0) {
      created.push_back(path);
      return;
    }
    err = errno;
  }
  struct stat st {};
  if (err == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
  throw_errno("creating cgroup " + path, err == EEXIST ? ENOTDIR : err);  // ENOTDIR: a control file
}

}  // namespace

std::vector<std::string> make_dirs(const std::string& dir) {
  std::vector<std::string> created;
  try {
    make_dirs_into(dir, created);
  } catch (...) {
    remove_created(created);
    throw;
  }
  return created;
}

std::vector<std::string> sub_dirs(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (e->d_type == DT_DIR && name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(d);
  return names;
}

namespace {

// How long a removal waits for the cgroup to drain: killed processes leave it
// only once they have exited and been reaped, which a big address space or a
// loaded (or emulated) machine can stretch well beyond a few milliseconds.
constexpr auto kDrainTimeout = std::chrono::seconds(10);

int remove_tree_until(const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  // Usually a leaf: listing a cgroup directory (every control file) costs
  // more than the rmdir, so children are looked for only when it fails.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return 0;
  for (const auto& name : sub_dirs(dir))
    if (int err = remove_tree_until(join_path(dir, name), deadline)) return err;
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return 0;
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) return errno;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace

int remove_tree(const std::string& dir) {
  return remove_tree_until(dir, std::chrono::steady_clock::now() + kDrainTimeout);
}

void remove_created(const std::vector<std::string>& dirs) noexcept {
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::rmdir(it->c_str());
}

std::vector<pid_t> read_procs(const std::string& dir, bool recursive) {
  std::vector<pid_t> pids;
  auto text = read_optional(join_path(dir, "cgroup.procs"));
  if (!text) return pids;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    if (end > pos) pids.push_back(static_cast<pid_t>(std::stol(text->substr(pos, end - pos))));
    pos = end + 1;
  }
  if (recursive)
    for (const auto& name : sub_dirs(dir))
      for (pid_t pid : read_procs(join_path(dir, name), true)) pids.push_back(pid);
  return pids;
}

}  // namespace skiff::cgroups
