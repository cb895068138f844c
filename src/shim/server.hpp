// The ttrpc server: accepts connections on the shim socket (same uid only),
// decodes requests and dispatches them by "service/method" to handlers.
// Replies may be deferred (Wait answers when the process exits).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "shim/event_loop.hpp"
#include "shim/ttrpc.hpp"
#include "util/fd.hpp"

namespace skiff::shim {

class Server;

// Where a deferred reply goes; dropped silently when the caller hung up.
class Responder {
 public:
  Responder(Server* server, uint64_t connection, uint32_t stream)
      : server_(server), connection_(connection), stream_(stream) {}
  void reply(const std::string& payload) const;
  void fail(ttrpc::Code code, const std::string& message) const;

 private:
  Server* server_;
  uint64_t connection_;
  uint32_t stream_;
};

// A handler gets the request payload and returns the response payload, or
// nullopt when it will answer later through the responder. It reports
// errors by throwing ttrpc::RpcError (other exceptions become Unknown).
using Handler = std::function<std::optional<std::string>(const std::string& payload, const Responder& responder)>;

class Server {
 public:
  Server(EventLoop& loop, UniqueFd listener);
  ~Server();

  void handle(const std::string& service, const std::string& method, Handler handler);
  // Stop accepting; existing connections keep going until the loop stops.
  void close_listener();
  // Called after every request (the shim checks whether it should exit).
  std::function<void()> after_request;

 private:
  friend class Responder;
  struct Connection;

  void accept_connections();
  void on_readable(Connection& connection);
  void dispatch(Connection& connection, const ttrpc::Frame& frame);
  void send(uint64_t connection_id, uint32_t stream, const std::string& response);
  void flush(Connection& connection);
  void drop(uint64_t connection_id);

  EventLoop& loop_;
  UniqueFd listener_;
  std::map<std::string, Handler> handlers_;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_connection_ = 1;
};

}  // namespace skiff::shim
