#include "mounts/devices.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>

#include "mounts/mount_api.hpp"
#include "mounts/path_in_root.hpp"
#include "util/error.hpp"

namespace skiff::mounts {
namespace {

oci::Device char_device(const char* path, int64_t major, int64_t minor) {
  oci::Device dev;
  dev.type = 'c';
  dev.path = path;
  dev.major = major;
  dev.minor = minor;
  dev.file_mode = 0666;
  dev.uid = 0;
  dev.gid = 0;
  return dev;
}

mode_t file_type(const oci::Device& dev) {
  switch (dev.type) {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    case 'c':
    case 'u':
      return S_IFCHR;
    default:
      throw_error(dev.path, std::string("unknown device type '") + dev.type + "'");
  }
}

// Restores the umask on scope exit: device modes must be exactly fileMode.
class UmaskGuard {
 public:
  UmaskGuard() : old_(umask(0)) {}
  ~UmaskGuard() { umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

// Bind the host's node at the same path onto an empty file (mknod is not
// allowed in a user namespace).
void bind_device(int dir_fd, const std::string& name, const oci::Device& dev) {
  int fd = openat(dir_fd, name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("create " + dev.path);
  ::close(fd);
  UniqueFd target(openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!target) throw_errno("open " + dev.path);
  UniqueFd tree = clone_tree(AT_FDCWD, dev.path, false);
  attach(tree.get(), target.get());
}

void create_device(int root_fd, const oci::Device& dev, bool bind) {
  mode_t type = file_type(dev);
  auto [dir, name] = parent_in_root(root_fd, dev.path);
  mode_t mode = type | (dev.file_mode.value_or(0666) & 07777);
  dev_t rdev = type == S_IFIFO
                   ? 0
                   : makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor));
  if (bind && type != S_IFIFO) {
    bind_device(dir.get(), name, dev);
    return;
  }
  if (mknodat(dir.get(), name.c_str(), mode, rdev) < 0) {
    if (errno == EEXIST) return;
    if (errno != EPERM || type == S_IFIFO) throw_errno("mknod " + dev.path);
    bind_device(dir.get(), name, dev);
    return;
  }
  if (fchownat(dir.get(), name.c_str(), dev.uid.value_or(0), dev.gid.value_or(0),
               AT_SYMLINK_NOFOLLOW) < 0)
    throw_errno("chown " + dev.path);
}

void make_symlink(int dir_fd, const char* target, const char* name) {
  if (symlinkat(target, dir_fd, name) < 0 && errno != EEXIST)
    throw_errno(std::string("symlink /dev/") + name);
}

}  // namespace

const std::vector<oci::Device>& default_devices() {
  static const std::vector<oci::Device> devices = {
      char_device("/dev/null", 1, 3),    char_device("/dev/zero", 1, 5),
      char_device("/dev/full", 1, 7),    char_device("/dev/random", 1, 8),
      char_device("/dev/urandom", 1, 9), char_device("/dev/tty", 5, 0),
  };
  return devices;
}

void create_devices(int root_fd, const std::vector<oci::Device>& devices, bool bind) {
  UmaskGuard umask_guard;
  for (const auto& dev : devices) {
    try {
      create_device(root_fd, dev, bind);
    } catch (const Error& e) {
      throw e.wrap("device " + dev.path);
    }
  }
}

void create_dev_symlinks(int root_fd, bool with_ptmx) {
  UniqueFd dev = mkdir_all_in_root(root_fd, "/dev");
  struct Link {
    const char* target;
    const char* name;
  };
  constexpr std::array kLinks = {
      Link{"/proc/self/fd", "fd"},
      Link{"/proc/self/fd/0", "stdin"},
      Link{"/proc/self/fd/1", "stdout"},
      Link{"/proc/self/fd/2", "stderr"},
  };
  for (const auto& link : kLinks) make_symlink(dev.get(), link.target, link.name);
  if (access("/proc/kcore", F_OK) == 0) make_symlink(dev.get(), "/proc/kcore", "core");
  if (with_ptmx) {
    if (unlinkat(dev.get(), "ptmx", 0) < 0 && errno != ENOENT) throw_errno("remove /dev/ptmx");
    make_symlink(dev.get(), "pts/ptmx", "ptmx");
  }
}

}  // namespace skiff::mounts
