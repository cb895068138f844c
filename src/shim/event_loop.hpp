// A single-threaded epoll loop: the shim's only thread waits here for ttrpc
// connections, child exits (signalfd) and stdio copies.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "util/fd.hpp"

namespace skiff::shim {

class EventLoop {
 public:
  using Callback = std::function<void(uint32_t events)>;

  EventLoop();

  // Watch fd (EPOLLIN, EPOLLOUT, ...); the callback runs on each readiness.
  void add(int fd, uint32_t events, Callback callback);
  void modify(int fd, uint32_t events);
  // Stop watching fd (safe from inside a callback, also for fd itself).
  void remove(int fd);
  [[nodiscard]] bool watching(int fd) const { return callbacks_.count(fd) != 0; }

  // Once the loop has been quiet for quiet_ms after dispatching events, call
  // callback (once per quiet spell; the shim gives memory back then).
  void on_idle(int quiet_ms, std::function<void()> callback);

  // Dispatch events until stop() is called.
  void run();
  // Dispatch what is ready within timeout_ms; false when nothing was.
  bool run_once(int timeout_ms);
  void stop() { running_ = false; }

 private:
  UniqueFd epoll_;
  std::map<int, Callback> callbacks_;
  bool running_ = false;
  int idle_ms_ = -1;
  std::function<void()> idle_;
  bool busy_since_idle_ = false;  // events came since idle_ last ran
};

}  // namespace skiff::shim
