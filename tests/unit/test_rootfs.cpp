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

#include "rootfs_test_helpers.hpp"

using namespace rootfs_test;
namespace fs = std::filesystem;
using namespace skiff;
using namespace skiff::mounts;

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
