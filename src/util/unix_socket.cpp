#include "util/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "util/error.hpp"

namespace skiff {

UniqueFd connect_unix(const std::string& path, std::string_view what) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    throw_error(std::string(what) + " " + path, "path too long");
  path.copy(address.sun_path, path.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno(std::string(what) + ": socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw_errno(std::string(what) + " " + path);
  return fd;
}

namespace {

// A message over one buffer with room for one fd.
struct FdMessage {
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};

  FdMessage(void* data, size_t size) : iov{data, size} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
};

}  // namespace

void send_with_fd(int socket, std::string_view data, int fd, std::string_view what) {
  char zero = 0;
  FdMessage message(data.empty() ? &zero : const_cast<char*>(data.data()),
                    data.empty() ? 1 : data.size());
  cmsghdr* cmsg = CMSG_FIRSTHDR(&message.msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(socket, &message.msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno(what);
  if (static_cast<size_t>(n) < message.iov.iov_len) throw_error(what, "short write");
}

ssize_t receive_with_fd(int socket, void* data, size_t size, UniqueFd& fd) {
  FdMessage message(data, size);
  ssize_t n;
  do {
    n = ::recvmsg(socket, &message.msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return n;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&message.msg); cmsg; cmsg = CMSG_NXTHDR(&message.msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    int received;
    std::memcpy(&received, CMSG_DATA(cmsg), sizeof received);
    fd.reset(received);
  }
  return n;
}

}  // namespace skiff
