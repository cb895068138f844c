// Process I/O: --pid-file, --preserve-fds, and terminals via --console-socket.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// A listening AF_UNIX socket, like the one containerd hands runc.
Fd listen_unix(const fs::path& path) {
  Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(sock.fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(path.string().size() < sizeof addr.sun_path);
  std::strcpy(addr.sun_path, path.c_str());
  REQUIRE(bind(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(sock.fd, 1) == 0);
  return sock;
}

// Accept one connection and receive one fd with SCM_RIGHTS (-1 on timeout).
Fd receive_fd(const Fd& listener, int timeout_ms) {
  pollfd p{listener.fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return Fd();
  Fd conn(accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (conn.fd < 0) return Fd();
  char data[256];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  pollfd c{conn.fd, POLLIN, 0};
  if (poll(&c, 1, timeout_ms) != 1) return Fd();
  if (recvmsg(conn.fd, &msg, MSG_CMSG_CLOEXEC) < 0) return Fd();
  for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(h), sizeof fd);
      return Fd(fd);
    }
  }
  return Fd();
}

// Read a pty master until the other side hangs up (EIO) or the time is up.
std::string read_until_hangup(int fd, int timeout_ms) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;  // EIO: the slave side is closed
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

std::string without_cr(std::string text) {
  std::erase(text, '\r');
  return text;
}

}  // namespace

TEST_CASE("create --pid-file writes the init's pid", "[io][pidfile]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.save();
  const std::string id = sb.new_id("pidfile");
  fs::path pid_file = sb.dir / "init.pid";
  Output out = sb.skiff({"create", "--pid-file", pid_file.string(), "--bundle", b.dir.string(), id});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  REQUIRE(fs::exists(pid_file));
  CHECK(std::stoi(trim(read_file(pid_file))) == sb.state(id).value("pid", -1));
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
}

TEST_CASE("run -d --pid-file writes the running process's pid", "[io][pidfile]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.save();
  const std::string id = sb.new_id("pidfile");
  fs::path pid_file = sb.dir / "run.pid";
  Output out = sb.skiff({"run", "-d", "--pid-file", pid_file.string(), "--bundle", b.dir.string(), id});
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  int pid = std::stoi(trim(read_file(pid_file)));
  CHECK(read_file("/proc/" + std::to_string(pid) + "/comm") == "sleep\n");
  REQUIRE(sb.skiff({"delete", "--force", id}).exit_code == 0);
}

TEST_CASE("--preserve-fds passes exactly fds 3..3+N-1", "[io][fds]") {
  Sandbox sb;
  fs::path f3 = sb.dir / "fd3", f4 = sb.dir / "fd4", f5 = sb.dir / "fd5";
  Fd a(open(f3.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  Fd c(open(f4.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  Fd d(open(f5.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  REQUIRE((a.fd >= 0 && c.fd >= 0 && d.fd >= 0));
  Bundle b = sb.bundle(
      {"sh", "-c",
       "echo three >&3; echo four >&4; "
       "if [ -e /proc/self/fd/5 ]; then echo leak5; else echo no5; fi"});
  b.save();
  SECTION("with --preserve-fds 2") {
    Output out = sb.skiff({"run", "--preserve-fds", "2", "--bundle", b.dir.string(),
                           sb.new_id("fds")},
                          {}, 30s, {a.fd, c.fd, d.fd});
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "no5\n");
    CHECK(read_file(f3) == "three\n");
    CHECK(read_file(f4) == "four\n");
    CHECK(read_file(f5).empty());
  }
  SECTION("without --preserve-fds no extra fd gets in") {
    Bundle b2 = sb.bundle(
        {"sh", "-c",
         "for n in 3 4 5 6 7 8 9; do [ -e /proc/self/fd/$n ] && echo leak$n; done; echo done"});
    b2.save();
    Output out = sb.skiff({"run", "--bundle", b2.dir.string(), sb.new_id("nofds")}, {}, 30s,
                          {a.fd, c.fd, d.fd});
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "done\n");
  }
}

TEST_CASE("terminal: the console socket receives the pty master", "[io][tty]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "echo tty-ok; tty; stty size; [ -t 0 ] && echo stdin-tty"});
  b.config["process"]["terminal"] = true;
  b.config["process"]["consoleSize"] = {{"height", 30}, {"width", 100}};
  b.save();
  const std::string id = sb.new_id("tty");
  fs::path socket_path = sb.dir / "console.sock";
  Fd listener = listen_unix(socket_path);

  Child create = sb.skiff_async(
      {"create", "--console-socket", socket_path.string(), "--bundle", b.dir.string(), id});
  Fd master = receive_fd(listener, 15000);
  Output created = create.wait();
  INFO(created.describe());
  REQUIRE(created.exit_code == 0);
  REQUIRE(master.fd >= 0);
  // It really is a pty master.
  struct stat st {};
  REQUIRE(fstat(master.fd, &st) == 0);
  CHECK(S_ISCHR(st.st_mode));

  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  std::string text = without_cr(read_until_hangup(master.fd, 10000));
  INFO(text);
  CHECK(text.find("tty-ok\n") != std::string::npos);
  CHECK(text.find("/dev/pts/0\n") != std::string::npos);
  CHECK(text.find("30 100\n") != std::string::npos);
  CHECK(text.find("stdin-tty\n") != std::string::npos);
  CHECK(sb.wait_for_status(id, "stopped"));
  CHECK(sb.skiff({"delete", id}).exit_code == 0);
}

TEST_CASE("terminal input reaches the container", "[io][tty]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sh", "-c", "read line; echo \"got:$line\""});
  b.config["process"]["terminal"] = true;
  b.save();
  const std::string id = sb.new_id("ttyin");
  fs::path socket_path = sb.dir / "console.sock";
  Fd listener = listen_unix(socket_path);
  Child create = sb.skiff_async(
      {"create", "--console-socket", socket_path.string(), "--bundle", b.dir.string(), id});
  Fd master = receive_fd(listener, 15000);
  REQUIRE(create.wait().exit_code == 0);
  REQUIRE(master.fd >= 0);
  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  const char input[] = "ahoy\n";
  REQUIRE(write(master.fd, input, sizeof input - 1) == static_cast<ssize_t>(sizeof input - 1));
  std::string text = without_cr(read_until_hangup(master.fd, 10000));
  INFO(text);
  CHECK(text.find("got:ahoy\n") != std::string::npos);
  CHECK(sb.skiff({"delete", "--force", id}).exit_code == 0);
}

TEST_CASE("exec --tty --console-socket", "[io][tty][lifecycle]") {
  Sandbox sb;
  Bundle b = sb.bundle({"sleep", "600"});
  b.save();
  const std::string id = sb.new_id("exectty");
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
  fs::path socket_path = sb.dir / "exec.sock";
  Fd listener = listen_unix(socket_path);
  Child exec = sb.skiff_async({"exec", "--tty", "--detach", "--console-socket",
                               socket_path.string(), id, "sh", "-c", "tty; echo exec-tty"});
  Fd master = receive_fd(listener, 15000);
  Output out = exec.wait();
  INFO(out.describe());
  REQUIRE(out.exit_code == 0);
  REQUIRE(master.fd >= 0);
  std::string text = without_cr(read_until_hangup(master.fd, 10000));
  INFO(text);
  CHECK(text.find("/dev/pts/") != std::string::npos);
  CHECK(text.find("exec-tty\n") != std::string::npos);
  CHECK(sb.skiff({"delete", "--force", id}).exit_code == 0);
}

TEST_CASE("terminal: true without a console socket is refused for create", "[io][tty][badinput]") {
  Sandbox sb;
  Bundle b = sb.bundle({"true"});
  b.config["process"]["terminal"] = true;
  b.save();
  const std::string id = sb.new_id("nosock");
  Output out = sb.skiff({"create", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.err.find("console") != std::string::npos);
  CHECK_NO_LEFTOVERS(sb, id);
}
