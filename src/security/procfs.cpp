#include "security/procfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/error.hpp"

namespace skiff::security {
namespace {

constexpr ino_t kProcRootIno = 1;  // the kernel's PROC_ROOT_INO

bool on_procfs(int fd) {
  struct statfs fs {};
  return ::fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

void write_all(int fd, std::string_view value, std::string_view what) {
  ssize_t n = ::write(fd, value.data(), value.size());
  if (n < 0) throw_errno(what);
  if (static_cast<size_t>(n) != value.size()) throw_error(what, "short write");
}

// Our pid as this procfs instance numbers it ("self" is a plain symlink to it).
std::string self_pid(int root_fd) {
  char buf[32];
  ssize_t n = ::readlinkat(root_fd, "self", buf, sizeof buf - 1);
  if (n <= 0) throw_errno("/proc/self: not visible in the runtime's procfs");
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

Procfs Procfs::open_host() {
  UniqueFd root(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("/proc");
  struct stat st {};
  if (!on_procfs(root.get()) || ::fstat(root.get(), &st) != 0 || st.st_ino != kProcRootIno)
    throw_error("/proc", "is not the root of a procfs");
  return Procfs(std::move(root));
}

UniqueFd Procfs::open(std::string_view relative, int flags, std::string_view what) const {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  const std::string path(relative);
  UniqueFd fd(
      static_cast<int>(::syscall(SYS_openat2, root_.get(), path.c_str(), &how, sizeof how)));
  if (!fd) {
    if (errno == EXDEV || errno == ELOOP)
      throw_error(
          what, "/proc/" + path + " is redirected (a mount or a link) in this procfs; refusing it");
    throw_errno(std::string(what) + ": /proc/" + path);
  }
  if (!on_procfs(fd.get())) throw_error(what, "/proc/" + path + " is not on procfs; refusing it");
  return fd;
}

UniqueFd Procfs::open_self(std::string_view relative, int flags, std::string_view what) const {
  return open(self_pid(root_.get()) + "/" + std::string(relative), flags, what);
}

UniqueFd Procfs::open_pid(pid_t pid, std::string_view relative, int flags,
                          std::string_view what) const {
  return open(std::to_string(pid) + "/" + std::string(relative), flags, what);
}

void Procfs::write(std::string_view relative, std::string_view value, std::string_view what) const {
  write_all(open(relative, O_WRONLY, what).get(), value, what);
}

void Procfs::write_self(std::string_view relative, std::string_view value,
                        std::string_view what) const {
  write_all(open_self(relative, O_WRONLY, what).get(), value, what);
}

void write_sysctls(const Procfs& procfs, const oci::Spec& spec) {
  if (!spec.linux) return;
  for (const auto& [key, value] : spec.linux->sysctl) {
    std::string relative = "sys/" + key;
    for (size_t i = 4; i < relative.size(); ++i)
      if (relative[i] == '.') relative[i] = '/';
    procfs.write(relative, value, "linux.sysctl[\"" + key + "\"]");
  }
}

void write_oom_score_adj(const Procfs& procfs, pid_t pid, const oci::Process& process) {
  if (!process.oom_score_adj) return;
  UniqueFd fd = procfs.open_pid(pid, "oom_score_adj", O_WRONLY, "process.oomScoreAdj");
  write_all(fd.get(), std::to_string(*process.oom_score_adj), "process.oomScoreAdj");
}

}  // namespace skiff::security
