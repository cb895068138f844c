// Escape attempts that hit runc and crun, replayed against skiff: each test
// builds the hostile bundle or process and checks that nothing reached the host.
//   - leaked fds and a cwd outside the rootfs (CVE-2024-21626 class)
//   - symlinks in the rootfs under mount destinations, devices, masked paths
//     and the cwd (CVE-2021-30465 class)
//   - a fake /dev/null for masking, a redirected procfs (the 2025 runc CVEs)
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"
#include "security/procfs.hpp"
#include "skiff/error.hpp"

using namespace skiff_test;

namespace {

struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int f) : fd(f) {}
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() {
    if (fd >= 0) close(fd);
  }
};

// Run fn in a forked child with its own mount namespace; its exit code.
template <typename Fn>
int in_private_mount_namespace(Fn fn) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0 || mount("", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      _exit(100);
    _exit(fn());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("fds of the caller never reach the container (run and exec, CLI)", "[escape][fds]") {
  Sandbox sb;
  OwnedFd host_dir(open(sb.dir.c_str(), O_RDONLY | O_DIRECTORY));  // no O_CLOEXEC on purpose
  OwnedFd host_file(open("/etc/hostname", O_RDONLY));
  REQUIRE((host_dir.fd >= 0 && host_file.fd >= 0));
  Bundle b = sb.bundle({"sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; exec sleep 600"});
  b.save();
  const std::string id = sb.new_id("fds");
  Child run =
      sb.skiff_async({"run", "--bundle", b.dir.string(), id}, {}, 60s, {host_dir.fd, host_file.fd});
  REQUIRE(sb.wait_for_status(id, "running"));
  Output exec = sb.skiff({"exec", id, "ls", "/proc/self/fd"}, {}, 30s, {host_dir.fd, host_file.fd});
  INFO(exec.describe());
  CHECK(exec.exit_code == 0);
  CHECK(split_words(exec.out) == std::vector<std::string>{"0", "1", "2", "3"});
  REQUIRE(sb.skiff({"kill", id, "KILL"}).exit_code == 0);
  Output out = run.wait();
  INFO(out.describe());
  CHECK(out.out == "0 1 2 3 ");  // 3 is ls's own directory fd
}

TEST_CASE("fds of a library caller never reach the container", "[escape][fds][library]") {
  Sandbox sb;
  SubreaperScope reaper;
  OwnedFd host_dir(open("/", O_RDONLY | O_DIRECTORY));  // the host's root, no O_CLOEXEC
  OwnedFd host_path(open(sb.dir.c_str(), O_PATH));
  REQUIRE((host_dir.fd >= 0 && host_path.fd >= 0));
  Bundle b =
      sb.bundle({"sh", "-c", "ls /proc/self/fd > /out/tmp; mv /out/tmp /out/run; exec sleep 600"});
  fs::path out = b.bind_out();
  b.save();
  skiff::Runtime rt = sb.runtime();
  const std::string id = sb.new_id("libfds");
  rt.create(id, {.bundle = b.dir.string()});
  rt.start(id);
  skiff::ExecOptions exec;
  exec.args = {"sh", "-c", "ls /proc/self/fd > /out/exec"};
  CHECK(rt.exec(id, exec).exit_code == 0);
  for (int i = 0; i < 100 && !fs::exists(out / "run"); ++i) usleep(50'000);
  rt.kill(id, SIGKILL);
  rt.wait(id);
  rt.remove(id);
  CHECK(split_words(read_file(out / "run")) == std::vector<std::string>{"0", "1", "2", "3"});
  CHECK(split_words(read_file(out / "exec")) == std::vector<std::string>{"0", "1", "2", "3"});
}

TEST_CASE("LISTEN_FDS of systemd socket activation are passed on, nothing more", "[escape][fds]") {
  Sandbox sb;
  fs::path socket_file = sb.dir / "listen";
  write_file(socket_file, "activated\n");
  OwnedFd listen(open(socket_file.c_str(), O_RDONLY | O_CLOEXEC));
  OwnedFd extra(open(sb.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  Bundle b = sb.bundle({"sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; ls /proc/self/fd | tr '\\n' ' '; cat <&3"});
  b.save();
  // As systemd starts a socket-activated service: LISTEN_PID is skiff's pid.
  const std::string command = "LISTEN_PID=$$ LISTEN_FDS=1 exec " + skiff_binary() + " --root " +
                              sb.root.string() + " run --bundle " + b.dir.string() + " " + sb.new_id("listen");
  Output out = run_command({.argv = {"/bin/sh", "-c", command}, .fds = {listen.fd, extra.fd}});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "1 1\n0 1 2 3 4 activated\n");  // 3: the socket, 4: ls's own
}

TEST_CASE("process.cwd never resolves outside the rootfs", "[escape][cwd]") {
  Sandbox sb;
  SECTION("\"/../../..\" is the container's root") {
    Bundle b = sb.bundle({"sh", "-c", "pwd; ls /marker"});
    b.config["process"]["cwd"] = "/../../..";
    write_file(b.rootfs / "marker", "");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "/\n/marker\n");
  }
  SECTION("a magic link to one of the runtime's fds is refused, for run and exec") {
    Bundle b = sb.bundle({"true"});
    b.config["root"]["readonly"] = false;
    for (int fd = 3; fd <= 12; ++fd) {
      b.config["process"]["cwd"] = "/proc/self/fd/" + std::to_string(fd);
      Output out = sb.run(b);
      INFO(out.describe());
      CHECK(out.exit_code != 0);
      CHECK(out.err.find("process.cwd") != std::string::npos);
    }
    b.config["process"]["cwd"] = "/";
    b.set_args({"sleep", "600"});
    b.save();
    const std::string id = sb.new_id("cwd");
    REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
    for (int fd = 3; fd <= 12; ++fd) {
      Output exec = sb.skiff({"exec", "--cwd", "/proc/self/fd/" + std::to_string(fd), id, "pwd"});
      INFO(exec.describe());
      CHECK(exec.exit_code != 0);
      CHECK(exec.out.empty());
    }
    sb.skiff({"delete", "--force", id});
  }
}

TEST_CASE("symlinks in the rootfs cannot point mounts, devices, masks or the cwd at the host",
          "[escape][symlink]") {
  Sandbox sb;
  fs::path host = sb.dir / "host-target";
  fs::create_directories(host);
  write_file(host / "secret", "host data\n");
  Bundle b = sb.bundle({"sh", "-c", "cat /escape/secret; pwd"});
  b.config["root"]["readonly"] = false;
  fs::create_directory_symlink(host, b.rootfs / "escape");                   // absolute
  fs::create_directory_symlink("../../../../../../../..", b.rootfs / "up");  // relative, above /
  b.config["mounts"].push_back(
      {{"destination", "/escape/x"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  b.config["mounts"].push_back(
      {{"destination", "/up" + (host / "y").string()}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  b.config["linux"]["devices"] = {
      {{"path", "/escape/null2"}, {"type", "c"}, {"major", 1}, {"minor", 3}}};
  b.config["linux"]["maskedPaths"] = {"/escape/secret"};
  b.config["process"]["cwd"] = "/escape/newdir";
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == host.string() + "/newdir\n");  // the masked file in the container reads empty
  // Everything landed inside the rootfs, at the symlink's target taken as a container path.
  fs::path inside = b.rootfs / host.relative_path();
  CHECK(fs::is_directory(inside / "x"));
  CHECK(fs::is_directory(inside / "y"));
  CHECK(fs::is_character_file(inside / "null2"));
  CHECK(fs::is_directory(inside / "newdir"));
  // And nothing on the host.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(host)) names.push_back(entry.path().filename());
  CHECK(names == std::vector<std::string>{"secret"});
  CHECK(read_file(host / "secret") == "host data\n");
  CHECK(mounts_under(host).empty());
}

TEST_CASE("masking refuses a /dev/null that is not the null device", "[escape][devnull]") {
  Sandbox sb;
  fs::path host_file = sb.dir / "host-file";
  write_file(host_file, "host data\n");
  Bundle b = sb.bundle({"cat", "/proc/timer_list"});
  // No tmpfs on /dev: the image's own /dev is used, and it is hostile.
  auto& mounts = b.config["mounts"];
  for (auto it = mounts.begin(); it != mounts.end();)
    it = (*it)["destination"].get<std::string>().starts_with("/dev") ? mounts.erase(it) : it + 1;
  b.config["root"]["readonly"] = false;
  b.config["linux"]["maskedPaths"] = {"/proc/timer_list"};
  SECTION("a regular file") { write_file(b.rootfs / "dev/null", "not null\n"); }
  SECTION("a fifo") { REQUIRE(mkfifo((b.rootfs / "dev/null").c_str(), 0666) == 0); }
  SECTION("a symlink to a file") { fs::create_symlink(host_file, b.rootfs / "dev/null"); }
  SECTION("a symlink to a host device path that is a file in the image") {
    write_file(b.rootfs / "etc/null", "");
    fs::create_symlink("/etc/null", b.rootfs / "dev/null");
  }
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("linux.maskedPaths[0] (/proc/timer_list): /dev/null") != std::string::npos);
  CHECK(read_file(host_file) == "host data\n");
}

TEST_CASE("the runtime's procfs refuses files redirected by mounts", "[escape][procfs]") {
  fs::path tmp = fs::temp_directory_path() / ("skiff-procfs-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  write_file(tmp / "decoy", "0\n");
  SECTION("a file bind-mounted over a /proc/sys entry") {
    int code = in_private_mount_namespace([&] {
      if (mount((tmp / "decoy").c_str(), "/proc/sys/kernel/domainname", nullptr, MS_BIND, nullptr))
        return 101;
      auto procfs = skiff::security::Procfs::open_host();
      try {
        procfs.write("sys/kernel/domainname", "evil", "test");
      } catch (const skiff::Error& e) {
        return std::string(e.what()).find("redirected") != std::string::npos ? 0 : 102;
      }
      return 103;
    });
    CHECK(code == 0);
    CHECK(read_file(tmp / "decoy") == "0\n");
  }
  SECTION("a tmpfs over /proc/sys") {
    int code = in_private_mount_namespace([&] {
      if (mount("tmpfs", "/proc/sys", "tmpfs", 0, nullptr)) return 101;
      auto procfs = skiff::security::Procfs::open_host();
      try {
        procfs.write("sys/kernel/domainname", "evil", "test");
      } catch (const skiff::Error&) {
        return 0;
      }
      return 103;
    });
    CHECK(code == 0);
  }
  SECTION("something else than procfs on /proc") {
    int code = in_private_mount_namespace([&] {
      if (mount("tmpfs", "/proc", "tmpfs", 0, nullptr)) return 101;
      try {
        (void)skiff::security::Procfs::open_host();
      } catch (const skiff::Error& e) {
        return std::string(e.what()).find("not the root of a procfs") != std::string::npos ? 0
                                                                                           : 102;
      }
      return 103;
    });
    CHECK(code == 0);
  }
  fs::remove_all(tmp);
}

TEST_CASE("a mount over /proc/sys in config.json is refused, so sysctls cannot be redirected",
          "[escape][procfs][sysctl]") {
  Sandbox sb;
  const std::string id = sb.new_id("procsys");
  Bundle b = sb.bundle({"true"});
  b.config["mounts"].push_back(
      {{"destination", "/proc/sys"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  b.config["linux"]["sysctl"] = {{"kernel.domainname", "evil"}};
  b.save();
  Output out = sb.skiff({"create", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("inside /proc") != std::string::npos);
  CHECK_NO_LEFTOVERS(sb, id);
}
