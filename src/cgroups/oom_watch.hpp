// OOM notification fds: readable when the kernel may have OOM-killed in a cgroup.
// v2 watches memory.events with inotify (the counters live there); v1 registers
// an eventfd for memory.oom_control through cgroup.event_control.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace skiff::cgroups {

// inotify on dir/memory.events (IN_MODIFY); invalid when the file is missing.
UniqueFd watch_memory_events(const std::string& dir);
// An eventfd signalled on each OOM in the v1 memory cgroup dir; invalid when
// the cgroup has no memory.oom_control.
UniqueFd watch_oom_control(const std::string& dir);
// Consume what made the fd readable (non-blocking fds only).
void drain(int fd) noexcept;

}  // namespace skiff::cgroups
