// ttrpc wire format (github.com/containerd/ttrpc): each message is a 10-byte
// header -- payload length (u32, big endian), stream id (u32, big endian),
// type (u8: 1 request, 2 response, 3 data), flags (u8) -- then a protobuf
// ttrpc.Request or ttrpc.Response. Errors travel as google.rpc.Status codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace skiff::shim::ttrpc {

constexpr size_t kHeaderSize = 10;
constexpr uint32_t kMaxMessageSize = 4 << 20;  // ttrpc's default limit

enum class MessageType : uint8_t { Request = 1, Response = 2, Data = 3 };

// The gRPC status codes ttrpc uses.
enum class Code : int32_t {
  Ok = 0,
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
};

// An error a handler returns to the caller with its status code.
class RpcError : public std::runtime_error {
 public:
  RpcError(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] Code code() const noexcept { return code_; }

 private:
  Code code_;
};

struct Frame {
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
  std::string payload;
  bool oversized = false;  // payload over kMaxMessageSize: dropped, only the header is kept
};

std::string encode_frame(uint32_t stream_id, MessageType type, std::string_view payload);

// Cuts a byte stream into frames. Oversized payloads are skipped (not
// buffered) and reported as such, so one bad message costs neither memory
// nor the connection.
class FrameReader {
 public:
  void append(const char* data, size_t size);
  // The next complete frame, if any.
  std::optional<Frame> next();

 private:
  std::string buffer_;
  size_t skip_ = 0;                // bytes of an oversized payload still to drop
  std::optional<Frame> skipped_;   // its header, reported once the payload is dropped
};

// Encoded ttrpc.Response bodies.
std::string response_ok(std::string_view payload);
std::string response_error(Code code, std::string_view message);

}  // namespace skiff::shim::ttrpc
