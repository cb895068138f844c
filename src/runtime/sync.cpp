#include "runtime/sync.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "util/error.hpp"
#include "util/unix_socket.hpp"

namespace skiff::runtime {

namespace {
struct Header {
  uint32_t type;
  uint32_t pad;
  int64_t value;
};
constexpr size_t kMaxText = 8192;
}  // namespace

std::pair<SyncSocket, SyncSocket> SyncSocket::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    throw_errno("creating the sync socketpair");
  return {SyncSocket(UniqueFd(fds[0])), SyncSocket(UniqueFd(fds[1]))};
}

void SyncSocket::send(SyncType type, int64_t value, const std::string& text) const {
  std::vector<char> buffer(sizeof(Header) + std::min(text.size(), kMaxText));
  Header header{static_cast<uint32_t>(type), 0, value};
  std::memcpy(buffer.data(), &header, sizeof header);
  std::memcpy(buffer.data() + sizeof header, text.data(), buffer.size() - sizeof header);
  for (;;) {
    if (::send(fd_.get(), buffer.data(), buffer.size(), MSG_NOSIGNAL) >= 0) return;
    if (errno != EINTR) throw_errno("sync socket: send");
  }
}

void SyncSocket::send_fd(SyncType type, int fd, const std::string& text, int64_t value) const {
  Header header{static_cast<uint32_t>(type), 0, value};
  std::string message(reinterpret_cast<const char*>(&header), sizeof header);
  message.append(text, 0, std::min(text.size(), kMaxText));
  send_with_fd(fd_.get(), message, fd, "sync socket: sending an fd");
}

std::optional<SyncMessage> SyncSocket::receive_or_closed() const {
  std::vector<char> buffer(sizeof(Header) + kMaxText);
  UniqueFd fd;
  ssize_t n = receive_with_fd(fd_.get(), buffer.data(), buffer.size(), fd);
  // A peer that exited with messages of ours unread resets the connection:
  // the reset is reported once, and what it sent before (its Error) is still
  // queued behind it; after that, a reset peer is a closed one.
  if (n < 0 && errno == ECONNRESET) n = receive_with_fd(fd_.get(), buffer.data(), buffer.size(), fd);
  if (n < 0 && errno == ECONNRESET) return std::nullopt;
  if (n < 0) throw_errno("sync socket: receive");
  if (n == 0) return std::nullopt;
  if (static_cast<size_t>(n) < sizeof(Header)) throw Error("sync socket: short message");
  Header header;
  std::memcpy(&header, buffer.data(), sizeof header);
  SyncMessage message{static_cast<SyncType>(header.type), header.value,
                      std::string(buffer.data() + sizeof header, static_cast<size_t>(n) - sizeof header),
                      std::move(fd)};
  if (message.type == SyncType::Error) throw Error(message.text, static_cast<int>(message.value));
  return message;
}

SyncMessage SyncSocket::receive() const {
  auto message = receive_or_closed();
  if (!message) throw Error("the container process exited during setup");
  return std::move(*message);
}

void SyncSocket::expect_closed() const {
  if (auto message = receive_or_closed())
    throw Error("sync socket: unexpected message " + std::to_string(static_cast<uint32_t>(message->type)));
}

SyncMessage SyncSocket::expect(SyncType type) const {
  SyncMessage message = receive();
  if (message.type != type)
    throw Error("sync socket: unexpected message " + std::to_string(static_cast<uint32_t>(message.type)));
  return message;
}

void wait_for_start(int fifo_fd) {
  char byte;
  ssize_t n;
  do {
    n = ::read(fifo_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) throw_errno("reading exec.fifo");
}

}  // namespace skiff::runtime
