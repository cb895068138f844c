// The parent <-> container-init handshake over a SOCK_SEQPACKET socketpair.
// Each message is one datagram: a type, an integer, and optional text (errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "util/fd.hpp"

namespace skiff::runtime {

enum class SyncType : uint32_t {
  MapsWritten = 1,  // parent -> init: uid/gid maps are in place
  RunHooks,         // init -> parent: mounts done, run prestart/createRuntime
  HooksDone,        // parent -> init: go on
  Ready,            // init -> parent: waiting for start (value: nothing)
  ChildPid,         // intermediate -> parent: the init's pid (value)
  Error,            // init -> parent: setup failed (text)
  SeccompFd,        // init -> parent: the seccomp notify listener (fd attached)
  WasmCacheLookup,  // init -> parent: a compiled module's key (text)
  WasmCacheEntry,   // parent -> init: the entry (fd attached) or none (no fd); value 1: compiled ahead, unchecked
  WasmCacheStore,   // init -> parent: store this (memfd attached) under the last key
  WasmRunner,       // init -> parent: the runner for this module (text); parent -> init: it (fd attached;
                    // text: the preopens; value: the WasmCompiler)
  CgroupJoin,       // parent -> init: a v1 hierarchy's tasks file (fd; text: the cgroup; value: how many follow)
  WasmRunnerConfig, // parent -> init, after an offer: the runner's config (fd, or none; text: the module;
                    // value: the sync and fifo fds it names, sync << 32 | fifo)
};

// Block until `start` writes its byte into exec.fifo (the init, or the wasm
// runner it became). The fifo is held open read-write, so this needs no /proc
// (not ours to open once non-dumpable in a user namespace) and `start` can
// tell the process is alive.
void wait_for_start(int fifo_fd);

struct SyncMessage {
  SyncType type{};
  int64_t value = 0;
  std::string text;
  UniqueFd fd;  // an fd that came with the message (SCM_RIGHTS), if any
};

class SyncSocket {
 public:
  SyncSocket() = default;
  explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}

  // A connected pair: [0] for the parent, [1] for the child.
  static std::pair<SyncSocket, SyncSocket> make_pair();

  void send(SyncType type, int64_t value = 0, const std::string& text = {}) const;
  // A message carrying fd (SCM_RIGHTS), and optional text and value.
  void send_fd(SyncType type, int fd, const std::string& text = {}, int64_t value = 0) const;
  // Throws if the peer closed the socket (it died) or sent Error.
  SyncMessage receive() const;
  // The same, but the peer closing (nullopt) is not an error.
  std::optional<SyncMessage> receive_or_closed() const;
  // Wait for the peer to close its end (its exec succeeded: the fd is
  // close-on-exec). Throws if it sent Error instead.
  void expect_closed() const;
  // receive(), and check the type is the expected one.
  SyncMessage expect(SyncType type) const;

  [[nodiscard]] int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

}  // namespace skiff::runtime
