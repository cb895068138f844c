// Signal forwarding for foreground `run` and `exec`, like runc's signal
// handler: what the terminal or a supervisor sends to skiff goes on to the
// container's process.
//
// The library waits for the process itself and only tells us its pid through
// the pid file, so the handler reads that file (open/read/kill are
// async-signal-safe). A signal handler has no context argument; the two values
// it needs live in this file, set and cleared by the SignalForwarder that
// installed it.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {
namespace {

constexpr std::array kForwarded{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

std::array<char, 4096> g_pid_file{};
volatile pid_t g_owner = 0;
std::array<struct sigaction, kForwarded.size()> g_previous{};

pid_t read_pid(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::array<char, 32> buf{};
  const ssize_t n = ::read(fd, buf.data(), buf.size() - 1);
  ::close(fd);
  pid_t pid = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) pid = pid * 10 + (buf[i] - '0');
  return pid;
}

void forward(int sig) {
  const int saved_errno = errno;
  if (getpid() != g_owner) {
    // A child of ours that has not exec'd yet (the container's init before
    // start): behave as if we had never been here.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  } else if (const pid_t pid = read_pid(g_pid_file.data()); pid > 0) {
    ::kill(pid, sig);
  }
  errno = saved_errno;
}

}  // namespace

SignalForwarder::SignalForwarder(const std::string& pid_file) {
  if (pid_file.size() >= g_pid_file.size()) throw_error(pid_file, "pid file path too long");
  std::memcpy(g_pid_file.data(), pid_file.c_str(), pid_file.size() + 1);
  g_owner = getpid();
  struct sigaction action{};
  action.sa_handler = forward;
  action.sa_flags = SA_RESTART;  // the library's waits must not see EINTR
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < kForwarded.size(); ++i) sigaction(kForwarded[i], &action, &g_previous[i]);
}

SignalForwarder::~SignalForwarder() {
  for (std::size_t i = 0; i < kForwarded.size(); ++i) sigaction(kForwarded[i], &g_previous[i], nullptr);
  g_owner = 0;
}

}  // namespace skiff::cli
