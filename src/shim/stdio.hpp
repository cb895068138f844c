// A container process's stdio as containerd hands it to the shim: fifo paths
// (what ctr and the CRI plugin create), "file://PATH" and "binary://PATH?args"
// URIs (as containerd's runc shim accepts them), or a pty when terminal.
//
// stdout/stderr fifos go to the process directly (no copy in the shim);
// stdin goes through a pipe the shim feeds, so the process sees EOF exactly
// when containerd closes its end; a pty's master is copied both ways.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "shim/event_loop.hpp"
#include "util/fd.hpp"

namespace skiff::shim {

struct StdioPaths {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

// Copies src to dst through the loop, never blocking on either side. When
// src reaches EOF (or the copy fails) dst is closed.
class Copier {
 public:
  Copier(EventLoop& loop, UniqueFd src, UniqueFd dst);
  ~Copier();
  Copier(const Copier&) = delete;
  Copier& operator=(const Copier&) = delete;
  [[nodiscard]] bool done() const { return !src_; }
  void stop();

 private:
  void on_readable();
  void on_writable();

  EventLoop& loop_;
  UniqueFd src_;
  UniqueFd dst_;
  std::string pending_;
};

class ProcessIo {
 public:
  // Open every stream; throws naming the stream and path. Context for
  // binary:// loggers: the container id and namespace go to its environment.
  ProcessIo(EventLoop& loop, const StdioPaths& paths, const std::string& id, const std::string& ns);
  ~ProcessIo();

  // The fds the process gets as 0, 1, 2 (-1: none, a pty is used).
  [[nodiscard]] std::array<int, 3> child_fds() const;
  // After the process started: drop our copies of its ends.
  void close_child_fds();
  // Terminal: the pty master received from the container.
  void attach_console(UniqueFd master);
  [[nodiscard]] int console() const { return console_.get(); }
  void close_stdin();

 private:
  EventLoop& loop_;
  StdioPaths paths_;
  std::array<UniqueFd, 3> child_;
  UniqueFd stdin_source_;  // the stdin fifo, until a copy owns it
  UniqueFd stdin_sink_;    // the pipe's write end (non-terminal)
  UniqueFd stdout_sink_;   // where the pty's output goes (terminal)
  UniqueFd console_;       // a dup of the master, for resizes
  std::vector<std::unique_ptr<Copier>> copies_;
  std::vector<pid_t> loggers_;
};

}  // namespace skiff::shim
