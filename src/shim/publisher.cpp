#include "shim/publisher.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "containerd/events.pb.h"
#include "shim/timestamps.hpp"
#include "ttrpc.pb.h"

namespace skiff::shim {

namespace {

constexpr const char* kEventsService = "containerd.services.events.ttrpc.v1.Events";

std::string socket_path(const std::string& address) {
  constexpr std::string_view prefix = "unix://";
  if (address.compare(0, prefix.size(), prefix) == 0) return address.substr(prefix.size());
  return address;
}

}  // namespace

Publisher::Publisher(EventLoop& loop, std::string address, std::string ns)
    : loop_(loop), address_(socket_path(address)), namespace_(std::move(ns)) {}

Publisher::~Publisher() {
  if (socket_) loop_.remove(socket_.get());
}

bool Publisher::connect() {
  if (socket_) return true;
  if (address_.empty()) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (address_.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, address_.c_str(), address_.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  socket_ = std::move(fd);
  loop_.add(socket_.get(), EPOLLIN, [this](uint32_t events) { on_event(events); });
  return true;
}

void Publisher::publish(const std::string& topic, const std::string& type_name,
                        const google::protobuf::MessageLite& event) {
  ::containerd::events::ForwardRequest forward;
  auto* envelope = forward.mutable_envelope();
  *envelope->mutable_timestamp() = now_timestamp();
  envelope->set_namespace_(namespace_);
  envelope->set_topic(topic);
  envelope->mutable_event()->set_type_url(type_name);
  envelope->mutable_event()->set_value(event.SerializeAsString());

  ::ttrpc::Request request;
  request.set_service(kEventsService);
  request.set_method("Forward");
  request.set_payload(forward.SerializeAsString());
  output_ += ttrpc::encode_frame(next_stream_, ttrpc::MessageType::Request, request.SerializeAsString());
  next_stream_ += 2;  // client streams are odd
  if (connect()) flush();
}

void Publisher::flush() {
  while (!output_.empty()) {
    ssize_t n = ::send(socket_.get(), output_.data(), output_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      // containerd went away: drop the socket, keep the events for a reconnect.
      loop_.remove(socket_.get());
      socket_.reset();
      return;
    }
    output_.erase(0, static_cast<size_t>(n));
  }
  loop_.modify(socket_.get(), output_.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

void Publisher::on_event(uint32_t events) {
  if (events & EPOLLOUT) flush();
  if (!socket_ || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  char buffer[4096];
  ssize_t n = ::read(socket_.get(), buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    loop_.remove(socket_.get());
    socket_.reset();
    return;
  }
  // containerd's answers carry nothing we act on; keep the reader in sync.
  replies_.append(buffer, static_cast<size_t>(n));
  while (replies_.next()) {
  }
}

void Publisher::drain() {
  for (int attempt = 0; attempt < 100 && !output_.empty(); ++attempt) {
    if (!connect()) return;
    flush();
    if (output_.empty() || !socket_) break;
    pollfd p{socket_.get(), POLLOUT, 0};
    ::poll(&p, 1, 50);
  }
}

}  // namespace skiff::shim
