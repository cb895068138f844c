#include "shim/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "ttrpc.pb.h"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::shim {

namespace {

int64_t now_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1000000;
}

UniqueFd connect_to(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) throw Error("socket path too long: " + socket_path);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw_errno("connect " + socket_path);
  return fd;
}

void send_all(int fd, const std::string& data, const std::string& what) {
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("sending " + what);
    sent += static_cast<size_t>(n);
  }
}

// The response frame to stream 1, waiting at most until deadline_ms.
ttrpc::Frame receive_response(int fd, int64_t deadline_ms, const std::string& what) {
  ttrpc::FrameReader reader;
  char buffer[4096];
  for (;;) {
    while (auto frame = reader.next())
      if (frame->stream_id == 1 && frame->type == static_cast<uint8_t>(ttrpc::MessageType::Response)) return *frame;
    int64_t left = deadline_ms - now_ms();
    pollfd p{fd, POLLIN, 0};
    int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_errno("waiting for " + what);
    if (ready == 0) throw Error(what + ": no answer in time");
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading " + what);
    if (n == 0) throw Error(what + ": the shim closed the connection");
    reader.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

std::string call(const std::string& socket_path, const std::string& service, const std::string& method,
                 const std::string& payload, int timeout_ms) {
  std::string what = service + "/" + method + " at " + socket_path;
  int64_t deadline = now_ms() + timeout_ms;
  UniqueFd fd = connect_to(socket_path);
  ::ttrpc::Request request;
  request.set_service(service);
  request.set_method(method);
  request.set_payload(payload);
  send_all(fd.get(), ttrpc::encode_frame(1, ttrpc::MessageType::Request, request.SerializeAsString()), what);
  ttrpc::Frame frame = receive_response(fd.get(), deadline, what);
  ::ttrpc::Response response;
  if (frame.oversized || !response.ParseFromString(frame.payload)) throw Error(what + ": malformed response");
  if (response.has_status() && response.status().code() != 0)
    throw ttrpc::RpcError(static_cast<ttrpc::Code>(response.status().code()), response.status().message());
  return response.payload();
}

}  // namespace skiff::shim
