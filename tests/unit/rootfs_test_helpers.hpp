// Helpers of the rootfs unit tests: temp dirs, a busybox rootfs, running a
// body as pid 1 of new namespaces and reading back what it reported.
#pragma once

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

namespace rootfs_test {

namespace fs = std::filesystem;
using namespace skiff;
using namespace skiff::mounts;


inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::string& path, const std::string& text) {
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
inline void make_busybox_rootfs(const std::string& root) {
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

inline std::map<std::string, std::string> parse_report(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

inline void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

inline std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

inline int wait_status(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs body as pid 1 of new mount + pid namespaces (and a user namespace
// mapping every id to itself when user_ns); returns what it reported, with
// "exit" set to its exit status. Exceptions become "error=<what>".
// before_userns runs first, in a mount namespace of its own.
inline std::map<std::string, std::string> run_isolated(bool user_ns,
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

inline oci::Mount make_mount(std::string dest, std::string type, std::string source,
                      std::vector<std::string> options = {}) {
  oci::Mount m;
  m.destination = std::move(dest);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

inline long errno_of(int rc) { return rc < 0 ? errno : 0; }

inline long write_errno(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  long err = ::write(fd, "x", 1) == 1 ? 0 : errno;
  ::close(fd);
  return err;
}

inline std::string file_kind(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) < 0) return "missing";
  if (S_ISCHR(st.st_mode))
    return "chr " + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
  if (S_ISLNK(st.st_mode)) return "link " + fs::read_symlink(path).string();
  if (S_ISDIR(st.st_mode)) return "dir";
  return "file";
}

inline long fs_magic(const std::string& path) {
  struct statfs st {};
  return statfs(path.c_str(), &st) < 0 ? -errno : static_cast<long>(st.f_type);
}

// Run a command inside the container and capture its stdout.
inline std::string run_cmd(const char* const argv[]) {
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
inline oci::Spec busybox_spec(const std::string& host_dir, const std::string& host_file) {
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
inline void probe_container(Report& r) {
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

inline void check_container(const std::map<std::string, std::string>& r) {
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
inline oci::Spec with_mount_ns(oci::Spec spec) {
  if (!spec.linux) spec.linux.emplace();
  if (!spec.linux->find_namespace(oci::NamespaceType::Mount))
    spec.linux->namespaces.push_back({oci::NamespaceType::Mount, ""});
  return spec;
}

inline void run_rootfs(const oci::Spec& spec, const RootfsContext& ctx) {
  prepare_rootfs(spec, ctx);
  enter_rootfs(spec, ctx);
  finalize_rootfs(spec, ctx);
}

}  // namespace rootfs_test
