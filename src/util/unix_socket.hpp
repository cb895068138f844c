// AF_UNIX helpers: connecting to a path and passing fds (SCM_RIGHTS).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace skiff {

// A SOCK_STREAM connection to path; errors are prefixed with `what`.
UniqueFd connect_unix(const std::string& path, std::string_view what);

// One sendmsg carrying data (at least one byte is sent) and fd.
void send_with_fd(int socket, std::string_view data, int fd, std::string_view what);

// One recvmsg into data; an attached fd (SCM_RIGHTS, close-on-exec) lands in
// fd. Returns what recvmsg returned (retrying EINTR); errno is kept.
ssize_t receive_with_fd(int socket, void* data, size_t size, UniqueFd& fd);

}  // namespace skiff
