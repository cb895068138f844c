// The serving shim: one epoll loop over the ttrpc socket, a signalfd for
// SIGCHLD (it is a child subreaper) and the stdio copies.
#pragma once

#include <string>

#include "shim/manager.hpp"
#include "util/fd.hpp"

namespace skiff::shim {

// Serve until Shutdown with no container left (or SIGTERM); returns the exit
// status. socket_path is removed on the way out.
int serve(const ShimFlags& flags, UniqueFd listener, const std::string& socket_path);

}  // namespace skiff::shim
