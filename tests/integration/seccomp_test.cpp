// linux.seccomp enforced in real containers: errno rules, argument filters,
// ENOSYS for syscalls newer than the profile, `skiff spec`'s default profile,
// exec inheriting the filter, the notify listener, and bad profiles.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <sstream>
#include <thread>

#include "integration/harness.hpp"
#include "util/unix_socket.hpp"

using namespace skiff_test;

namespace {

// The static syscall_probe helper, at /bin/syscall_probe in the bundle.
void install_probe(const Bundle& b) {
  fs::copy_file(SYSCALL_PROBE, b.rootfs / "bin/syscall_probe",
                fs::copy_options::overwrite_existing);
}

std::string probe(long nr, std::vector<std::string> args = {}) {
  std::string command = "syscall_probe " + std::to_string(nr);
  for (const auto& a : args) command += " " + a;
  return command;
}

json errno_rule(std::vector<std::string> names, int err = -1) {
  json rule = {{"names", names}, {"action", "SCMP_ACT_ERRNO"}};
  if (err >= 0) rule["errnoRet"] = err;
  return rule;
}

json arg_rule(const char* name, int err, const char* op, uint64_t value, uint64_t value_two = 0) {
  json rule = errno_rule({name}, err);
  rule["args"] = {{{"index", 0}, {"value", value}, {"valueTwo", value_two}, {"op", op}}};
  return rule;
}

// linux.seccomp as `skiff spec` writes it.
json default_profile(Sandbox& sb) {
  fs::path dir = sb.dir / "spec";
  fs::create_directories(dir);
  Output out = sb.skiff({"spec", "--bundle", dir.string()});
  REQUIRE(out.exit_code == 0);
  return json::parse(read_file(dir / "config.json"))["linux"]["seccomp"];
}

// Run b, with the syscall probe installed, under `skiff spec`'s profile.
Output run_under_default_profile(Sandbox& sb, Bundle& b) {
  install_probe(b);
  b.config["linux"]["seccomp"] = default_profile(sb);
  b.save();
  return sb.run(b);
}

}  // namespace

TEST_CASE("a seccomp rule returning EPERM for mkdir makes mkdir fail", "[seccomp]") {
  Sandbox sb;
  // Both load points: before the capabilities are dropped (no no_new_privs)
  // and right before execve (no_new_privs).
  for (bool no_new_privs : {false, true}) {
    INFO("noNewPrivileges " << no_new_privs);
    Bundle b = sb.bundle({"sh", "-c", "grep '^Seccomp:' /proc/self/status; mkdir /dev/shm/x"},
                         no_new_privs ? "nnp" : "privs");
    b.config["process"]["noNewPrivileges"] = no_new_privs;
    b.config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                    {"syscalls", {errno_rule({"mkdir", "mkdirat"})}}};
    b.save();
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    CHECK(out.out.find("Seccomp:\t2") != std::string::npos);
    CHECK(out.err.find("Operation not permitted") != std::string::npos);
  }
}

TEST_CASE("every argument operator filters on its value", "[seccomp]") {
  Sandbox sb;
  Bundle b =
      sb.bundle({"sh", "-c",
                 probe(SYS_personality, {"8"}) + "; " + probe(SYS_personality, {"0xffffffff"}) +
                     "; " + probe(SYS_sched_get_priority_min, {"0"}) + "; " +
                     probe(SYS_sched_get_priority_min, {"1"}) + "; " +
                     probe(SYS_sched_rr_get_interval, {"9"}) + "; " +
                     probe(SYS_sched_rr_get_interval, {"10"}) + "; " +
                     probe(SYS_ioprio_get, {"10"}) + "; " + probe(SYS_ioprio_get, {"11"}) + "; " +
                     probe(SYS_getcpu, {"100"}) + "; " + probe(SYS_getcpu, {"99"}) + "; " +
                     probe(SYS_times, {"101"}) + "; " + probe(SYS_times, {"100"}) + "; " +
                     probe(SYS_getpriority, {"0x25"}) + "; " + probe(SYS_getpriority, {"0x15"})});
  install_probe(b);
  b.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls",
       {arg_rule("personality", EXDEV, "SCMP_CMP_EQ", 8),
        arg_rule("sched_get_priority_min", ENODEV, "SCMP_CMP_NE", 1),
        arg_rule("sched_rr_get_interval", ENOTDIR, "SCMP_CMP_LT", 10),
        arg_rule("ioprio_get", EISDIR, "SCMP_CMP_LE", 10),
        arg_rule("getcpu", ENFILE, "SCMP_CMP_GE", 100),
        arg_rule("times", EMFILE, "SCMP_CMP_GT", 100),
        arg_rule("getpriority", ENOTTY, "SCMP_CMP_MASKED_EQ", 0xf0, 0x20)}}};
  b.save();
  Output out = sb.run(b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  // One line per call: "errno N NAME" or "ok N"; the words of the matching
  // calls carry our errno, the others do not.
  std::vector<std::string> results;
  std::istringstream stream(out.out);
  for (std::string line; std::getline(stream, line);) results.push_back(line);
  REQUIRE(results.size() == 14);
  const int expected[] = {EXDEV, ENODEV, ENOTDIR, EISDIR, ENFILE, EMFILE, ENOTTY};
  for (size_t i = 0; i < 7; ++i) {
    std::string marker = "errno " + std::to_string(expected[i]) + " ";
    CAPTURE(i, results[2 * i], results[2 * i + 1]);
    CHECK(results[2 * i].rfind(marker, 0) == 0);
    CHECK(results[2 * i + 1].rfind(marker, 0) != 0);
  }
}

TEST_CASE("syscalls newer than the profile get ENOSYS, unlisted older ones the default",
          "[seccomp]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c",
                        probe(1000) + "; " + probe(462 /* mseal */, {"0", "0", "0"}) + "; " +
                            probe(SYS_sysfs, {"3"}) + "; " + probe(SYS_clone3, {"0", "0"})});
  Output out = run_under_default_profile(sb, b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  std::istringstream stream(out.out);
  std::vector<std::string> results;
  for (std::string line; std::getline(stream, line);) results.push_back(line);
  REQUIRE(results.size() == 4);
  CHECK(results[0] == "errno 38 ENOSYS");
  CHECK(results[1] == "errno 38 ENOSYS");  // exists on this kernel, unknown to the profile
  CHECK(results[2] == "errno 1 EPERM");    // sysfs: older, not allowed
  CHECK(results[3] == "errno 38 ENOSYS");  // clone3 without CAP_SYS_ADMIN: libc falls back to clone
}

TEST_CASE("skiff spec's default profile runs busybox and stops root from mounting",
          "[seccomp][spec]") {
  Sandbox sb;
  // Each denial prints NAME-eperm; unshare(CLONE_NEWUSER) needs no
  // capability, so only the filter stops it. getrandom must work (libc,
  // Rust and Go runtimes seed from it; Docker's profile allows it too).
  auto denied = [](const std::string& name, const std::string& command) {
    return command + " 2>&1 | grep -qiE 'not permitted|permission denied' && echo " + name +
           "-eperm; ";
  };
  Bundle b = sb.bundle(
      {"sh", "-c",
       "grep '^Seccomp:' /proc/self/status; echo hi | wc -c; ls / >/dev/null && echo listed; "
       "(sleep 0.1 &); wait; " +
           denied("mount", "mount -t tmpfs none /mnt") + denied("unshare-user", "unshare -U true") +
           denied("unshare-net", "unshare -n true") + probe(SYS_finit_module, {"0"}) + "; " +
           probe(SYS_getrandom, {"0", "0", "0"}) + "; echo done"});
  Output out = run_under_default_profile(sb, b);
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  for (const char* expected : {"Seccomp:\t2", "listed", "mount-eperm", "unshare-user-eperm",
                               "unshare-net-eperm", "errno 1 EPERM", "ok 0", "done"})
    CHECK(out.out.find(expected) != std::string::npos);
}

TEST_CASE("exec inherits the container's seccomp filter", "[seccomp][exec]") {
  Sandbox sb;
  const std::string id = sb.new_id("secexec");
  Bundle b = sb.bundle({"sleep", "600"});
  b.config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"syscalls", {errno_rule({"mkdir", "mkdirat"})}}};
  b.save();
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);

  Output out =
      sb.skiff({"exec", id, "sh", "-c", "grep '^Seccomp:' /proc/self/status; mkdir /dev/shm/e"});
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(out.out.find("Seccomp:\t2") != std::string::npos);
  CHECK(out.err.find("Operation not permitted") != std::string::npos);

  json process = b.config["process"];
  process["args"] = {"mkdir", "/dev/shm/p"};
  process["noNewPrivileges"] = false;
  write_file(sb.dir / "process.json", process.dump());
  out = sb.skiff({"exec", "--process", (sb.dir / "process.json").string(), id});
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(out.err.find("Operation not permitted") != std::string::npos);
  sb.skiff({"delete", "--force", id});
}

TEST_CASE("a profile that denies close_range and openat2 still starts and execs the process",
          "[seccomp][exec]") {
  // runtime-tools' profile predates close_range and openat2; skiff must not need them once
  // the filter is loaded (before the capabilities drop when noNewPrivileges
  // is false), in create/start and in exec.
  Sandbox sb;
  const std::string id = sb.new_id("noclose");
  Bundle b = sb.bundle({"sh", "-c", "echo started > /dev/shm/started; exec sleep 600"});
  b.config["process"]["noNewPrivileges"] = false;
  b.config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"syscalls", {errno_rule({"close_range", "openat2"}, ENOSYS)}}};
  b.save();
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  Output out = sb.skiff({"exec", id, "cat", "/dev/shm/started"});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.out == "started\n");
  CHECK(sb.skiff({"state", id}).out.find("\"running\"") != std::string::npos);
  sb.skiff({"delete", "--force", id});
}

namespace {

// A seccomp agent on a unix socket: keeps the state JSON of every
// connection and answers every notification on the fds it got with EXDEV.
class Agent {
 public:
  explicit Agent(fs::path socket_path) : path(std::move(socket_path)) {
    server_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(server_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(server_, 4) == 0);
    REQUIRE(::pipe2(stop_, O_CLOEXEC) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~Agent() {
    join();
    for (int fd : {server_, stop_[0], stop_[1]}) ::close(fd);
  }
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Stop serving; states and notified are complete afterwards.
  void join() {
    if (!thread_.joinable()) return;
    (void)!::write(stop_[1], "x", 1);
    thread_.join();
  }

  fs::path path;
  std::vector<json> states;
  std::vector<int> notified;  // syscall numbers

 private:
  void serve() {
    std::vector<skiff::UniqueFd> listeners;
    for (;;) {
      std::vector<pollfd> fds = {{stop_[0], POLLIN, 0}, {server_, POLLIN, 0}};
      for (const auto& l : listeners) fds.push_back({l.get(), POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 30000) <= 0 || fds[0].revents) return;
      if (fds[1].revents & POLLIN) accept_one(listeners);
      for (size_t i = 2; i < fds.size(); ++i)
        if (fds[i].revents & POLLIN) answer(fds[i].fd);
    }
  }

  void accept_one(std::vector<skiff::UniqueFd>& listeners) {
    skiff::UniqueFd connection(::accept4(server_, nullptr, nullptr, SOCK_CLOEXEC));
    char buffer[8192];
    skiff::UniqueFd fd;
    ssize_t n = skiff::receive_with_fd(connection.get(), buffer, sizeof buffer, fd);
    if (n <= 0) return;
    states.push_back(json::parse(std::string(buffer, static_cast<size_t>(n))));
    if (fd) listeners.push_back(std::move(fd));
  }

  void answer(int fd) {
    seccomp_notif request{};
    if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) return;
    notified.push_back(request.data.nr);
    seccomp_notif_resp response{};
    response.id = request.id;
    response.error = -EXDEV;
    ::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &response);
  }

  int server_ = -1;
  int stop_[2] = {-1, -1};
  std::thread thread_;
};

bool is_mkdir(int nr) { return nr == SYS_mkdir || nr == SYS_mkdirat; }

json notify_mkdir(const Agent& agent) {
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"listenerPath", agent.path.string()},
          {"listenerMetadata", "agent-metadata"},
          {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
}

}  // namespace

TEST_CASE("the notify listener receives the fd and the state", "[seccomp][notify]") {
  Sandbox sb;
  const std::string id = sb.new_id("secnotify");
  Agent agent(sb.dir / "agent.sock");
  Bundle b = sb.bundle({"sh", "-c", "mkdir /dev/shm/n; echo after"});
  b.config["linux"]["seccomp"] = notify_mkdir(agent);
  b.save();
  Output out = sb.skiff({"run", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code == 0);
  CHECK(out.err.find("Invalid cross-device link") != std::string::npos);  // the agent's answer
  CHECK(out.out.find("after") != std::string::npos);
  agent.join();
  REQUIRE(agent.notified.size() == 1);
  CHECK(is_mkdir(agent.notified[0]));
  REQUIRE(agent.states.size() == 1);
  const json& state = agent.states[0];
  CHECK(state["fds"] == json::array({"seccompFd"}));
  CHECK(state["metadata"] == "agent-metadata");
  CHECK(state["pid"].get<int>() > 0);
  CHECK(state["ociVersion"].is_string());
  CHECK(state["state"]["id"] == id);
  CHECK(state["state"]["status"] == "creating");
  CHECK(state["state"]["pid"] == state["pid"]);
  CHECK(state["state"]["bundle"] == b.dir.string());
}

TEST_CASE("an exec'd process's notify fd reaches the listener too", "[seccomp][notify][exec]") {
  Sandbox sb;
  const std::string id = sb.new_id("secnotexec");
  Agent agent(sb.dir / "agent.sock");
  Bundle b = sb.bundle({"sleep", "600"});
  b.config["linux"]["seccomp"] = notify_mkdir(agent);
  b.save();
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
  Output out = sb.skiff({"exec", id, "mkdir", "/dev/shm/x"});
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(out.err.find("Invalid cross-device link") != std::string::npos);
  sb.skiff({"delete", "--force", id});
  agent.join();
  REQUIRE(agent.states.size() == 2);
  CHECK(agent.states[0]["state"]["status"] == "creating");
  CHECK(agent.states[1]["state"]["status"] == "running");
  CHECK(agent.states[1]["pid"] !=
        agent.states[1]["state"]["pid"]);  // the exec'd process, not the init
  REQUIRE(agent.notified.size() == 1);
  CHECK(is_mkdir(agent.notified[0]));
}

TEST_CASE("exec fails cleanly when the seccomp agent is gone", "[seccomp][notify][exec]") {
  Sandbox sb;
  const std::string id = sb.new_id("secnoagent");
  auto agent = std::make_unique<Agent>(sb.dir / "agent.sock");
  Bundle b = sb.bundle({"sleep", "600"});
  b.config["linux"]["seccomp"] = notify_mkdir(*agent);
  b.save();
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
  agent.reset();  // nobody listens any more
  Output out = sb.skiff({"exec", id, "sleep", "600"}, {}, 20s);
  INFO(out.describe());
  CHECK_FALSE(out.timed_out);
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("linux.seccomp.listenerPath") != std::string::npos);
  CHECK(sb.runtime().pids(id).size() == 1);  // the exec'd process did not stay behind
  sb.skiff({"delete", "--force", id});
}

TEST_CASE("an unknown syscall name is skipped with a warning", "[seccomp]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "mkdir /dev/shm/w"});
  b.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {errno_rule({"no_such_syscall", "mkdir", "mkdirat"})}}};
  b.save();
  Output out = sb.run(b);
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(out.err.find("skiff: warning: linux.seccomp: ignoring syscalls unknown to libseccomp: "
                     "no_such_syscall") != std::string::npos);
  CHECK(out.err.find("Operation not permitted") != std::string::npos);
}

TEST_CASE("bad seccomp profiles fail naming the field and leave nothing", "[seccomp][badinput]") {
  struct Case {
    const char* name;
    json seccomp;
    const char* field;
  };
  const Case cases[] = {
      {"bad action",
       {{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOPE"}}}}},
       "linux.seccomp.syscalls[0].action"},
      {"bad operator",
       {{"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"mkdir"}},
           {"action", "SCMP_ACT_ERRNO"},
           {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ABOUT"}}}}}}}},
       "linux.seccomp.syscalls[0].args[0].op"},
      {"bad architecture",
       {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_X86", "SCMP_ARCH_VAX"}}},
       "linux.seccomp.architectures[1]"},
      {"errnoRet out of range",
       {{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 100000}},
       "linux.seccomp.defaultErrnoRet"},
  };
  for (const auto& c : cases) {
    Sandbox sb;
    INFO(c.name);
    const std::string id = sb.new_id("badsec");
    Bundle b = sb.bundle({"sh", "-c", "sleep 600; true", id});
    b.config["linux"]["seccomp"] = c.seccomp;
    b.save();
    Output out = sb.skiff({"run", "--bundle", b.dir.string(), id}, {}, 20s);
    INFO(out.describe());
    CHECK(out.exit_code != 0);
    CHECK(out.err_lines().size() == 1);
    CHECK(out.err.find(c.field) != std::string::npos);
    CHECK_NO_LEFTOVERS(sb, id);
    CHECK(sb.skiff({"state", id}).exit_code != 0);
  }
}
