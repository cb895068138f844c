// The container's root filesystem: prepare (mounts, devices), enter
// (pivot_root), finalize (masked/read-only paths, read-only root).
//
// Mounts are made with the new mount API: a detached mount (open_tree or
// fsopen/fsmount) gets its attributes, then move_mount attaches it onto an
// O_PATH fd resolved with openat2(RESOLVE_IN_ROOT) inside the rootfs.
#include "mounts/rootfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <sstream>

#include "mounts/cgroup_mount.hpp"
#include "mounts/devices.hpp"
#include "mounts/idmap.hpp"
#include "mounts/mount_api.hpp"
#include "mounts/mount_options.hpp"
#include "mounts/path_in_root.hpp"
#include "mounts/tmpcopyup.hpp"
#include "util/error.hpp"

namespace skiff::mounts {
namespace {

std::string describe(size_t index, const oci::Mount& m) {
  std::string type = m.type.empty() ? "bind" : m.type;
  return "mounts[" + std::to_string(index) + "] (" + type + " on " + m.destination + ")";
}

bool is_bind(const oci::Mount& m, const MountOptions& options) {
  return options.bind || m.type == "bind";
}

// Relative bind sources are relative to the bundle.
std::string host_source(const oci::Mount& m, const RootfsContext& ctx) {
  if (m.source.starts_with('/') || ctx.bundle.empty()) return m.source;
  return ctx.bundle + "/" + m.source;
}

UniqueFd open_path(const std::string& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd) throw_errno("open " + path);
  return fd;
}

const oci::Linux& linux_of(const oci::Spec& spec) {
  static const oci::Linux kEmpty;
  return spec.linux ? *spec.linux : kEmpty;
}

// Without a mount namespace in the config the init shares the runtime's.
bool has_mount_namespace(const oci::Spec& spec) {
  return linux_of(spec).find_namespace(oci::NamespaceType::Mount) != nullptr;
}

unsigned long root_propagation(const oci::Spec& spec) {
  const std::string& word = linux_of(spec).rootfs_propagation;
  if (word.empty()) return 0;
  unsigned long flags = propagation_flags(word);
  if (!flags) throw_error("linux.rootfsPropagation", "unknown propagation \"" + word + "\"");
  return flags;
}

// Mount id -> (mountpoint, shared?) from /proc/self/mountinfo.
struct MountInfo {
  std::string mountpoint;
  bool shared = false;
};

bool find_mount(uint64_t mnt_id, MountInfo& out) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    uint64_t id = 0;
    std::string parent, dev, root, mountpoint, opts, field;
    fields >> id >> parent >> dev >> root >> mountpoint >> opts;
    if (id != mnt_id) continue;
    out.mountpoint = mountpoint;
    while (fields >> field && field != "-")
      if (field.starts_with("shared:")) out.shared = true;
    return true;
  }
  return false;
}

// pivot_root (and MS_MOVE) refuse a new root whose parent mount is shared, and
// our bind would propagate to the peers: make that one mount private.
void make_parent_private(const std::string& rootfs) {
  struct statx stx {};
  if (statx(AT_FDCWD, rootfs.c_str(), 0, STATX_MNT_ID, &stx) < 0) throw_errno("statx " + rootfs);
  MountInfo info;
  if (!find_mount(stx.stx_mnt_id, info) || !info.shared) return;
  if (mount("", info.mountpoint.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
    throw_errno("making " + info.mountpoint + " private");
}

// Files under /proc that lxcfs-style emulation may replace (runc's list).
constexpr std::array<std::string_view, 10> kProcMountable = {
    "/proc/cpuinfo", "/proc/diskstats",
    "/proc/meminfo", "/proc/stat",
    "/proc/swaps",   "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"};

bool is_procfs(int fd) {
  struct statfs st {};
  return fstatfs(fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

bool same_inode(int fd, const struct stat& other) {
  struct stat st {};
  return fstat(fd, &st) == 0 && st.st_dev == other.st_dev && st.st_ino == other.st_ino;
}

// Is target_fd the rootfs's path `path` (resolved the same way)?
bool is_path(int root_fd, std::string_view path, const struct stat& target) {
  UniqueFd fd = open_in_root(root_fd, path, O_PATH);
  return fd && same_inode(fd.get(), target);
}

// Mounting over /proc (or inside it) could hide what maskedPaths and
// readonlyPaths protect: only procfs may go on /proc, and only a few
// emulated files inside it (as runc allows). Decided by inode, not by path,
// so a symlink in the image cannot dodge it (and no /proc is needed).
void check_proc_destination(int root_fd, int target_fd, bool procfs_source) {
  struct stat target {};
  if (fstat(target_fd, &target) < 0) throw_errno("stat destination");
  if (is_path(root_fd, "/proc", target)) {
    if (!procfs_source) throw_error("/proc", "only procfs can be mounted on /proc");
    return;
  }
  if (!is_procfs(target_fd)) return;
  for (auto allowed : kProcMountable)
    if (is_path(root_fd, allowed, target)) return;
  throw_error("destination", "cannot be mounted because it is inside /proc");
}

// Recursive attributes and propagation apply once the mount is attached.
void finish_mount(int mnt_fd, const MountOptions& options) {
  set_attrs(mnt_fd, options.rec_attrs, true);
  for (const auto& p : options.propagation) set_propagation(mnt_fd, p.type, p.recursive);
}

void idmap_if_asked(int mnt_fd, const oci::Mount& m, const MountOptions& options,
                    const RootfsContext& ctx) {
  if (!options.idmap && m.uid_mappings.empty() && m.gid_mappings.empty()) return;
  if (ctx.new_user_ns)
    throw_error("idmap", "idmapped mounts inside a new user namespace are not supported yet");
  UniqueFd userns = make_userns(m.uid_mappings, m.gid_mappings);
  set_idmap(mnt_fd, userns.get(), options.recursive_idmap);
}

void mount_bind(int root_fd, const oci::Mount& m, const MountOptions& options,
                const RootfsContext& ctx) {
  std::string source = host_source(m, ctx);
  struct stat st {};
  if (stat(source.c_str(), &st) < 0) throw_errno("source " + source);
  UniqueFd tree = clone_tree(AT_FDCWD, source, options.recursive_bind);
  const bool tree_is_procfs = is_procfs(tree.get());
  set_attrs(tree.get(), options.attrs, false);
  idmap_if_asked(tree.get(), m, options, ctx);
  UniqueFd target =
      mkdir_all_in_root(root_fd, m.destination, S_ISDIR(st.st_mode) ? Leaf::Directory : Leaf::File);
  check_proc_destination(root_fd, target.get(), tree_is_procfs);
  attach(tree.get(), target.get());
  finish_mount(tree.get(), options);
}

// "sysfs" in a user namespace without its own network namespace is refused;
// runc then binds the host's /sys (recursively, keeping the attributes).
UniqueFd sysfs_fallback(const MountOptions& options) {
  UniqueFd tree = clone_tree(AT_FDCWD, "/sys", true);
  set_attrs(tree.get(), options.attrs, true);
  return tree;
}

void mount_filesystem(int root_fd, const oci::Mount& m, MountOptions options,
                      const RootfsContext& ctx) {
  // /dev stays writable until the devices exist; prepare_rootfs makes it ro.
  if (clean_path(m.destination) == "/dev") options.attrs.set &= ~uint64_t{MOUNT_ATTR_RDONLY};
  UniqueFd mnt;
  try {
    mnt = new_filesystem(m.type, m.source, options);
  } catch (const Error& e) {
    if (m.type != "sysfs" || !ctx.new_user_ns || (e.err() != EPERM && e.err() != EBUSY)) throw;
    mnt = sysfs_fallback(options);
  }
  idmap_if_asked(mnt.get(), m, options, ctx);
  UniqueFd target = mkdir_all_in_root(root_fd, m.destination);
  check_proc_destination(root_fd, target.get(), m.type == "proc");
  if (options.tmpcopyup) copy_up(target.get(), mnt.get());
  attach(mnt.get(), target.get());
  finish_mount(mnt.get(), options);
}

// "remount": change an existing mount at the destination.
void remount(int root_fd, const oci::Mount& m, const MountOptions& options) {
  UniqueFd target = open_in_root(root_fd, m.destination, O_PATH);
  if (!target) throw_errno("open destination");
  set_attrs(target.get(), options.attrs, false);
  finish_mount(target.get(), options);
}

void mount_one(int root_fd, const oci::Mount& m, const RootfsContext& ctx) {
  MountOptions options = parse_mount_options(m.options);
  if (options.remount) return remount(root_fd, m, options);
  if (is_bind(m, options)) return mount_bind(root_fd, m, options, ctx);
  if (m.type == "cgroup") {
    if (ctx.before_cgroup_mount) ctx.before_cgroup_mount();
    return mount_cgroup(root_fd, m.destination, options, ctx.new_cgroup_ns, ctx.host_layout);
  }
  if (m.type.empty()) throw_error("type", "missing (and not a bind mount)");
  mount_filesystem(root_fd, m, std::move(options), ctx);
}

// Destination of a spec mount, lexically cleaned.
bool has_mount(const oci::Spec& spec, std::string_view destination, bool want_bind,
               std::string_view type = {}) {
  for (const auto& m : spec.mounts) {
    if (clean_path(m.destination) != destination) continue;
    if (want_bind && is_bind(m, parse_mount_options(m.options))) return true;
    if (!type.empty() && m.type == type) return true;
  }
  return false;
}

bool dev_is_readonly(const oci::Spec& spec) {
  bool ro = false;
  for (const auto& m : spec.mounts)
    if (clean_path(m.destination) == "/dev" && !is_bind(m, parse_mount_options(m.options)))
      ro = parse_mount_options(m.options).attrs.set & MOUNT_ATTR_RDONLY;
  return ro;
}

// The spec's devices plus the defaults it does not override.
std::vector<oci::Device> all_devices(const oci::Spec& spec) {
  const auto& extra = linux_of(spec).devices;
  std::vector<oci::Device> out;
  for (const auto& dev : default_devices()) {
    bool overridden = false;
    for (const auto& d : extra) overridden |= clean_path(d.path) == dev.path;
    if (!overridden) out.push_back(dev);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

void setup_dev(int root_fd, const oci::Spec& spec, const RootfsContext& ctx) {
  create_devices(root_fd, all_devices(spec), ctx.new_user_ns);
  create_dev_symlinks(root_fd, has_mount(spec, "/dev/pts", false, "devpts"));
  if (dev_is_readonly(spec)) {
    UniqueFd dev = mkdir_all_in_root(root_fd, "/dev");
    set_attrs(dev.get(), {MOUNT_ATTR_RDONLY, 0}, false);
  }
}

// Mounts of the old root that are neither the rootfs nor on its path, deepest
// first: detached before MS_MOVE so a chroot does not keep them reachable.
void detach_outside_mounts(const std::string& rootfs) {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> mountpoints;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mountpoint;
    fields >> id >> parent >> dev >> root >> mountpoint;
    bool under_rootfs = mountpoint == rootfs || mountpoint.starts_with(rootfs + "/");
    bool above_rootfs = mountpoint == "/" || rootfs.starts_with(mountpoint + "/");
    if (!under_rootfs && !above_rootfs) mountpoints.push_back(mountpoint);
  }
  for (auto it = mountpoints.rbegin(); it != mountpoints.rend(); ++it)
    umount2(it->c_str(), MNT_DETACH);  // best effort: locked mounts stay
}

void pivot_into(const std::string& rootfs) {
  UniqueFd old_root = open_path("/", O_DIRECTORY | O_RDONLY);
  UniqueFd new_root = open_path(rootfs, O_DIRECTORY | O_RDONLY);
  if (fchdir(new_root.get()) < 0) throw_errno("chdir " + rootfs);
  if (syscall(SYS_pivot_root, ".", ".") < 0) throw_errno("pivot_root");
  // The old root is now stacked on "/": detach it without letting the
  // unmount propagate anywhere.
  if (fchdir(old_root.get()) < 0) throw_errno("chdir old root");
  if (mount("", ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    throw_errno("making old root rslave");
  if (umount2(".", MNT_DETACH) < 0) throw_errno("detaching old root");
}

void move_into(const std::string& rootfs) {
  detach_outside_mounts(rootfs);
  if (chdir(rootfs.c_str()) < 0) throw_errno("chdir " + rootfs);
  if (mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) throw_errno("moving rootfs to /");
  if (chroot(".") < 0) throw_errno("chroot");
}

void chroot_into(const std::string& rootfs) {
  if (chdir(rootfs.c_str()) < 0) throw_errno("chdir " + rootfs);
  if (chroot(".") < 0) throw_errno("chroot");
}

// /dev/null as a mask source must really be the null device, not a file the
// image put there.
UniqueFd open_null(int root_fd) {
  UniqueFd null = open_in_root(root_fd, "/dev/null", O_PATH);
  struct stat st {};
  if (!null || fstat(null.get(), &st) < 0) throw_errno("/dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    throw_error("/dev/null", "is not the null device");
  return null;
}

// maskedPaths: /dev/null over files, an empty read-only tmpfs over
// directories. One tmpfs serves every directory (clones of its mount): a
// superblock less to make, and to tear down at exit, per masked directory.
class Masker {
 public:
  explicit Masker(int root_fd) : root_fd_(root_fd) {}

  void mask(const std::string& path) {
    UniqueFd target = open_in_root(root_fd_, path, O_PATH);
    if (!target) {
      if (errno == ENOENT) return;
      throw_errno("open");
    }
    struct stat st {};
    if (fstat(target.get(), &st) < 0) throw_errno("stat");
    if (S_ISDIR(st.st_mode)) return mask_directory(target.get());
    if (!null_) null_ = open_null(root_fd_);
    attach(clone_tree(null_.get(), "", false).get(), target.get());
  }

 private:
  void mask_directory(int target_fd) {
    if (empty_dir_) return attach(clone_tree(empty_dir_.get(), "", false).get(), target_fd);
    MountOptions options;
    options.attrs.set = MOUNT_ATTR_RDONLY;
    UniqueFd mnt = new_filesystem("tmpfs", "tmpfs", options);
    attach(mnt.get(), target_fd);
    empty_dir_ = std::move(mnt);  // attached now: clones of it are allowed
  }

  int root_fd_;
  UniqueFd null_;
  UniqueFd empty_dir_;
};

void readonly_path(int root_fd, const std::string& path) {
  UniqueFd target = open_in_root(root_fd, path, O_PATH);
  if (!target) {
    if (errno == ENOENT) return;
    throw_errno("open");
  }
  UniqueFd tree = clone_tree(target.get(), "", true);
  set_attrs(tree.get(),
            {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0},
            true);
  attach(tree.get(), target.get());
}

template <typename Fn>
void for_each_path(const std::vector<std::string>& paths, const char* field, Fn fn) {
  for (size_t i = 0; i < paths.size(); ++i) {
    try {
      fn(paths[i]);
    } catch (const Error& e) {
      throw e.wrap(std::string(field) + "[" + std::to_string(i) + "] (" + paths[i] + ")");
    }
  }
}

}  // namespace

void prepare_rootfs(const oci::Spec& spec, const RootfsContext& ctx) {
  unsigned long propagation = root_propagation(spec);
  // In the runtime's own mount namespace "/" and the rootfs's parent are
  // the host's: leave their propagation alone.
  if (has_mount_namespace(spec)) {
    const unsigned long applied = propagation ? propagation : MS_SLAVE | MS_REC;
    if (mount("", "/", nullptr, applied, nullptr) < 0) throw_errno("setting / propagation");
    // After a recursive slave, private or unbindable change no mount is
    // shared: only otherwise is mountinfo worth reading.
    if (!(applied & MS_REC) || (applied & MS_SHARED)) make_parent_private(ctx.rootfs);
  }
  if (mount(ctx.rootfs.c_str(), ctx.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    throw_errno("bind mounting rootfs " + ctx.rootfs);
  UniqueFd root = open_path(ctx.rootfs, O_PATH | O_DIRECTORY);

  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    try {
      mount_one(root.get(), spec.mounts[i], ctx);
    } catch (const Error& e) {
      throw e.wrap(describe(i, spec.mounts[i]));
    }
  }
  if (!has_mount(spec, "/dev", true)) setup_dev(root.get(), spec, ctx);
}

void enter_rootfs(const oci::Spec& spec, const RootfsContext& ctx) {
  if (!has_mount_namespace(spec))
    chroot_into(ctx.rootfs);  // pivot_root would swap the host's root (runc chroots too)
  else if (ctx.no_pivot)
    move_into(ctx.rootfs);
  else
    pivot_into(ctx.rootfs);
  if (chdir("/") < 0) throw_errno("chdir /");
}

void finalize_rootfs(const oci::Spec& spec, const RootfsContext&) {
  UniqueFd root = open_path("/", O_PATH | O_DIRECTORY);
  const auto& linux = linux_of(spec);
  Masker masker(root.get());
  for_each_path(linux.masked_paths, "linux.maskedPaths", [&](const std::string& path) { masker.mask(path); });
  for_each_path(linux.readonly_paths, "linux.readonlyPaths",
                [&](const std::string& path) { readonly_path(root.get(), path); });
  if (spec.root.readonly) {
    try {
      set_attrs(root.get(), {MOUNT_ATTR_RDONLY, 0}, false);
    } catch (const Error& e) {
      throw e.wrap("root.readonly");
    }
  }
  if (unsigned long propagation = root_propagation(spec))
    if (mount("", "/", nullptr, propagation, nullptr) < 0)
      throw_errno("linux.rootfsPropagation: applying to /");
}

}  // namespace skiff::mounts
