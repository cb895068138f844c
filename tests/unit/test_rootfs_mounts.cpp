// Mount edge cases in real namespaces: failing mounts name their index,
// /proc overmounts, overlay, idmapped binds, propagation, locked flags in a
// user namespace, and a rootfs without a mount namespace.
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

#include "rootfs_test_helpers.hpp"

using namespace rootfs_test;
namespace fs = std::filesystem;
using namespace skiff;
using namespace skiff::mounts;

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
