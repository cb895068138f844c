#include "shim/serve.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdlib>

#include "shim/event_loop.hpp"
#include "shim/idle.hpp"
#include "shim/publisher.hpp"
#include "shim/server.hpp"
#include "shim/task_service.hpp"
#include "util/error.hpp"

namespace skiff::shim {

namespace {

// How long the loop stays quiet before the shim gives memory back.
constexpr int kIdleMs = 1000;

// stdin/stdout to /dev/null (containerd waits for EOF on the start
// action's output); stderr to the bundle's "log" fifo containerd reads, if any.
void detach_stdio(const std::string& bundle) {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd log(::open((bundle + "/log").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (log) ::fcntl(log.get(), F_SETFL, O_WRONLY);
  ::dup2(null.get(), STDIN_FILENO);
  ::dup2(null.get(), STDOUT_FILENO);
  ::dup2(log ? log.get() : null.get(), STDERR_FILENO);
}

void log_line(LogLevel level, std::string_view message) {
  static constexpr const char* kLevels[] = {"debug", "info", "warning", "error"};
  std::string line = std::string("level=") + kLevels[static_cast<int>(level)] + " msg=\"" + std::string(message) + "\"\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

UniqueFd signal_fd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) throw_errno("sigprocmask");
  UniqueFd fd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd) throw_errno("signalfd");
  return fd;
}

std::string events_address(const ShimFlags& flags) {
  const char* env = std::getenv("TTRPC_ADDRESS");
  if (env && *env) return env;
  return flags.address.empty() ? "" : flags.address + ".ttrpc";
}

}  // namespace

int serve(const ShimFlags& flags, UniqueFd listener, const std::string& socket_path) {
  detach_stdio(flags.bundle);
  try {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    ::signal(SIGPIPE, SIG_IGN);
    Runtime runtime({.root = runtime_root(flags.ns), .log = log_line});
    EventLoop loop;
    Publisher publisher(loop, events_address(flags), flags.ns);
    TaskService service(loop, publisher, runtime);
    Server server(loop, std::move(listener));
    service.register_handlers(server);
    server.after_request = [&] {
      if (!service.should_exit()) return;
      ::unlink(socket_path.c_str());  // no container of the pod joins a shim on its way out
      server.close_listener();
      loop.stop();
    };
    UniqueFd signals = signal_fd();
    loop.add(signals.get(), EPOLLIN, [&](uint32_t) {
      signalfd_siginfo info;
      bool terminate = false;
      while (::read(signals.get(), &info, sizeof info) == sizeof info)
        if (info.ssi_signo != SIGCHLD) terminate = true;
      reap_children(service);
      if (terminate) loop.stop();
    });
    loop.on_idle(kIdleMs, [] { release_idle_memory(); });
    loop.run();
    publisher.drain();
  } catch (const std::exception& e) {
    log_line(LogLevel::Error, e.what());
    ::unlink(socket_path.c_str());
    return 1;
  }
  ::unlink(socket_path.c_str());
  return 0;
}

}  // namespace skiff::shim
