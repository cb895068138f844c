// containerd's task service (containerd.task.v2.Task and .v3.Task, one
// handler table) over libskiff, in this process: no runtime binary is run
// per operation. The shim is the parent (or subreaper) of every container
// process; on_child_exit() records exits, answers Waits and publishes
// /tasks/exit.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shim/publisher.hpp"
#include "shim/server.hpp"
#include "shim/stdio.hpp"
#include "skiff/skiff.hpp"

namespace skiff::shim {

struct ShimProcess {
  enum class State { Created, Running, Stopped };
  std::string exec_id;  // empty for the init
  pid_t pid = 0;
  State state = State::Created;
  int exit_status = 0;
  timespec exited_at{};
  StdioPaths stdio;
  std::unique_ptr<ProcessIo> io;
  std::vector<Responder> waiters;
  std::string spec_json;  // an exec's runtime-spec process, until it starts
};

struct Container {
  std::string id;
  std::string bundle;
  ShimProcess init;
  std::map<std::string, ShimProcess> execs;
  uint64_t oom_kills = 0;  // OOM kills already reported
};

class TaskService {
 public:
  TaskService(EventLoop& loop, Publisher& publisher, Runtime& runtime);

  void register_handlers(Server& server);
  // A child ended (reaped by the caller): record it, answer its waiters.
  void on_child_exit(pid_t pid, int wait_status);
  // Shutdown was asked for when no container was left.
  [[nodiscard]] bool should_exit() const { return shutdown_requested_; }

 private:
  std::string create(const std::string& payload);
  std::string start(const std::string& payload);
  std::string state(const std::string& payload);
  std::string remove(const std::string& payload);
  std::string kill(const std::string& payload);
  std::optional<std::string> wait(const std::string& payload, const Responder& responder);
  std::string pids(const std::string& payload);
  std::string exec(const std::string& payload);
  std::string pause(const std::string& payload);
  std::string resume(const std::string& payload);
  std::string resize_pty(const std::string& payload);
  std::string close_io(const std::string& payload);
  std::string update(const std::string& payload);
  std::string stats(const std::string& payload);
  std::string connect(const std::string& payload);
  std::string shutdown(const std::string& payload);

  Container& find(const std::string& id);
  ShimProcess& find(Container& container, const std::string& exec_id);
  pid_t start_exec(Container& container, ShimProcess& process);
  void exited(Container& container, ShimProcess& process, int exit_status);
  void publish_new_ooms(Container& container);
  // Reap whatever ended before libskiff looks at it.
  void reap_pending();

  EventLoop& loop_;
  Publisher& publisher_;
  Runtime& runtime_;
  std::map<std::string, Container> containers_;
  bool shutdown_requested_ = false;
};

// Reap every ended child (waitpid(-1, WNOHANG)) and report each.
void reap_children(TaskService& service);

// The gRPC code for a libskiff error (NotFound, FailedPrecondition, ...).
ttrpc::Code code_for(const Error& error);

}  // namespace skiff::shim
