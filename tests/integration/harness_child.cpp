// Child: a command run by the tests with its stdio captured and a deadline.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "integration/harness.hpp"

namespace skiff_test {

// ---------------------------------------------------------------- Child

Child::Child(const Command& command) : deadline_(std::chrono::steady_clock::now() + command.timeout) {
  int out[2], err[2], in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) fail_errno("pipe2");
  if (command.input && pipe2(in, O_CLOEXEC)) fail_errno("pipe2");

  std::vector<char*> argv;
  for (const auto& arg : command.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int nfds = static_cast<int>(command.fds.size());

  pid_ = fork();
  if (pid_ < 0) fail_errno("fork");
  if (pid_ == 0) {
    setpgid(0, 0);
    int stdin_fd = command.input ? in[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
    // Move passed fds out of the way first so dup2 below cannot clobber them.
    std::vector<int> moved;
    for (int fd : command.fds) moved.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 1000));
    dup2(stdin_fd, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int i = 0; i < nfds; ++i) dup2(moved[i], 3 + i);  // dup2 clears CLOEXEC
    syscall(SYS_close_range, 3 + nfds, ~0U, 0);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_ = out[0];
  err_ = err[0];
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (command.input) {
    close(in[0]);
    // Small inputs only: the pipe buffer holds them without blocking.
    signal(SIGPIPE, SIG_IGN);
    const std::string& data = *command.input;
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = write(in[1], data.data() + done, data.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(in[1]);
  }
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      out_(std::exchange(other.out_, -1)),
      err_(std::exchange(other.err_, -1)),
      deadline_(other.deadline_) {}

Child::~Child() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  for (int fd : {pidfd_, out_, err_})
    if (fd >= 0) close(fd);
}

Output Child::wait() {
  Output result;
  if (pid_ <= 0) return result;
  auto drain = [](int& fd, std::string& into, bool until_eagain) {
    char buf[65536];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        into.append(buf, static_cast<size_t>(n));
        if (!until_eagain) return;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || !until_eagain || errno != EAGAIN) {
        close(fd);
        fd = -1;
      }
      return;
    }
  };
  bool exited = false;
  while (!exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      break;
    }
    pollfd fds[3] = {{pidfd_, POLLIN, 0}, {out_, POLLIN, 0}, {err_, POLLIN, 0}};
    int n = poll(fds, 3, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) fail_errno("poll");
    if (n <= 0) continue;
    if (fds[1].revents) drain(out_, result.out, false);
    if (fds[2].revents) drain(err_, result.err, false);
    if (fds[0].revents) exited = true;
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  // The process is gone; take what is buffered without waiting for EOF, since
  // a detached container may still hold the write ends.
  for (auto [fd, into] : {std::pair{&out_, &result.out}, std::pair{&err_, &result.err}}) {
    if (*fd < 0) continue;
    fcntl(*fd, F_SETFL, O_NONBLOCK);
    drain(*fd, *into, true);
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

Output run_command(const Command& command) { return Child(command).wait(); }

}  // namespace skiff_test
