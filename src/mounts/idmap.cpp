#include "mounts/idmap.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "util/error.hpp"

namespace skiff::mounts {
namespace {

std::string map_text(const std::vector<oci::IdMapping>& maps) {
  std::string text;
  for (const auto& m : maps)
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  return text;
}

void write_file(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw_errno("write " + path);
}

// The child: enter a new user namespace, report its pid as /proc sees it
// (we may be in a pid namespace /proc does not belong to), wait for EOF.
[[noreturn]] void hold_userns(int report_fd, int release_fd) {
  int pid = -1;
  char buf[32] = {};
  if (unshare(CLONE_NEWUSER) == 0 && readlink("/proc/self", buf, sizeof(buf) - 1) > 0)
    pid = std::atoi(buf);
  if (::write(report_fd, &pid, sizeof(pid)) != sizeof(pid)) _exit(1);
  while (::read(release_fd, buf, 1) > 0) {
  }
  _exit(0);
}

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe");
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

}  // namespace

UniqueFd make_userns(const std::vector<oci::IdMapping>& uids,
                     const std::vector<oci::IdMapping>& gids) {
  if (uids.empty() || gids.empty())
    throw_error("idmap", "both uidMappings and gidMappings are required");
  Pipe report, release;
  pid_t child = fork();
  if (child < 0) throw_errno("fork");
  if (child == 0) {
    ::close(release.write.release());  // or it would never see EOF
    hold_userns(report.write.get(), release.read.get());
  }
  report.write.reset();
  release.read.reset();

  auto reap = [&] {
    release.write.reset();
    waitpid(child, nullptr, 0);
  };
  try {
    int pid = -1;
    if (::read(report.read.get(), &pid, sizeof(pid)) != sizeof(pid) || pid <= 0)
      throw_error("idmap", "could not create a user namespace");
    std::string proc = "/proc/" + std::to_string(pid);
    write_file(proc + "/uid_map", map_text(uids));
    write_file(proc + "/gid_map", map_text(gids));
    UniqueFd ns(::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("open " + proc + "/ns/user");
    reap();
    return ns;
  } catch (...) {
    reap();
    throw;
  }
}

}  // namespace skiff::mounts
