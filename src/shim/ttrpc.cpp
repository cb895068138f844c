#include "shim/ttrpc.hpp"

#include "ttrpc.pb.h"

namespace skiff::shim::ttrpc {

namespace {

void put_u32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

uint32_t get_u32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

}  // namespace

std::string encode_frame(uint32_t stream_id, MessageType type, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out, stream_id);
  out.push_back(static_cast<char>(type));
  out.push_back(0);
  out.append(payload);
  return out;
}

void FrameReader::append(const char* data, size_t size) {
  size_t dropped = std::min(skip_, size);
  skip_ -= dropped;
  buffer_.append(data + dropped, size - dropped);
}

std::optional<Frame> FrameReader::next() {
  if (skip_ > 0) return std::nullopt;
  if (skipped_) return std::exchange(skipped_, std::nullopt);
  if (buffer_.size() < kHeaderSize) return std::nullopt;
  uint32_t length = get_u32(buffer_.data());
  Frame frame;
  frame.stream_id = get_u32(buffer_.data() + 4);
  frame.type = static_cast<uint8_t>(buffer_[8]);
  frame.flags = static_cast<uint8_t>(buffer_[9]);
  if (length > kMaxMessageSize) {
    frame.oversized = true;
    size_t available = std::min<size_t>(buffer_.size() - kHeaderSize, length);
    buffer_.erase(0, kHeaderSize + available);
    skip_ = length - available;
    if (skip_ == 0) return frame;
    skipped_ = std::move(frame);
    return std::nullopt;
  }
  if (buffer_.size() < kHeaderSize + length) return std::nullopt;
  frame.payload = buffer_.substr(kHeaderSize, length);
  buffer_.erase(0, kHeaderSize + length);
  return frame;
}

std::string response_ok(std::string_view payload) {
  ::ttrpc::Response response;
  response.set_payload(std::string(payload));
  return response.SerializeAsString();
}

std::string response_error(Code code, std::string_view message) {
  ::ttrpc::Response response;
  response.mutable_status()->set_code(static_cast<int32_t>(code));
  response.mutable_status()->set_message(std::string(message));
  return response.SerializeAsString();
}

}  // namespace skiff::shim::ttrpc
