// Rootfs setup against the real kernel: each case forks a child into new
// mount + pid (+ user) namespaces, builds a busybox rootfs, runs
// prepare/enter/finalize and probes the result from inside; the parent gets
// the findings through a pipe and asserts on them. The host's mount table
// must be unchanged afterwards.
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "mounts/mount_options.hpp"
#include "mounts/path_in_root.hpp"
#include "mounts/rootfs.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using namespace skiff;
using namespace skiff::mounts;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/skiff-rootfs-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// A minimal busybox root filesystem plus a few files the tests look for.
void make_busybox_rootfs(const std::string& root) {
  for (const char* dir : {"bin", "proc", "sys", "dev", "etc", "tmp", "mnt", "secretdir"})
    fs::create_directories(root + "/" + dir);
  fs::copy_file("/bin/busybox", root + "/bin/busybox");
  for (const char* applet : {"sh", "cat", "ls", "echo", "touch", "mkdir"})
    fs::create_symlink("busybox", root + "/bin/" + applet);
  write_file(root + "/etc/secret", "top secret\n");
  write_file(root + "/secretdir/file", "hidden\n");
  write_file(root + "/marker", "inside the rootfs\n");
  // Symlinks that point out of the rootfs if followed on the host.
  fs::create_symlink("/etc", root + "/evil");
  fs::create_symlink("../../../../../../var/skiff-escape-test", root + "/evil2");
}

// key=value lines written by the child.
class Report {
 public:
  void add(const std::string& key, const std::string& value) { text_ += key + "=" + value + "\n"; }
  void add(const std::string& key, long value) { add(key, std::to_string(value)); }
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  std::string text_;
};

std::map<std::string, std::string> parse_report(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs body as pid 1 of new mount + pid namespaces (and a user namespace
// mapping every id to itself when user_ns); returns what it reported, with
// "exit" set to its exit status. Exceptions become "error=<what>".
// before_userns runs first, in a mount namespace of its own.
std::map<std::string, std::string> run_isolated(bool user_ns,
                                                const std::function<void(Report&)>& body,
                                                const std::function<bool()>& before_userns = {}) {
  int report[2], go[2], ready[2];
  REQUIRE(pipe2(report, O_CLOEXEC) == 0);
  REQUIRE(pipe2(go, O_CLOEXEC) == 0);
  REQUIRE(pipe2(ready, O_CLOEXEC) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    ::close(go[1]);
    ::close(ready[0]);
    // Mounts made here, before the user namespace, are locked inside it.
    if (before_userns &&
        (unshare(CLONE_NEWNS) < 0 || mount("", "/", nullptr, MS_PRIVATE | MS_REC, nullptr) < 0 ||
         !before_userns()))
      _exit(89);
    int flags = CLONE_NEWNS | CLONE_NEWPID | (user_ns ? CLONE_NEWUSER : 0);
    if (unshare(flags) < 0) _exit(90);
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) _exit(91);
    if (::read(go[0], &c, 1) != 1) _exit(91);  // the parent wrote our maps
    pid_t init = fork();
    if (init < 0) _exit(92);
    if (init == 0) {
      Report r;
      int code = 0;
      try {
        body(r);
      } catch (const std::exception& e) {
        r.add("error", e.what());
        code = 1;
      }
      write_all(report[1], r.text());
      _exit(code);
    }
    _exit(wait_status(init));
  }
  ::close(report[1]);
  ::close(go[0]);
  ::close(ready[1]);
  char c;
  bool unshared = ::read(ready[0], &c, 1) == 1;
  ::close(ready[0]);
  if (unshared && user_ns) {
    std::string proc = "/proc/" + std::to_string(child);
    write_file(proc + "/uid_map", "0 0 4294967295\n");
    write_file(proc + "/gid_map", "0 0 4294967295\n");
  }
  REQUIRE(::write(go[1], "g", 1) == 1);
  ::close(go[1]);
  std::string text = read_all(report[0]);
  ::close(report[0]);
  auto out = parse_report(text);
  out["exit"] = std::to_string(wait_status(child));
  return out;
}

oci::Mount make_mount(std::string dest, std::string type, std::string source,
                      std::vector<std::string> options = {}) {
  oci::Mount m;
  m.destination = std::move(dest);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

long errno_of(int rc) { return rc < 0 ? errno : 0; }

long write_errno(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  long err = ::write(fd, "x", 1) == 1 ? 0 : errno;
  ::close(fd);
  return err;
}

std::string file_kind(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) < 0) return "missing";
  if (S_ISCHR(st.st_mode))
    return "chr " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  if (S_ISLNK(st.st_mode)) return "link " + fs::read_symlink(path).string();
  if (S_ISDIR(st.st_mode)) return "dir";
  return "file";
}

long fs_magic(const std::string& path) {
  struct statfs st {};
  return statfs(path.c_str(), &st) < 0 ? -errno : static_cast<long>(st.f_type);
}

// Run a command inside the container and capture its stdout.
std::string run_cmd(const char* const argv[]) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    execv(argv[0], const_cast<char* const*>(argv));
    _exit(127);
  }
  ::close(out[1]);
  std::string text = read_all(out[0]);
  ::close(out[0]);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text + "|" + std::to_string(wait_status(pid));
}

// The full container spec most cases use.
oci::Spec busybox_spec(const std::string& host_dir, const std::string& host_file) {
  oci::Spec spec;
  spec.root.path = "rootfs";
  spec.root.readonly = true;
  spec.mounts = {
      make_mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      make_mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      make_mount("/dev/pts", "devpts", "devpts",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
      make_mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}),
      make_mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev"}),
      make_mount("/mnt/host", "bind", host_dir, {"rbind", "ro"}),
      make_mount("/etc/hostfile", "none", host_file, {"bind"}),
      make_mount("/evil/x", "tmpfs", "tmpfs", {}),
      make_mount("/evil2/z", "tmpfs", "tmpfs", {}),
  };
  spec.linux.emplace();
  spec.linux->namespaces = {{oci::NamespaceType::Pid, ""}, {oci::NamespaceType::Mount, ""}};
  spec.linux->masked_paths = {"/etc/secret", "/secretdir", "/proc/kcore", "/does/not/exist"};
  spec.linux->readonly_paths = {"/proc/sys", "/nope"};
  return spec;
}

// Probes shared by the pivot and no-pivot cases.
void probe_container(Report& r) {
  r.add("root_write", write_errno("/newfile"));
  r.add("tmp_write", write_errno("/tmp/newfile"));
  r.add("marker", read_file("/marker"));
  r.add("secret", read_file("/etc/secret"));
  r.add("secretdir", file_kind("/secretdir/file"));
  r.add("secretdir_write", write_errno("/secretdir/new"));
  r.add("kcore", read_file("/proc/kcore").size());
  r.add("proc_sys_write", write_errno("/proc/sys/kernel/hostname"));
  r.add("proc_self", fs::read_symlink("/proc/self").string());
  r.add("null", file_kind("/dev/null"));
  r.add("zero", file_kind("/dev/zero"));
  r.add("tty", file_kind("/dev/tty"));
  r.add("fd", file_kind("/dev/fd"));
  r.add("stderr", file_kind("/dev/stderr"));
  r.add("ptmx", file_kind("/dev/ptmx"));
  r.add("pts_ptmx", file_kind("/dev/pts/ptmx"));
  r.add("dev_magic", fs_magic("/dev"));
  r.add("shm_magic", fs_magic("/dev/shm"));
  r.add("null_mode", [] {
    struct stat st {};
    stat("/dev/null", &st);
    return static_cast<long>(st.st_mode & 07777);
  }());
  r.add("bind_content", read_file("/mnt/host/hello"));
  r.add("bind_write", write_errno("/mnt/host/new"));
  r.add("file_bind", read_file("/etc/hostfile"));
  r.add("evil_x", fs_magic("/etc/x"));
  r.add("evil2_z", fs_magic("/var/skiff-escape-test/z"));
  r.add("host_dir_visible", access("/work", F_OK) == 0 ? "yes" : "no");
  const char* argv[] = {"/bin/sh", "-c", "cat /mnt/host/hello; echo ok", nullptr};
  r.add("sh", run_cmd(argv));
}

void check_container(const std::map<std::string, std::string>& r) {
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  CHECK(r.at("exit") == "0");
  CHECK(r.at("root_write") == std::to_string(EROFS));
  CHECK(r.at("tmp_write") == "0");
  CHECK(r.at("marker") == "inside the rootfs");
  CHECK(r.at("secret") == "");
  CHECK(r.at("secretdir") == "missing");
  CHECK(r.at("secretdir_write") == std::to_string(EROFS));
  CHECK(r.at("kcore") == "0");
  CHECK(r.at("proc_sys_write") == std::to_string(EROFS));
  CHECK(r.at("proc_self") == "1");
  CHECK(r.at("null") == "chr 1:3");
  CHECK(r.at("zero") == "chr 1:5");
  CHECK(r.at("tty") == "chr 5:0");
  CHECK(r.at("fd") == "link /proc/self/fd");
  CHECK(r.at("stderr") == "link /proc/self/fd/2");
  CHECK(r.at("ptmx") == "link pts/ptmx");
  CHECK(r.at("pts_ptmx") == "chr 5:2");
  CHECK(r.at("dev_magic") == std::to_string(TMPFS_MAGIC));
  CHECK(r.at("shm_magic") == std::to_string(TMPFS_MAGIC));
  CHECK(r.at("null_mode") == std::to_string(0666));
  CHECK(r.at("bind_content") == "hello from the host");
  CHECK(r.at("bind_write") == std::to_string(EROFS));
  CHECK(r.at("file_bind") == "host file");
  CHECK(r.at("evil_x") == std::to_string(TMPFS_MAGIC));
  CHECK(r.at("evil2_z") == std::to_string(TMPFS_MAGIC));
  CHECK(r.at("host_dir_visible") == "no");
  CHECK(r.at("sh") == "hello from the hostok |0");
}

// A bundle with a busybox rootfs and host-side bind sources.
struct Bundle {
  TempDir dir;
  TempDir host;
  std::string rootfs = dir.path + "/rootfs";
  Bundle() {
    make_busybox_rootfs(rootfs);
    fs::create_directories(host.path + "/dir");
    write_file(host.path + "/dir/hello", "hello from the host");
    write_file(host.path + "/file", "host file");
  }
  [[nodiscard]] RootfsContext context() const {
    RootfsContext ctx;
    ctx.rootfs = rootfs;
    ctx.bundle = dir.path;
    return ctx;
  }
};

// A spec with a new mount namespace (the usual case).
oci::Spec with_mount_ns(oci::Spec spec) {
  if (!spec.linux) spec.linux.emplace();
  if (!spec.linux->find_namespace(oci::NamespaceType::Mount))
    spec.linux->namespaces.push_back({oci::NamespaceType::Mount, ""});
  return spec;
}

void run_rootfs(const oci::Spec& spec, const RootfsContext& ctx) {
  prepare_rootfs(spec, ctx);
  enter_rootfs(spec, ctx);
  finalize_rootfs(spec, ctx);
}

}  // namespace

TEST_CASE("mount options map to attributes, propagation and data", "[mounts]") {
  auto o = parse_mount_options({"rbind", "ro", "nosuid", "noatime", "rnodev", "rprivate",
                                "mode=755", "size=1m", "sync", "newinstance", "rw", "strictatime"});
  CHECK(o.bind);
  CHECK(o.recursive_bind);
  CHECK(o.attrs.set == (MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME));
  CHECK(o.attrs.clr == (MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME));
  CHECK(o.rec_attrs.set == MOUNT_ATTR_NODEV);
  REQUIRE(o.propagation.size() == 1);
  CHECK(o.propagation[0].type == MS_PRIVATE);
  CHECK(o.propagation[0].recursive);
  CHECK(o.sb_flags == std::vector<std::string>{"sync"});
  CHECK(o.data_string() == "mode=755,size=1m,newinstance");
  CHECK(propagation_flags("rslave") == (MS_SLAVE | MS_REC));
  CHECK(propagation_flags("bogus") == 0);

  auto atime = parse_mount_options({"noatime", "atime"});
  CHECK(atime.attrs.empty());
}

TEST_CASE("paths are cleaned lexically and never climb above /", "[mounts]") {
  CHECK(clean_path("a/./b//c/") == "/a/b/c");
  CHECK(clean_path("/../../etc") == "/etc");
  CHECK(clean_path("") == "/");
}

TEST_CASE("mkdir_all_in_root keeps symlinks inside the root", "[mounts]") {
  TempDir dir;
  fs::create_symlink("/etc", dir.path + "/evil");
  fs::create_symlink("../../../../../skiff-nowhere", dir.path + "/dangling");
  fs::create_directories(dir.path + "/a");
  fs::create_symlink("../b", dir.path + "/a/up");
  UniqueFd root(::open(dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(root);

  mkdir_all_in_root(root.get(), "/evil/skiff-x/y");
  CHECK(fs::is_directory(dir.path + "/etc/skiff-x/y"));
  CHECK_FALSE(fs::exists("/etc/skiff-x"));

  mkdir_all_in_root(root.get(), "/dangling/q");
  CHECK(fs::is_directory(dir.path + "/skiff-nowhere/q"));
  CHECK_FALSE(fs::exists("/skiff-nowhere"));

  mkdir_all_in_root(root.get(), "a/up/c", Leaf::File);
  CHECK(fs::is_regular_file(dir.path + "/b/c"));

  auto [parent, name] = parent_in_root(root.get(), "/evil/dev/null");
  CHECK(name == "null");
  CHECK(fs::is_directory(dir.path + "/etc/dev"));

  write_file(dir.path + "/plain", "x");
  CHECK_THROWS_AS(mkdir_all_in_root(root.get(), "/plain/sub"), Error);
}

TEST_CASE("a busybox container gets its mounts, devices, masks and a read-only root",
          "[mounts][rootfs]") {
  std::string before = read_file("/proc/self/mountinfo");
  Bundle bundle;
  oci::Spec spec = busybox_spec(bundle.host.path + "/dir", bundle.host.path + "/file");
  auto r = run_isolated(false, [&](Report& rep) {
    run_rootfs(spec, bundle.context());
    probe_container(rep);
  });
  check_container(r);
  CHECK_FALSE(fs::exists("/etc/x"));
  CHECK_FALSE(fs::exists("/var/skiff-escape-test"));
  CHECK(read_file("/proc/self/mountinfo") == before);
}

TEST_CASE("no_pivot moves the rootfs onto / and chroots", "[mounts][rootfs]") {
  std::string before = read_file("/proc/self/mountinfo");
  Bundle bundle;
  oci::Spec spec = busybox_spec(bundle.host.path + "/dir", bundle.host.path + "/file");
  auto ctx = bundle.context();
  ctx.no_pivot = true;
  auto r = run_isolated(false, [&](Report& rep) {
    run_rootfs(spec, ctx);
    probe_container(rep);
  });
  check_container(r);
  CHECK(read_file("/proc/self/mountinfo") == before);
}

TEST_CASE("in a user namespace devices are bind mounts of the host's nodes",
          "[mounts][rootfs][userns]") {
  std::string before = read_file("/proc/self/mountinfo");
  Bundle bundle;
  oci::Spec spec = busybox_spec(bundle.host.path + "/dir", bundle.host.path + "/file");
  spec.mounts.push_back(make_mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  auto ctx = bundle.context();
  ctx.new_user_ns = true;
  auto r = run_isolated(true, [&](Report& rep) {
    run_rootfs(spec, ctx);
    probe_container(rep);
    rep.add("sys_magic", fs_magic("/sys"));
    rep.add("sys_write", write_errno("/sys/kernel/skiff"));
  });
  check_container(r);
  CHECK(r.at("sys_magic") == std::to_string(SYSFS_MAGIC));
  CHECK(r.at("sys_write") == std::to_string(EROFS));
  CHECK(read_file("/proc/self/mountinfo") == before);
}

TEST_CASE("a cgroup mount is read-only cgroup2 (unified) or a tmpfs of v1 hierarchies (hybrid)",
          "[mounts][rootfs][cgroup]") {
  struct statfs st {};
  REQUIRE(statfs("/sys/fs/cgroup", &st) == 0);
  if (st.f_type == CGROUP2_SUPER_MAGIC) {
    WARN("unified cgroup host: testing the cgroup2 mount instead of the v1 layout");
    Bundle bundle;
    oci::Spec spec = with_mount_ns({});
    spec.mounts = {make_mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
                   make_mount("/sys/fs/cgroup", "cgroup", "cgroup",
                              {"nosuid", "noexec", "nodev", "relatime", "ro"})};
    auto r = run_isolated(false, [&](Report& rep) {
      run_rootfs(spec, bundle.context());
      rep.add("magic", fs_magic("/sys/fs/cgroup"));
      rep.add("write", errno_of(mkdir("/sys/fs/cgroup/skiff-test", 0755)));
      rep.add("procs", read_file("/sys/fs/cgroup/cgroup.procs").empty() ? "empty" : "listed");
    });
    INFO("error: " << (r.count("error") ? r.at("error") : ""));
    CHECK(r.at("exit") == "0");
    CHECK(r.at("magic") == std::to_string(CGROUP2_SUPER_MAGIC));
    CHECK(r.at("write") == std::to_string(EROFS));
    CHECK(r.at("procs") == "listed");
    return;
  }
  Bundle bundle;
  oci::Spec spec = with_mount_ns({});
  spec.mounts = {
      make_mount("/proc", "proc", "proc"),
      make_mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      make_mount("/sys/fs/cgroup", "cgroup", "cgroup",
                 {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };
  auto r = run_isolated(false, [&](Report& rep) {
    run_rootfs(spec, bundle.context());
    rep.add("root_magic", fs_magic("/sys/fs/cgroup"));
    rep.add("memory_magic", fs_magic("/sys/fs/cgroup/memory"));
    rep.add("memory_write", errno_of(mkdir("/sys/fs/cgroup/memory/skiff-test", 0755)));
    rep.add("root_write", errno_of(mkdir("/sys/fs/cgroup/skiff-test", 0755)));
    rep.add("memory_procs",
            read_file("/sys/fs/cgroup/memory/cgroup.procs").empty() ? "empty" : "listed");
  });
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  CHECK(r.at("exit") == "0");
  CHECK(r.at("root_magic") == std::to_string(TMPFS_MAGIC));
  CHECK(r.at("memory_magic") == std::to_string(CGROUP_SUPER_MAGIC));
  CHECK(r.at("memory_write") == std::to_string(EROFS));
  CHECK(r.at("root_write") == std::to_string(EROFS));
  CHECK(r.at("memory_procs") == "listed");
}

TEST_CASE("tmpcopyup and mount propagation options", "[mounts][rootfs]") {
  Bundle bundle;
  fs::create_directories(bundle.rootfs + "/etc/conf.d");
  write_file(bundle.rootfs + "/etc/conf.d/a.conf", "a=1");
  fs::create_symlink("a.conf", bundle.rootfs + "/etc/conf.d/link");
  oci::Spec spec = with_mount_ns({});
  spec.mounts = {
      make_mount("/proc", "proc", "proc"),
      make_mount("/etc", "tmpfs", "tmpfs", {"tmpcopyup", "mode=750", "rshared"}),
  };
  auto r = run_isolated(false, [&](Report& rep) {
    run_rootfs(spec, bundle.context());
    rep.add("conf", read_file("/etc/conf.d/link"));
    rep.add("magic", fs_magic("/etc"));
    rep.add("write", write_errno("/etc/new"));
    std::string info = read_file("/proc/self/mountinfo");
    rep.add("shared", info.find(" /etc rw") != std::string::npos &&
                              info.find("shared:", info.find(" /etc rw")) <
                                  info.find('\n', info.find(" /etc rw"))
                          ? "yes"
                          : "no");
  });
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  CHECK(r.at("exit") == "0");
  CHECK(r.at("conf") == "a=1");
  CHECK(r.at("magic") == std::to_string(TMPFS_MAGIC));
  CHECK(r.at("write") == "0");
  CHECK(r.at("shared") == "yes");
}

TEST_CASE("a failing mount names its index, destination and cause", "[mounts][rootfs]") {
  Bundle bundle;
  oci::Spec spec = with_mount_ns({});
  spec.mounts = {
      make_mount("/proc", "proc", "proc"),
      make_mount("/bad", "tmpfs", "tmpfs", {"mode=notanumber"}),
  };
  auto r = run_isolated(false, [&](Report&) { prepare_rootfs(spec, bundle.context()); });
  CHECK(r.at("exit") == "1");
  INFO(r.at("error"));
  CHECK(r.at("error").starts_with("mounts[1] (tmpfs on /bad): "));
  CHECK(r.at("error").find("Invalid argument") != std::string::npos);

  spec.mounts = {make_mount("/x", "bind", "/does/not/exist", {"bind"})};
  r = run_isolated(false, [&](Report&) { prepare_rootfs(spec, bundle.context()); });
  INFO(r.at("error"));
  CHECK(r.at("error") ==
        "mounts[0] (bind on /x): source /does/not/exist: No such file or directory");
}

TEST_CASE("mounts over or inside /proc are refused unless runc allows them", "[mounts][rootfs]") {
  Bundle bundle;
  oci::Spec spec = with_mount_ns({});
  spec.mounts = {make_mount("/proc", "tmpfs", "tmpfs")};
  auto r = run_isolated(false, [&](Report&) { prepare_rootfs(spec, bundle.context()); });
  INFO(r.at("error"));
  CHECK(r.at("error") == "mounts[0] (tmpfs on /proc): /proc: only procfs can be mounted on /proc");

  // Through a symlink in the image too.
  fs::create_symlink("/proc", bundle.rootfs + "/p");
  spec.mounts = {make_mount("/proc", "proc", "proc"),
                 make_mount("/p/sys", "bind", bundle.host.path + "/dir", {"rbind"}),
                 make_mount("/proc/uptime", "bind", bundle.host.path + "/file", {"bind"})};
  r = run_isolated(false, [&](Report&) { prepare_rootfs(spec, bundle.context()); });
  INFO(r.at("error"));
  CHECK(r.at("error") ==
        "mounts[1] (bind on /p/sys): destination: cannot be mounted because it is inside /proc");

  spec.mounts.erase(spec.mounts.begin() + 1);
  r = run_isolated(false, [&](Report& rep) {
    prepare_rootfs(spec, bundle.context());
    rep.add("uptime", read_file(bundle.rootfs + "/proc/uptime"));
  });
  CHECK(r.at("exit") == "0");
  CHECK(r.at("uptime") == "host file");

  // A bind of a procfs is a procfs.
  spec.mounts = {make_mount("/proc", "bind", "/proc", {"rbind"})};
  r = run_isolated(false, [&](Report& rep) {
    prepare_rootfs(spec, bundle.context());
    rep.add("magic", fs_magic(bundle.rootfs + "/proc"));
  });
  CHECK(r.at("exit") == "0");
  CHECK(r.at("magic") == std::to_string(PROC_SUPER_MAGIC));
}

TEST_CASE("overlay data options reach the filesystem", "[mounts][rootfs]") {
  Bundle bundle;
  std::string lower = bundle.host.path + "/lower", upper = bundle.host.path + "/upper",
              work = bundle.host.path + "/work";
  for (const auto& d : {lower, upper, work}) fs::create_directories(d);
  write_file(lower + "/l", "from lower");
  oci::Spec spec = with_mount_ns({});
  spec.mounts = {
      make_mount("/ovl", "overlay", "overlay",
                 {"lowerdir=" + lower, "upperdir=" + upper, "workdir=" + work, "nodev"})};
  auto r = run_isolated(false, [&](Report& rep) {
    run_rootfs(spec, bundle.context());
    rep.add("lower", read_file("/ovl/l"));
    rep.add("write", write_errno("/ovl/new"));
    rep.add("magic", fs_magic("/ovl"));
  });
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  CHECK(r.at("exit") == "0");
  CHECK(r.at("lower") == "from lower");
  CHECK(r.at("write") == "0");
  CHECK(r.at("magic") == std::to_string(OVERLAYFS_SUPER_MAGIC));
  CHECK(fs::exists(upper + "/new"));
}

TEST_CASE("an idmapped bind mount shows on-disk ids through the mount's mapping",
          "[mounts][rootfs][idmap]") {
  // Like a rootless image: files owned by 0 on disk must appear owned by the
  // host id that container root maps to (containerID 0 -> hostID 1000).
  Bundle bundle;
  std::string dir = bundle.host.path + "/idm";
  fs::create_directories(dir);
  write_file(dir + "/root_owned", "x");
  write_file(dir + "/other", "x");
  REQUIRE(chown((dir + "/other").c_str(), 1000, 1000) == 0);
  oci::Spec spec = with_mount_ns({});
  oci::Mount m = make_mount("/idm", "bind", dir, {"rbind", "ridmap"});
  m.uid_mappings = {{0, 1000, 1}};
  m.gid_mappings = {{0, 1000, 1}};
  spec.mounts = {m};
  auto r = run_isolated(false, [&](Report& rep) {
    run_rootfs(spec, bundle.context());
    struct stat st {};
    rep.add("root_owned", stat("/idm/root_owned", &st) < 0 ? -errno : static_cast<long>(st.st_uid));
    rep.add("root_owned_gid", static_cast<long>(st.st_gid));
    rep.add("other", stat("/idm/other", &st) < 0 ? -errno : static_cast<long>(st.st_uid));
  });
  if (r.count("error") && r.at("error").find("may not support idmapped") != std::string::npos) {
    WARN("no idmapped mounts on this kernel's " << dir << ": " << r.at("error"));
    return;
  }
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  CHECK(r.at("exit") == "0");
  CHECK(r.at("root_owned") == "1000");
  CHECK(r.at("root_owned_gid") == "1000");
  CHECK(r.at("other") == "65534");  // unmapped: the overflow id
}

TEST_CASE("mounts made for the container do not propagate to a shared parent",
          "[mounts][rootfs][propagation]") {
  Bundle bundle;
  // Outer namespace: a shared tmpfs holding the rootfs, like a host whose /
  // is shared. Inner namespace: the container, which must not leak into it.
  std::string shared_dir = bundle.host.path + "/shared";
  fs::create_directories(shared_dir);
  oci::Spec spec = busybox_spec(bundle.host.path + "/dir", bundle.host.path + "/file");
  std::string propagation = GENERATE(as<std::string>{}, "", "rshared", "rprivate");
  spec.linux->rootfs_propagation = propagation;
  INFO("rootfsPropagation: " << propagation);
  auto r = run_isolated(false, [&](Report& rep) {
    if (mount("", "/", nullptr, MS_PRIVATE | MS_REC, nullptr) < 0 ||
        mount("tmpfs", shared_dir.c_str(), "tmpfs", 0, nullptr) < 0 ||
        mount("", shared_dir.c_str(), nullptr, MS_SHARED, nullptr) < 0)
      throw std::runtime_error("setting up the shared mount failed");
    std::string rootfs = shared_dir + "/rootfs";
    make_busybox_rootfs(rootfs);
    std::string before = read_file("/proc/self/mountinfo");
    int done[2], release[2];
    if (pipe(done) < 0 || pipe(release) < 0) throw std::runtime_error("pipe");
    pid_t inner = fork();
    if (inner == 0) {
      char c = 'f';
      try {
        if (unshare(CLONE_NEWNS) < 0) throw std::runtime_error("unshare");
        RootfsContext ctx = bundle.context();
        ctx.rootfs = rootfs;
        run_rootfs(spec, ctx);
        c = 'k';
      } catch (const std::exception& e) {
        write_all(2, std::string("inner: ") + e.what() + "\n");
      }
      write_all(done[1], std::string(1, c));
      ::close(release[1]);
      char x;
      (void)::read(release[0], &x, 1);
      _exit(0);
    }
    ::close(release[0]);
    char c = 0;
    (void)::read(done[0], &c, 1);
    rep.add("inner", std::string(1, c));
    rep.add("unchanged", read_file("/proc/self/mountinfo") == before ? "yes" : "no");
    ::close(release[1]);
    wait_status(inner);
  });
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  CHECK(r.at("exit") == "0");
  CHECK(r.at("inner") == "k");
  CHECK(r.at("unchanged") == "yes");
}

TEST_CASE("in a user namespace a bind keeps the flags locked on its source",
          "[mounts][rootfs][userns]") {
  Bundle bundle;
  std::string locked = bundle.host.path + "/locked";
  fs::create_directories(locked);
  oci::Spec spec = with_mount_ns({});
  spec.mounts = {make_mount("/proc", "proc", "proc"),
                 make_mount("/l", "bind", locked, {"bind", "ro", "suid", "dev", "exec"}),
                 make_mount("/data", "tmpfs", "tmpfs"),
                 make_mount("/data", "", "", {"remount", "ro", "nosuid"})};
  auto ctx = bundle.context();
  ctx.new_user_ns = true;
  auto r = run_isolated(
      true,
      [&](Report& rep) {
        run_rootfs(spec, ctx);
        struct statvfs st {};
        rep.add("l_flags", statvfs("/l", &st) < 0 ? -errno : static_cast<long>(st.f_flag));
        rep.add("data_flags", statvfs("/data", &st) < 0 ? -errno : static_cast<long>(st.f_flag));
        rep.add("data_write", write_errno("/data/x"));
      },
      [&] {
        return mount("tmpfs", locked.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) ==
               0;
      });
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  REQUIRE(r.at("exit") == "0");
  long l_flags = std::stol(r.at("l_flags"));
  CHECK((l_flags & ST_RDONLY) != 0);
  CHECK((l_flags & ST_NOSUID) != 0);  // locked: "suid" cannot clear it
  CHECK((l_flags & ST_NODEV) != 0);
  CHECK((l_flags & ST_NOEXEC) != 0);
  long data_flags = std::stol(r.at("data_flags"));
  CHECK((data_flags & ST_RDONLY) != 0);
  CHECK((data_flags & ST_NOSUID) != 0);
  CHECK(r.at("data_write") == std::to_string(EROFS));
}

TEST_CASE("without a mount namespace the rootfs is entered with chroot, / is left alone",
          "[mounts][rootfs]") {
  // The child's own mount namespace stands in for the runtime's: the spec
  // has none, so neither "/" propagation nor the root may change in it.
  Bundle bundle;
  oci::Spec spec;
  spec.root.readonly = true;
  spec.mounts = {make_mount("/proc", "proc", "proc")};
  spec.linux.emplace();
  spec.linux->masked_paths = {"/etc/secret"};
  auto r = run_isolated(false, [&](Report& rep) {
    if (mount("", "/", nullptr, MS_SHARED | MS_REC, nullptr) < 0)
      throw std::runtime_error("making / shared");
    auto root_line = [] {
      std::istringstream in(read_file("/proc/self/mountinfo"));
      std::string line;
      while (std::getline(in, line))
        if (line.find(" / / ") != std::string::npos) return line;
      return std::string();
    };
    std::string before = root_line();
    pid_t pid = fork();
    if (pid == 0) {
      try {
        run_rootfs(spec, bundle.context());
        _exit(read_file("/marker") == "inside the rootfs\n" && read_file("/etc/secret").empty() &&
                      write_errno("/x") == EROFS
                  ? 0
                  : 3);
      } catch (const std::exception& e) {
        write_all(2, std::string(e.what()) + "\n");
        _exit(2);
      }
    }
    rep.add("container", wait_status(pid));
    rep.add("root_unchanged", root_line() == before ? "yes" : "no");
    rep.add("host_root", access("/work", F_OK) == 0 ? "yes" : "no");
  });
  INFO("error: " << (r.count("error") ? r.at("error") : ""));
  CHECK(r.at("exit") == "0");
  CHECK(r.at("container") == "0");
  CHECK(r.at("root_unchanged") == "yes");
  CHECK(r.at("host_root") == "yes");
}
