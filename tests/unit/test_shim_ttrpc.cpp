// ttrpc framing and request decoding, including malformed input: the shim
// must answer with a status code and keep serving.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <thread>

#include "shim/client.hpp"
#include "shim/event_loop.hpp"
#include "shim/manager.hpp"
#include "shim/server.hpp"
#include "shim/ttrpc.hpp"
#include "ttrpc.pb.h"

namespace framing = skiff::shim::ttrpc;
using skiff::shim::EventLoop;
using skiff::shim::Responder;
using skiff::shim::Server;
using skiff::shim::ShimFlags;
using skiff::UniqueFd;

namespace {

std::string request_bytes(const std::string& service, const std::string& method, const std::string& payload) {
  ::ttrpc::Request request;
  request.set_service(service);
  request.set_method(method);
  request.set_payload(payload);
  return request.SerializeAsString();
}

// A server on a unix socket in a temp dir with an Echo handler, and a client.
struct Harness {
  EventLoop loop;
  std::string dir;
  UniqueFd client;
  std::unique_ptr<Server> server;

  Harness() {
    char templ[] = "/tmp/skiff-ttrpc.XXXXXX";
    dir = ::mkdtemp(templ);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = dir + "/s";
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener.get(), 4) == 0);
    server = std::make_unique<Server>(loop, std::move(listener));
    server->handle("test.Echo", "Say", [](const std::string& payload, const Responder&) {
      if (payload == "fail") throw framing::RpcError(framing::Code::FailedPrecondition, "told to fail");
      return std::optional<std::string>(payload);
    });
    client.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Harness() {
    ::unlink((dir + "/s").c_str());
    ::rmdir(dir.c_str());
  }

  void send_raw(const std::string& bytes) { REQUIRE(::write(client.get(), bytes.data(), bytes.size()) == (ssize_t)bytes.size()); }

  // Serve until a response for the client arrives.
  ::ttrpc::Response response() {
    framing::FrameReader reader;
    for (int i = 0; i < 100; ++i) {
      loop.run_once(10);
      char buffer[4096];
      ssize_t n = ::recv(client.get(), buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) reader.append(buffer, static_cast<size_t>(n));
      if (auto frame = reader.next()) {
        ::ttrpc::Response response;
        REQUIRE(response.ParseFromString(frame->payload));
        return response;
      }
    }
    FAIL("no response");
    return {};
  }
};

}  // namespace

TEST_CASE("a frame is a 10-byte big-endian header and the payload") {
  std::string frame = framing::encode_frame(0x01020304, framing::MessageType::Response, "abc");
  REQUIRE(frame.size() == 13);
  CHECK(frame.substr(0, 4) == std::string("\0\0\0\3", 4));
  CHECK(frame.substr(4, 4) == std::string("\1\2\3\4", 4));
  CHECK(frame[8] == 2);
  CHECK(frame[9] == 0);
  CHECK(frame.substr(10) == "abc");
}

TEST_CASE("the frame reader cuts frames split at any byte") {
  std::string stream = framing::encode_frame(1, framing::MessageType::Request, "hello") +
                       framing::encode_frame(3, framing::MessageType::Request, "");
  framing::FrameReader reader;
  std::vector<framing::Frame> frames;
  for (char byte : stream) {
    reader.append(&byte, 1);
    while (auto frame = reader.next()) frames.push_back(*frame);
  }
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].stream_id == 1);
  CHECK(frames[0].payload == "hello");
  CHECK(frames[1].stream_id == 3);
  CHECK(frames[1].payload.empty());
}

TEST_CASE("an oversized frame is skipped without buffering it, and the next one is read") {
  std::string header = framing::encode_frame(5, framing::MessageType::Request, "").substr(0, 4);
  uint32_t huge = framing::kMaxMessageSize + 1;
  std::string big;
  for (int shift = 24; shift >= 0; shift -= 8) big.push_back(static_cast<char>((huge >> shift) & 0xff));
  big += std::string("\0\0\0\5\1\0", 6);
  framing::FrameReader reader;
  reader.append(big.data(), big.size());
  std::string chunk(1 << 20, 'x');
  for (uint32_t left = huge; left > 0;) {
    uint32_t n = std::min<uint32_t>(left, chunk.size());
    reader.append(chunk.data(), n);
    left -= n;
  }
  auto skipped = reader.next();
  REQUIRE(skipped);
  CHECK(skipped->oversized);
  CHECK(skipped->stream_id == 5);
  std::string next = framing::encode_frame(7, framing::MessageType::Request, "ok");
  reader.append(next.data(), next.size());
  auto frame = reader.next();
  REQUIRE(frame);
  CHECK(frame->stream_id == 7);
  CHECK(frame->payload == "ok");
}

TEST_CASE("error responses carry the gRPC code and message") {
  ::ttrpc::Response response;
  REQUIRE(response.ParseFromString(framing::response_error(framing::Code::NotFound, "no such task")));
  CHECK(response.status().code() == 5);
  CHECK(response.status().message() == "no such task");
  REQUIRE(response.ParseFromString(framing::response_ok("payload")));
  CHECK(response.status().code() == 0);
  CHECK(response.payload() == "payload");
}

TEST_CASE("containerd's flags parse in Go's styles") {
  const char* argv[] = {"shim", "-namespace", "k8s.io", "-address=/run/c.sock", "--id", "abc", "-debug", "start"};
  ShimFlags flags = skiff::shim::parse_flags(8, const_cast<char**>(argv));
  CHECK(flags.ns == "k8s.io");
  CHECK(flags.address == "/run/c.sock");
  CHECK(flags.id == "abc");
  CHECK(flags.debug);
  CHECK(flags.action == "start");
  const char* version[] = {"shim", "-v"};
  CHECK(skiff::shim::parse_flags(2, const_cast<char**>(version)).action == "version");
  const char* bad[] = {"shim", "-bogus", "x"};
  CHECK_THROWS_WITH(skiff::shim::parse_flags(3, const_cast<char**>(bad)), Catch::Contains("unknown flag -bogus"));
}

TEST_CASE("the socket is named like containerd-shim-runc-v2 names it") {
  ShimFlags flags;
  flags.address = "/run/containerd/containerd.sock";
  flags.ns = "default";
  flags.id = "c1";
  std::string address = skiff::shim::socket_address(flags, flags.id);
  CHECK(address.rfind("unix:///run/containerd/s/", 0) == 0);
  CHECK(address.size() == std::string("unix:///run/containerd/s/").size() + 64);
}

TEST_CASE("the server answers bad requests with a status code and keeps serving") {
  Harness h;
  h.send_raw(framing::encode_frame(1, framing::MessageType::Request, "\xff\xff\xff garbage"));
  CHECK(h.response().status().code() == static_cast<int>(framing::Code::InvalidArgument));
  h.send_raw(framing::encode_frame(3, framing::MessageType::Request, request_bytes("test.Echo", "Nope", "")));
  CHECK(h.response().status().code() == static_cast<int>(framing::Code::Unimplemented));
  h.send_raw(framing::encode_frame(5, framing::MessageType::Request, request_bytes("test.Echo", "Say", "fail")));
  auto failed = h.response();
  CHECK(failed.status().code() == static_cast<int>(framing::Code::FailedPrecondition));
  CHECK(failed.status().message() == "told to fail");
  h.send_raw(framing::encode_frame(7, framing::MessageType::Request, request_bytes("test.Echo", "Say", "hello")));
  auto ok = h.response();
  CHECK(ok.status().code() == 0);
  CHECK(ok.payload() == "hello");
}

TEST_CASE("the one-call client returns the payload, or the shim's status code") {
  Harness h;
  std::atomic<bool> done{false};
  std::thread serving([&] {
    while (!done) h.loop.run_once(10);
  });
  std::string path = h.dir + "/s";
  CHECK(skiff::shim::call(path, "test.Echo", "Say", "hello") == "hello");
  try {
    skiff::shim::call(path, "test.Echo", "Say", "fail");
    FAIL("no error");
  } catch (const framing::RpcError& e) {
    CHECK(e.code() == framing::Code::FailedPrecondition);
    CHECK(std::string(e.what()) == "told to fail");
  }
  CHECK_THROWS_WITH(skiff::shim::call(h.dir + "/none", "test.Echo", "Say", "x"), Catch::Contains("connect " + h.dir));
  done = true;
  serving.join();
}
