#include "shim/event_loop.hpp"

#include <sys/epoll.h>

#include "util/error.hpp"

namespace skiff::shim {

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw_errno("epoll_create1");
}

void EventLoop::add(int fd, uint32_t events, Callback callback) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) throw_errno("epoll_ctl(ADD)");
  callbacks_[fd] = std::move(callback);
}

void EventLoop::modify(int fd, uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) != 0) throw_errno("epoll_ctl(MOD)");
}

void EventLoop::remove(int fd) {
  if (callbacks_.erase(fd) == 0) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::on_idle(int quiet_ms, std::function<void()> callback) {
  idle_ms_ = quiet_ms;
  idle_ = std::move(callback);
  busy_since_idle_ = true;
}

void EventLoop::run() {
  running_ = true;
  while (running_) {
    bool waiting_for_quiet = idle_ && busy_since_idle_;
    if (run_once(waiting_for_quiet ? idle_ms_ : -1)) {
      busy_since_idle_ = true;
    } else if (waiting_for_quiet) {
      busy_since_idle_ = false;
      idle_();
    }
  }
}

bool EventLoop::run_once(int timeout_ms) {
  epoll_event events[16];
  int n = ::epoll_wait(epoll_.get(), events, 16, timeout_ms);
  if (n < 0 && errno == EINTR) return false;
  if (n < 0) throw_errno("epoll_wait");
  for (int i = 0; i < n; ++i) {
    // A previous callback may have removed (and closed) this fd.
    auto it = callbacks_.find(events[i].data.fd);
    if (it == callbacks_.end()) continue;
    Callback callback = it->second;  // a copy: the callback may remove itself
    callback(events[i].events);
  }
  return n > 0;
}

}  // namespace skiff::shim
