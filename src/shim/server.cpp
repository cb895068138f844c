#include "shim/server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ttrpc.pb.h"

namespace skiff::shim {

struct Server::Connection {
  uint64_t id = 0;
  UniqueFd fd;
  ttrpc::FrameReader reader;
  std::string output;  // what the socket did not take yet
};

void Responder::reply(const std::string& payload) const {
  server_->send(connection_, stream_, ttrpc::response_ok(payload));
}

void Responder::fail(ttrpc::Code code, const std::string& message) const {
  server_->send(connection_, stream_, ttrpc::response_error(code, message));
}

Server::Server(EventLoop& loop, UniqueFd listener) : loop_(loop), listener_(std::move(listener)) {
  loop_.add(listener_.get(), EPOLLIN, [this](uint32_t) { accept_connections(); });
}

Server::~Server() {
  close_listener();
  for (auto& [id, connection] : connections_) loop_.remove(connection->fd.get());
}

void Server::handle(const std::string& service, const std::string& method, Handler handler) {
  handlers_["/" + service + "/" + method] = std::move(handler);
}

void Server::close_listener() {
  if (!listener_) return;
  loop_.remove(listener_.get());
  listener_.reset();
}

namespace {

// Only our own uid may talk to the shim (containerd runs as it).
bool peer_is_same_user(int fd) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return false;
  return cred.uid == ::geteuid();
}

}  // namespace

void Server::accept_connections() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;  // EAGAIN, or a transient error: the listener stays watched
    if (!peer_is_same_user(fd.get())) continue;
    auto connection = std::make_unique<Connection>();
    connection->id = next_connection_++;
    connection->fd = std::move(fd);
    uint64_t id = connection->id;
    int raw = connection->fd.get();
    connections_[id] = std::move(connection);
    loop_.add(raw, EPOLLIN, [this, id](uint32_t events) {
      auto it = connections_.find(id);
      if (it == connections_.end()) return;
      if (events & EPOLLOUT) flush(*it->second);
      if (connections_.count(id) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(*it->second);
    });
  }
}

void Server::on_readable(Connection& connection) {
  char buffer[16384];
  ssize_t n = ::read(connection.fd.get(), buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    drop(connection.id);
    return;
  }
  connection.reader.append(buffer, static_cast<size_t>(n));
  uint64_t id = connection.id;
  while (connections_.count(id)) {
    auto frame = connection.reader.next();
    if (!frame) break;
    dispatch(connection, *frame);
    if (after_request) after_request();
  }
}

void Server::dispatch(Connection& connection, const ttrpc::Frame& frame) {
  if (frame.type != static_cast<uint8_t>(ttrpc::MessageType::Request)) return;  // no streams here
  if (frame.oversized) {
    send(connection.id, frame.stream_id,
         ttrpc::response_error(ttrpc::Code::ResourceExhausted, "message larger than 4 MiB"));
    return;
  }
  ::ttrpc::Request request;
  if (!request.ParseFromString(frame.payload)) {
    send(connection.id, frame.stream_id,
         ttrpc::response_error(ttrpc::Code::InvalidArgument, "malformed ttrpc request"));
    return;
  }
  std::string name = "/" + request.service() + "/" + request.method();
  auto handler = handlers_.find(name);
  if (handler == handlers_.end()) {
    send(connection.id, frame.stream_id,
         ttrpc::response_error(ttrpc::Code::Unimplemented, name + " is not implemented"));
    return;
  }
  Responder responder(this, connection.id, frame.stream_id);
  try {
    auto payload = handler->second(request.payload(), responder);
    if (payload) responder.reply(*payload);
  } catch (const ttrpc::RpcError& e) {
    responder.fail(e.code(), e.what());
  } catch (const std::exception& e) {
    responder.fail(ttrpc::Code::Unknown, e.what());
  }
}

void Server::send(uint64_t connection_id, uint32_t stream, const std::string& response) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  it->second->output += ttrpc::encode_frame(stream, ttrpc::MessageType::Response, response);
  flush(*it->second);
}

void Server::flush(Connection& connection) {
  while (!connection.output.empty()) {
    ssize_t n = ::send(connection.fd.get(), connection.output.data(), connection.output.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      drop(connection.id);
      return;
    }
    connection.output.erase(0, static_cast<size_t>(n));
  }
  loop_.modify(connection.fd.get(), connection.output.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

void Server::drop(uint64_t connection_id) {
  auto it = connections_.find(connection_id);
  if (it == connections_.end()) return;
  loop_.remove(it->second->fd.get());
  connections_.erase(it);
}

}  // namespace skiff::shim
