// Foreground `run` of a container with a terminal and no console socket:
// we receive the pty master ourselves and copy between it and our stdio.
#pragma once

#include "util/fd.hpp"

namespace skiff::runtime {

// Receive one fd sent with SCM_RIGHTS.
UniqueFd receive_fd(int socket);

// Copy stdin -> master and master -> stdout until the container side of the
// pty is closed. Puts our terminal in raw mode meanwhile when stdin is one.
void proxy_console(int master);

}  // namespace skiff::runtime
