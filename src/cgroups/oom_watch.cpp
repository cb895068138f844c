#include "cgroups/oom_watch.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

#include "cgroups/files.hpp"
#include "util/error.hpp"

namespace skiff::cgroups {

UniqueFd watch_memory_events(const std::string& dir) {
  std::string path = join_path(dir, "memory.events");
  UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) throw_errno("inotify_init1 for " + path);
  if (::inotify_add_watch(fd.get(), path.c_str(), IN_MODIFY) < 0) {
    if (errno == ENOENT) return UniqueFd();
    throw_errno("watching " + path);
  }
  return fd;
}

UniqueFd watch_oom_control(const std::string& dir) {
  std::string path = join_path(dir, "memory.oom_control");
  UniqueFd control(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!control && errno == ENOENT) return UniqueFd();
  if (!control) throw_errno("opening " + path);
  UniqueFd event(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!event) throw_errno("eventfd for " + path);
  // The kernel keeps its own reference to the control file once registered.
  std::string request = std::to_string(event.get()) + " " + std::to_string(control.get());
  if (int err = try_write(dir, "cgroup.event_control", request))
    throw_errno("registering " + path + " in cgroup.event_control", err);
  return event;
}

void drain(int fd) noexcept {
  char buffer[4096];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
}

}  // namespace skiff::cgroups
