// Signal forwarding for foreground `run` and `exec`, like runc's signal
// handler: what the terminal or a supervisor sends to skiff goes on to the
// container's process.
//
// The library waits for the process itself and hands us its pid through a
// callback once it runs. A signal handler has no context argument, so the two
// values it needs live in this file, set and cleared by the SignalForwarder.
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

constexpr std::array kForwarded{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

volatile sig_atomic_t g_target = 0;
// Signals that came before the process existed, one bit per kForwarded entry:
// delivered as soon as it does.
volatile sig_atomic_t g_pending = 0;
volatile pid_t g_owner = 0;
std::array<struct sigaction, kForwarded.size()> g_previous{};

void forward(int sig) {
  const int saved_errno = errno;
  if (getpid() != g_owner) {
    // A child of ours that has not exec'd yet (the container's init before
    // start): behave as if we had never been here.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  } else if (g_target > 0) {
    ::kill(g_target, sig);
  } else {
    for (std::size_t i = 0; i < kForwarded.size(); ++i)
      if (kForwarded[i] == sig) g_pending = g_pending | (1 << i);
  }
  errno = saved_errno;
}

}  // namespace

SignalForwarder::SignalForwarder() {
  g_target = 0;
  g_pending = 0;
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
  g_target = 0;
}

void SignalForwarder::forward_to(pid_t pid) {
  // Blocked while we switch over, so no signal falls between pending and target.
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int sig : kForwarded) sigaddset(&forwarded, sig);
  ::sigprocmask(SIG_BLOCK, &forwarded, &previous);
  g_target = pid;
  for (std::size_t i = 0; i < kForwarded.size(); ++i)
    if (g_pending & (1 << i)) ::kill(pid, kForwarded[i]);
  g_pending = 0;
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
}

}  // namespace skiff::cli
