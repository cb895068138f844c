// cgroups: the driver for this host's layout on real cgroups (v1/hybrid here,
// v2 in tools/cgroup2-tests). The logic-only tests are in test_cgroups_plan.cpp.
#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "cgroups/cgroup.hpp"
#include "cgroups/default_devices.hpp"
#include "cgroups/files.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/stats.hpp"
#include "cgroups/v2.hpp"
#include "skiff/error.hpp"

using namespace skiff::cgroups;
using nlohmann::json;

namespace {

// ---- helpers for the real-cgroup tests ------------------------------------

std::string unique_name(const std::string& what) {
  return "skiff-test-" + std::to_string(::getpid()) + "-" + what;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Every directory the cgroup occupies, from its saved state.
std::vector<std::string> dirs_of(const Cgroup& cg) {
  json saved = cg.to_json();
  std::vector<std::string> dirs;
  auto v2_dir = [](const json& j) {
    return join_path(j["mountpoint"].get<std::string>(), j["path"].get<std::string>());
  };
  if (saved["driver"] == "cgroup2") return {v2_dir(saved)};
  for (const auto& h : saved["hierarchies"]) dirs.push_back(h["dir"].get<std::string>());
  if (!saved["unified"].is_null()) dirs.push_back(v2_dir(saved["unified"]));
  return dirs;
}

// The file of a controller in this cgroup ("" when that controller is absent).
std::string control_dir(const Cgroup& cg, const std::string& controller) {
  json saved = cg.to_json();
  if (saved["driver"] == "cgroup2") return dirs_of(cg).front();
  for (const auto& h : saved["hierarchies"])
    for (const auto& c : h["controllers"])
      if (c == controller) return h["dir"].get<std::string>();
  return "";
}

std::string read_trimmed(const std::string& path) { return trim(read_text(path)); }

// A forked child that runs body once the parent says go (after joining it to
// the cgroup), then exits with body's return value.
struct Child {
  pid_t pid = -1;
  int go = -1;

  explicit Child(std::function<int()> body) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Catch's handlers would report the test's own signals as failures.
      for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
      ::close(fds[1]);
      char c;
      if (::read(fds[0], &c, 1) != 1) ::_exit(100);
      ::_exit(body());
    }
    ::close(fds[0]);
    go = fds[1];
  }
  void start() {
    REQUIRE(::write(go, "g", 1) == 1);
    ::close(go);
    go = -1;
  }
  int wait_status() {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    pid = -1;
    return status;
  }
  ~Child() {
    if (go >= 0) ::close(go);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// Owns a test cgroup: kills what is left in it and removes it at scope exit.
struct TestCgroup {
  std::unique_ptr<Cgroup> cg;
  explicit TestCgroup(const std::string& path, const std::string& id = "unused")
      : cg(make_cgroup(path, id)) {
    cg->create();
  }
  ~TestCgroup() {
    try {
      if (cg->frozen()) cg->thaw();
      cg->kill_all(SIGKILL);
      cg->destroy();
    } catch (...) {
    }
  }
  Cgroup* operator->() { return cg.get(); }
};

bool contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// A counter the child bumps every millisecond, shared with the parent.
struct SharedCounter {
  std::atomic<long>* value;
  SharedCounter() {
    void* mem = ::mmap(nullptr, sizeof(std::atomic<long>), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem != MAP_FAILED);
    value = new (mem) std::atomic<long>(0);
  }
  ~SharedCounter() { ::munmap(value, sizeof(std::atomic<long>)); }
  long get() const { return value->load(); }
  // True when the counter moves within the given time.
  bool advances(std::chrono::milliseconds within) const {
    long before = get();
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (get() != before) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
};

Mode host_mode() { return read_layout().mode; }
}  // namespace

// ---- cgroupsPath -------------------------------------------------------------

TEST_CASE("cgroupsPath: empty is /<id>, relative is under our own cgroup", "[cgroups]") {
  std::string id = unique_name("default");
  json saved = make_cgroup("", id)->to_json();
  if (saved["driver"] == "cgroup2") CHECK(saved["path"] == "/" + id);
  for (const auto& h : saved.value("hierarchies", json::array()))
    CHECK(h["dir"] == h["mountpoint"].get<std::string>() + "/" + id);

  std::string rel = unique_name("relative");
  TestCgroup relative(rel);
  Layout layout = read_layout();
  for (const auto& m : self_memberships()) {
    const Hierarchy* h =
        m.controllers.empty() ? &layout.unified : layout.find_v1(m.controllers.front());
    if (!h || (m.controllers.empty() && !layout.has_unified)) continue;
    std::string own =
        m.path.ends_with("/init.scope") ? m.path.substr(0, m.path.size() - 11) : m.path;
    CHECK(is_dir(join_path(join_path(h->mountpoint, own), rel)));
  }
}

// ---- the driver on real cgroups --------------------------------------------

TEST_CASE("a cgroup holds, freezes, thaws and kills a process, then is removed", "[cgroups]") {
  auto cgroup = std::make_unique<TestCgroup>("/" + unique_name("life"));
  auto dirs = dirs_of(*cgroup->cg);
  for (const auto& dir : dirs) REQUIRE(is_dir(dir));

  SharedCounter counter;
  Child child([&] {
    for (;;) {
      counter.value->fetch_add(1);
      ::usleep(1000);
    }
    return 0;
  });
  (*cgroup)->add_process(child.pid);
  child.start();
  CHECK((*cgroup)->pids() == std::vector<pid_t>{child.pid});
  for (const auto& dir : dirs) CHECK(contains(read_procs(dir, false), child.pid));
  REQUIRE(counter.advances(std::chrono::milliseconds(2000)));

  (*cgroup)->freeze();
  CHECK((*cgroup)->frozen());
  if (host_mode() != Mode::Unified)
    CHECK(read_trimmed(join_path(control_dir(*cgroup->cg, "freezer"), "freezer.state")) ==
          "FROZEN");
  CHECK_FALSE(counter.advances(std::chrono::milliseconds(200)));

  (*cgroup)->thaw();
  CHECK_FALSE((*cgroup)->frozen());
  CHECK(counter.advances(std::chrono::milliseconds(2000)));

  // Another process reopens it from the saved state.
  auto reopened = load_cgroup(json::parse((*cgroup)->to_json().dump()));
  CHECK(reopened->pids() == std::vector<pid_t>{child.pid});
  reopened->kill_all(SIGKILL);
  int status = child.wait_status();
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  reopened->destroy();
  for (const auto& dir : dirs) CHECK_FALSE(is_dir(dir));
  reopened->destroy();  // idempotent
}

TEST_CASE("kill_all delivers other signals to every process", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("term"));
  Child child([] {
    ::pause();
    return 0;
  });
  cgroup->add_process(child.pid);
  child.start();
  cgroup->kill_all(SIGTERM);
  int status = child.wait_status();
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
}

TEST_CASE("pids.limit=5: the fifth fork in the cgroup fails", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("pids"));
  cgroup->apply({{"pids", {{"limit", 5}}}});
  CHECK(read_trimmed(join_path(control_dir(*cgroup.cg, "pids"), "pids.max")) == "5");

  // The child counts as one; it forks sleepers until fork fails.
  Child child([] {
    pid_t sleepers[10];
    int forked = 0;
    for (; forked < 10; ++forked) {
      pid_t pid = ::fork();
      if (pid < 0) break;
      if (pid == 0) {
        ::pause();
        ::_exit(0);
      }
      sleepers[forked] = pid;
    }
    int err = errno;
    for (int i = 0; i < forked; ++i)
      ::kill(sleepers[i], SIGKILL), ::waitpid(sleepers[i], nullptr, 0);
    return forked == 4 && err == EAGAIN ? 0 : 10 + forked;
  });
  cgroup->add_process(child.pid);
  child.start();
  int status = child.wait_status();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 10 + n: n forks succeeded
  CHECK(cgroup->pids().empty());
}

TEST_CASE("memory and cpu limits land in the files", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("limits"));
  cgroup->apply(
      {{"memory", {{"limit", 64 << 20}}}, {"cpu", {{"quota", 20000}, {"period", 100000}}}});
  std::string mem = control_dir(*cgroup.cg, "memory");
  std::string cpu = control_dir(*cgroup.cg, "cpu");
  if (host_mode() == Mode::Unified) {
    CHECK(read_trimmed(join_path(mem, "memory.max")) == std::to_string(64 << 20));
    CHECK(read_trimmed(join_path(cpu, "cpu.max")) == "20000 100000");
  } else {
    CHECK(read_trimmed(join_path(mem, "memory.limit_in_bytes")) == std::to_string(64 << 20));
    CHECK(read_trimmed(join_path(cpu, "cpu.cfs_quota_us")) == "20000");
  }
}

TEST_CASE("unified keys go to cgroup v2 files and are refused on v1", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("unified"));
  json unified = {{"unified", {{"pids.max", "7"}}}};
  if (host_mode() != Mode::Unified) {
    CHECK_THROWS_WITH(cgroup->apply(unified),
                      Catch::StartsWith("linux.resources.unified: needs cgroup v2"));
    return;
  }
  // The unified value is written after the typed field, so it wins.
  unified["pids"] = {{"limit", 3}};
  cgroup->apply(unified);
  CHECK(read_trimmed(join_path(control_dir(*cgroup.cg, "pids"), "pids.max")) == "7");
  CHECK_THROWS_WITH(
      cgroup->apply({{"unified", {{"cgroup.procs", "1"}}}}),
      "linux.resources.unified.cgroup.procs: not a cgroup file the container may set");
  CHECK_THROWS_WITH(
      cgroup->apply({{"unified", {{"nosuch.file", "1"}}}}),
      Catch::StartsWith(
          "linux.resources.unified.nosuch.file: cgroup controller \"nosuch\" is not available"));
}

TEST_CASE("hugepage limits, on v1, v2 or a hybrid host's cgroup2 hugetlb", "[cgroups]") {
  Layout layout = read_layout();
  bool hybrid_hugetlb = layout.mode == Mode::Hybrid && !layout.find_v1("hugetlb");
  // Enabling hugetlb in a hybrid host's cgroup2 root is a host-wide change:
  // only test there when it is already on.
  if (hybrid_hugetlb &&
      !has_word(read_optional(join_path(layout.unified.mountpoint, "cgroup.subtree_control"))
                    .value_or(""),
                "hugetlb"))
    return;
  TestCgroup cgroup("/" + unique_name("hugetlb"));
  std::string dir =
      hybrid_hugetlb ? dirs_of(*cgroup.cg).back() : control_dir(*cgroup.cg, "hugetlb");
  std::string file = layout.find_v1("hugetlb") ? "hugetlb.2MB.limit_in_bytes" : "hugetlb.2MB.max";
  cgroup->apply({{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4 << 20}}}}});
  CHECK(read_trimmed(join_path(dir, file)) == std::to_string(4 << 20));
}

TEST_CASE("stats count the cpu, memory and pids of the processes inside", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("stats"));
  cgroup->apply({{"pids", {{"limit", 10}}}});
  SharedCounter counter;
  Child child([&] {
    // 8 MiB touched, then spin so cpu time accrues.
    std::vector<char> memory(8 << 20, 1);
    for (;;) counter.value->fetch_add(memory[counter.get() % memory.size()]);
    return 0;
  });
  cgroup->add_process(child.pid);
  child.start();
  for (int i = 0; i < 1000 && counter.get() < 1000000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(counter.get() >= 1000000);
  json stats = cgroup->stats();
  INFO(stats.dump());
  CHECK(stats["pids"]["current"] == 1);
  CHECK(stats["pids"]["limit"] == 10);
  CHECK(stats["memory"]["usage"]["usage"].get<uint64_t>() >= (8u << 20));
  CHECK(stats["cpu"]["usage"]["total"].get<uint64_t>() > 0);
  CHECK(stats["memory"]["raw"].is_object());
  CHECK(cgroup->oom_kills() == 0);
}

TEST_CASE("a process over memory.limit is OOM-killed and counted", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("oom"));
  // memory+swap == memory: no escape into swap.
  cgroup->apply({{"memory", {{"limit", 16 << 20}, {"swap", 16 << 20}}}});
  Child child([] {
    std::vector<char> memory(64 << 20, 1);  // touches every page
    return memory[12345] == 1 ? 0 : 1;
  });
  skiff::UniqueFd watch = cgroup->watch_oom();
  REQUIRE(watch.valid());
  cgroup->add_process(child.pid);
  child.start();
  int status = child.wait_status();
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(cgroup->oom_kills() >= 1);
  // The watch fd (inotify on memory.events, or the v1 eventfd) woke up.
  pollfd p{watch.get(), POLLIN, 0};
  CHECK(::poll(&p, 1, 5000) == 1);
  CHECK(cgroup->stats()["memory"]["event_count"]["oom_kill"].get<uint64_t>() >= 1);
}

TEST_CASE("a kernel refusal names the resource field and the file", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("refused"));
  // Quotas below 1ms are rejected by the kernel on v1 and v2.
  CHECK_THROWS_WITH(cgroup->apply({{"cpu", {{"quota", 500}, {"period", 100000}}}}),
                    Catch::StartsWith("linux.resources.cpu.quota: writing cpu.") &&
                        Catch::EndsWith(": Invalid argument"));
}

// Which of four opens a process in the cgroup may do, as bits:
// 1 /dev/null rw, 2 /dev/zero r, 4 /dev/zero w, 8 /dev/full r.
int device_access(Cgroup& cgroup) {
  Child child([] {
    struct Probe {
      const char* path;
      int flags;
    };
    const Probe probes[] = {{"/dev/null", O_RDWR},
                            {"/dev/zero", O_RDONLY},
                            {"/dev/zero", O_WRONLY},
                            {"/dev/full", O_RDONLY}};
    int bits = 0;
    for (int i = 0; i < 4; ++i) {
      int fd = ::open(probes[i].path, probes[i].flags | O_CLOEXEC);
      if (fd >= 0)
        bits |= 1 << i, ::close(fd);
      else if (errno != EPERM)
        return 100 + errno;
    }
    return bits;
  });
  cgroup.add_process(child.pid);
  child.start();
  int status = child.wait_status();
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

const json kNullAndReadZero = {
    {"devices",
     {{{"allow", false}, {"access", "rwm"}},
      {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rwm"}},
      {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"access", "r"}}}}};
const json kOnlyFull = {
    {"devices",
     {{{"allow", false}, {"access", "rwm"}},
      {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 7}, {"access", "rwm"}}}}};
const json kOnlyNull = {
    {"devices", {{{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rwm"}}}}};
const json kAllButWritingZero = {
    {"devices",
     {{{"allow", true}, {"access", "rwm"}},
      {{"allow", false}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"access", "w"}}}}};

// The same rules, the same outcome, on whichever mechanism is given.
void check_device_rules(Cgroup& cgroup) {
  CHECK(device_access(cgroup) == 15);  // no rules yet
  cgroup.apply(kNullAndReadZero);
  CHECK(device_access(cgroup) == (1 | 2));
  cgroup.apply(kOnlyFull);  // replaces the earlier rules
  CHECK(device_access(cgroup) == 8);
  cgroup.apply(kOnlyNull);  // an allow list without "deny all" still starts empty
  CHECK(device_access(cgroup) == 1);
  cgroup.apply(kAllButWritingZero);
  CHECK(device_access(cgroup) == (1 | 2 | 8));
}

TEST_CASE("device rules are enforced: allow list, replacement, deny after allow", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("devices"));
  check_device_rules(*cgroup.cg);
  if (host_mode() != Mode::Unified) {
    cgroup->apply(kNullAndReadZero);
    CHECK(read_text(join_path(control_dir(*cgroup.cg, "devices"), "devices.list")) ==
          "c 1:3 rwm\nc 1:5 r\n");
  }
}

TEST_CASE("a spec's deny-all still leaves the standard /dev nodes usable", "[cgroups]") {
  skiff::oci::Linux linux_config;
  linux_config.resources = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  linux_config.devices.push_back({'b', "/dev/sdz", 8, 250});
  json effective = effective_resources(linux_config);
  const json& rules = effective["devices"];
  CHECK(rules.front() == linux_config.resources["devices"][0]);  // the spec's own rules come first
  CHECK(rules.back() ==
        json({{"allow", true}, {"type", "b"}, {"major", 8}, {"minor", 250}, {"access", "rwm"}}));
  CHECK(linux_config.resources["devices"].size() == 1);  // input untouched

  TestCgroup cgroup("/" + unique_name("defaultdev"));
  cgroup->apply(linux_config.resources);
  CHECK(device_access(*cgroup.cg) == 0);
  cgroup->apply(effective);
  CHECK(device_access(*cgroup.cg) == 15);
}

// The runtime writes the device rules before the init joins and the rest
// while it sets up: a v1 process in the cgroup would meet "deny all" alone.
TEST_CASE("limits split around the join: device rules before, the rest after", "[cgroups]") {
  TestCgroup cgroup("/" + unique_name("split"));
  json limits = kNullAndReadZero;
  limits["pids"] = {{"limit", 7}};
  std::string pids_dir = control_dir(*cgroup.cg, "pids");
  cgroup->apply(limits, Limits::BeforeJoin);
  CHECK(read_trimmed(join_path(pids_dir, "pids.max")) == "max");
  if (host_mode() != Mode::Unified) CHECK(device_access(*cgroup.cg) == (1 | 2));
  cgroup->apply(limits, Limits::AfterJoin);
  CHECK(read_trimmed(join_path(pids_dir, "pids.max")) == "7");
  CHECK(device_access(*cgroup.cg) == (1 | 2));
}

TEST_CASE("the eBPF device filter works on a hybrid host's cgroup2 hierarchy", "[cgroups]") {
  Layout layout = read_layout();
  if (layout.mode != Mode::Hybrid) return;  // unified hosts test it in the case above
  CgroupV2 cgroup(layout.unified.mountpoint, "/" + unique_name("bpf"), false);
  cgroup.create();
  try {
    check_device_rules(cgroup);
    CHECK_THROWS_WITH(
        cgroup.apply({{"devices", {{{"allow", true}, {"access", "rwx"}}}}}),
        "linux.resources.devices[0].access: must be letters from \"rwm\", not \"rwx\"");
  } catch (...) {
    cgroup.destroy();
    throw;
  }
  cgroup.destroy();
}

TEST_CASE("a failed create leaves nothing behind", "[cgroups]") {
  std::string top = "/" + unique_name("halfway");
  // The leaf collides with a control file of the parent: on v1 only in the
  // pids hierarchy, so every hierarchy before it has to be rolled back.
  bool v1_pids = read_layout().find_v1("pids") != nullptr;
  auto cg = make_cgroup(top + (v1_pids ? "/pids.max" : "/cgroup.procs"), "unused");
  auto dirs = dirs_of(*cg);
  CHECK_THROWS_WITH(cg->create(), Catch::Contains("Not a directory"));
  for (const auto& dir : dirs) CHECK_FALSE(is_dir(dir.substr(0, dir.rfind('/'))));
}

TEST_CASE("a new process lands in every hierarchy: CLONE_INTO_CGROUP and join_self", "[cgroups]") {
  std::string name = unique_name("clone");
  TestCgroup cgroup("/" + name);
  int fd = cgroup->clone_into_fd();
  auto joins = cgroup->open_self_join();
  CHECK(joins.empty() == (host_mode() == Mode::Unified));
  CHECK((fd >= 0) == (host_mode() != Mode::Legacy));
  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  clone_args args{};
  args.exit_signal = SIGCHLD;
  if (fd >= 0) {
    args.flags = CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(fd);
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      join_self(joins);
    } catch (...) {
      ::_exit(1);
    }
    (void)!::write(ready[1], "j", 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  CHECK(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  CHECK(cgroup->pids() == std::vector<pid_t>{static_cast<pid_t>(pid)});
  // Every hierarchy (each v1 one and cgroup2) has it in the new cgroup.
  for (const auto& m : parse_proc_cgroup(read_text("/proc/" + std::to_string(pid) + "/cgroup")))
    CHECK(m.path.ends_with("/" + name));
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
}
