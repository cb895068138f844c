// Foreground `run` of a container with a terminal and no console socket:
// we receive the pty master ourselves and copy between it and our stdio.
#pragma once

#include <string>

#include "util/fd.hpp"

namespace skiff::runtime {

// Connect to a --console-socket path (it will receive the pty master).
UniqueFd connect_console_socket(const std::string& path);

// Receive one fd sent with SCM_RIGHTS.
UniqueFd receive_fd(int socket);

// Copy stdin -> master and master -> stdout until the container side of the
// pty is closed. Puts our terminal in raw mode meanwhile when stdin is one.
void proxy_console(int master);

}  // namespace skiff::runtime
