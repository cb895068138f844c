#include "shim/task_service.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "containerd/events.pb.h"
#include "containerd/shim.pb.h"
#include "runtime/console.hpp"
#include "shim/metrics.hpp"
#include "shim/rootfs.hpp"
#include "shim/timestamps.hpp"
#include "util/error.hpp"

namespace skiff::shim {

namespace v2 = ::containerd::task::v2;
namespace events = ::containerd::events;
using ttrpc::Code;
using ttrpc::RpcError;

namespace {

template <typename Message>
Message parse(const std::string& payload) {
  Message message;
  if (!message.ParseFromString(payload))
    throw RpcError(Code::InvalidArgument, "malformed " + message.GetTypeName());
  return message;
}

std::string empty_reply() { return {}; }  // google.protobuf.Empty encodes to nothing

// Run a libskiff call, turning its errors into status codes.
template <typename Call>
auto library(Call&& call) {
  try {
    return call();
  } catch (const Error& e) {
    throw RpcError(code_for(e), e.what());
  }
}

struct CodeRule {
  const char* fragment;
  Code code;
};

// libskiff's messages name the cause; these fragments say which code fits.
constexpr CodeRule kCodeRules[] = {
    {"does not exist", Code::NotFound},         {"already exists", Code::AlreadyExists},
    {"cannot be", Code::FailedPrecondition},    {"is not running", Code::FailedPrecondition},
    {"is paused", Code::FailedPrecondition},    {"exited before start", Code::FailedPrecondition},
    {"invalid JSON", Code::InvalidArgument},    {"required", Code::InvalidArgument},
    {"unknown", Code::InvalidArgument},         {"no command given", Code::InvalidArgument},
};

::containerd::v1::types::Status wire_status(ShimProcess::State state) {
  switch (state) {
    case ShimProcess::State::Created: return ::containerd::v1::types::CREATED;
    case ShimProcess::State::Running: return ::containerd::v1::types::RUNNING;
    case ShimProcess::State::Stopped: return ::containerd::v1::types::STOPPED;
  }
  return ::containerd::v1::types::UNKNOWN;
}

const char* topic_type(const std::string& topic) {
  static const std::map<std::string, const char*> types = {
      {"/tasks/create", "containerd.events.TaskCreate"},
      {"/tasks/start", "containerd.events.TaskStart"},
      {"/tasks/exit", "containerd.events.TaskExit"},
      {"/tasks/delete", "containerd.events.TaskDelete"},
      {"/tasks/exec-added", "containerd.events.TaskExecAdded"},
      {"/tasks/exec-started", "containerd.events.TaskExecStarted"},
      {"/tasks/paused", "containerd.events.TaskPaused"},
      {"/tasks/resumed", "containerd.events.TaskResumed"},
      {"/tasks/oom", "containerd.events.TaskOOM"},
  };
  return types.at(topic);
}

std::pair<UniqueFd, UniqueFd> console_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("console socketpair");
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

}  // namespace

ttrpc::Code code_for(const Error& error) {
  std::string_view message = error.what();
  for (const auto& rule : kCodeRules)
    if (message.find(rule.fragment) != std::string_view::npos) return rule.code;
  return Code::Unknown;
}

TaskService::TaskService(EventLoop& loop, Publisher& publisher, Runtime& runtime)
    : loop_(loop), publisher_(publisher), runtime_(runtime) {}

void TaskService::register_handlers(Server& server) {
  using Simple = std::string (TaskService::*)(const std::string&);
  const std::pair<const char*, Simple> simple[] = {
      {"Create", &TaskService::create},   {"Start", &TaskService::start},
      {"State", &TaskService::state},     {"Delete", &TaskService::remove},
      {"Kill", &TaskService::kill},       {"Pids", &TaskService::pids},
      {"Exec", &TaskService::exec},       {"Pause", &TaskService::pause},
      {"Resume", &TaskService::resume},   {"ResizePty", &TaskService::resize_pty},
      {"CloseIO", &TaskService::close_io}, {"Update", &TaskService::update},
      {"Stats", &TaskService::stats},     {"Connect", &TaskService::connect},
      {"Shutdown", &TaskService::shutdown},
  };
  for (const char* service : {"containerd.task.v2.Task", "containerd.task.v3.Task"}) {
    for (const auto& [method, handler] : simple)
      server.handle(service, method, [this, handler = handler](const std::string& payload, const Responder&) {
        return std::optional<std::string>((this->*handler)(payload));
      });
    server.handle(service, "Wait",
                  [this](const std::string& payload, const Responder& responder) { return wait(payload, responder); });
    server.handle(service, "Checkpoint", [](const std::string&, const Responder&) -> std::optional<std::string> {
      throw RpcError(Code::Unimplemented, "checkpoint is not supported by the skiff shim yet");
    });
  }
}

Container& TaskService::find(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) throw RpcError(Code::NotFound, "container " + id + ": not found");
  return it->second;
}

ShimProcess& TaskService::find(Container& container, const std::string& exec_id) {
  if (exec_id.empty()) return container.init;
  auto it = container.execs.find(exec_id);
  if (it == container.execs.end())
    throw RpcError(Code::NotFound, "process " + exec_id + " of container " + container.id + ": not found");
  return it->second;
}

std::string TaskService::create(const std::string& payload) {
  auto request = parse<v2::CreateTaskRequest>(payload);
  if (request.id().empty() || request.bundle().empty())
    throw RpcError(Code::InvalidArgument, "create: id and bundle are required");
  if (containers_.count(request.id()))
    throw RpcError(Code::AlreadyExists, "container " + request.id() + ": already exists");
  if (!request.checkpoint().empty()) throw RpcError(Code::Unimplemented, "restore from a checkpoint is not supported");
  std::string rootfs = request.bundle() + "/rootfs";
  std::vector<RootfsMount> mounts;
  for (const auto& m : request.rootfs())
    mounts.push_back({m.type(), m.source(), {m.options().begin(), m.options().end()}});
  library([&] { mount_rootfs(mounts, rootfs); });

  Container container;
  container.id = request.id();
  container.bundle = request.bundle();
  ShimProcess& init = container.init;
  init.stdio = {request.stdin(), request.stdout(), request.stderr(), request.terminal()};
  try {
    init.io = library([&] { return std::make_unique<ProcessIo>(loop_, init.stdio, container.id, publisher_.ns()); });
    CreateOptions options;
    options.bundle = container.bundle;
    options.stdio = init.io->child_fds();
    auto [console_ours, console_theirs] = console_pair();
    options.console_fd = console_theirs.get();
    ContainerState created = library([&] { return runtime_.create(container.id, options); });
    init.pid = created.pid;
    console_theirs.reset();
    if (request.terminal()) init.io->attach_console(library([&] { return runtime::receive_fd(console_ours.get()); }));
    init.io->close_child_fds();
  } catch (...) {
    try {
      runtime_.remove(container.id, true);
    } catch (...) {
    }
    unmount_rootfs(rootfs);
    throw;
  }

  events::TaskCreate event;
  event.set_container_id(container.id);
  event.set_bundle(container.bundle);
  *event.mutable_rootfs() = request.rootfs();
  event.mutable_io()->set_stdin(request.stdin());
  event.mutable_io()->set_stdout(request.stdout());
  event.mutable_io()->set_stderr(request.stderr());
  event.mutable_io()->set_terminal(request.terminal());
  event.set_pid(static_cast<uint32_t>(init.pid));
  publisher_.publish("/tasks/create", topic_type("/tasks/create"), event);

  v2::CreateTaskResponse response;
  response.set_pid(static_cast<uint32_t>(init.pid));
  std::string id = container.id;
  containers_.emplace(id, std::move(container));
  return response.SerializeAsString();
}

std::string TaskService::start(const std::string& payload) {
  auto request = parse<v2::StartRequest>(payload);
  Container& container = find(request.id());
  ShimProcess& process = find(container, request.exec_id());
  if (process.state != ShimProcess::State::Created)
    throw RpcError(Code::FailedPrecondition, "process " + (request.exec_id().empty() ? request.id() : request.exec_id()) +
                                                 " cannot be started: it is not created");
  v2::StartResponse response;
  if (request.exec_id().empty()) {
    library([&] { runtime_.start(container.id); });
    if (process.state == ShimProcess::State::Created) process.state = ShimProcess::State::Running;
    events::TaskStart event;
    event.set_container_id(container.id);
    event.set_pid(static_cast<uint32_t>(process.pid));
    publisher_.publish("/tasks/start", topic_type("/tasks/start"), event);
  } else {
    start_exec(container, process);
    events::TaskExecStarted event;
    event.set_container_id(container.id);
    event.set_exec_id(process.exec_id);
    event.set_pid(static_cast<uint32_t>(process.pid));
    publisher_.publish("/tasks/exec-started", topic_type("/tasks/exec-started"), event);
  }
  response.set_pid(static_cast<uint32_t>(process.pid));
  return response.SerializeAsString();
}

pid_t TaskService::start_exec(Container& container, ShimProcess& process) {
  process.io = library([&] { return std::make_unique<ProcessIo>(loop_, process.stdio, container.id, publisher_.ns()); });
  ExecOptions options;
  options.process_json = process.spec_json;
  options.detach = true;
  options.stdio = process.io->child_fds();
  auto [console_ours, console_theirs] = console_pair();
  options.console_fd = console_theirs.get();
  ProcessInfo info = library([&] { return runtime_.exec(container.id, options); });
  process.pid = info.pid;
  process.state = ShimProcess::State::Running;
  console_theirs.reset();
  if (process.stdio.terminal) process.io->attach_console(library([&] { return runtime::receive_fd(console_ours.get()); }));
  process.io->close_child_fds();
  return process.pid;
}

std::string TaskService::state(const std::string& payload) {
  auto request = parse<v2::StateRequest>(payload);
  Container& container = find(request.id());
  ShimProcess& process = find(container, request.exec_id());
  v2::StateResponse response;
  response.set_id(process.exec_id.empty() ? container.id : process.exec_id);
  response.set_exec_id(process.exec_id);
  response.set_bundle(container.bundle);
  response.set_pid(static_cast<uint32_t>(process.pid));
  response.set_status(wire_status(process.state));
  if (process.exec_id.empty() && process.state == ShimProcess::State::Running) {
    try {
      if (runtime_.state(container.id).status == Status::Paused) response.set_status(::containerd::v1::types::PAUSED);
    } catch (const Error&) {
    }
  }
  response.set_stdin(process.stdio.stdin_path);
  response.set_stdout(process.stdio.stdout_path);
  response.set_stderr(process.stdio.stderr_path);
  response.set_terminal(process.stdio.terminal);
  response.set_exit_status(static_cast<uint32_t>(process.exit_status));
  if (process.state == ShimProcess::State::Stopped) *response.mutable_exited_at() = to_timestamp(process.exited_at);
  return response.SerializeAsString();
}

std::string TaskService::remove(const std::string& payload) {
  auto request = parse<v2::DeleteRequest>(payload);
  Container& container = find(request.id());
  ShimProcess& process = find(container, request.exec_id());
  reap_pending();
  if (process.state == ShimProcess::State::Running)
    throw RpcError(Code::FailedPrecondition, "process " + (request.exec_id().empty() ? request.id() : request.exec_id()) +
                                                 " cannot be deleted: it is running (kill it first)");
  if (process.state == ShimProcess::State::Created && process.exec_id.empty()) {
    // Never started: kill its waiting init; its status is SIGKILL's.
    library([&] { runtime_.remove(container.id, true); });
    exited(container, process, 128 + SIGKILL);
  }
  v2::DeleteResponse response;
  response.set_pid(static_cast<uint32_t>(process.pid));
  response.set_exit_status(static_cast<uint32_t>(process.exit_status));
  *response.mutable_exited_at() = to_timestamp(process.exited_at);
  if (!process.exec_id.empty()) {
    container.execs.erase(process.exec_id);
    return response.SerializeAsString();
  }
  library([&] { runtime_.remove(container.id, true); });
  unmount_rootfs(container.bundle + "/rootfs");
  events::TaskDelete event;
  event.set_container_id(container.id);
  event.set_pid(response.pid());
  event.set_exit_status(response.exit_status());
  *event.mutable_exited_at() = response.exited_at();
  publisher_.publish("/tasks/delete", topic_type("/tasks/delete"), event);
  containers_.erase(container.id);
  return response.SerializeAsString();
}

std::string TaskService::kill(const std::string& payload) {
  auto request = parse<v2::KillRequest>(payload);
  Container& container = find(request.id());
  ShimProcess& process = find(container, request.exec_id());
  int signal = static_cast<int>(request.signal());
  if (signal <= 0 || signal >= NSIG) throw RpcError(Code::InvalidArgument, "kill: invalid signal " + std::to_string(signal));
  if (process.state == ShimProcess::State::Stopped && !(request.all() && process.exec_id.empty()))
    throw RpcError(Code::NotFound, "process already finished");
  if (process.exec_id.empty()) {
    library([&] { runtime_.kill(container.id, signal, request.all()); });
  } else if (::kill(process.pid, signal) != 0) {  // our unreaped child: the pid is still its own
    throw RpcError(Code::Unknown, "kill " + process.exec_id + ": " + std::strerror(errno));
  }
  return empty_reply();
}

std::optional<std::string> TaskService::wait(const std::string& payload, const Responder& responder) {
  auto request = parse<v2::WaitRequest>(payload);
  Container& container = find(request.id());
  ShimProcess& process = find(container, request.exec_id());
  if (process.state != ShimProcess::State::Stopped) {
    process.waiters.push_back(responder);
    return std::nullopt;
  }
  v2::WaitResponse response;
  response.set_exit_status(static_cast<uint32_t>(process.exit_status));
  *response.mutable_exited_at() = to_timestamp(process.exited_at);
  return response.SerializeAsString();
}

std::string TaskService::pids(const std::string& payload) {
  auto request = parse<v2::PidsRequest>(payload);
  Container& container = find(request.id());
  v2::PidsResponse response;
  for (pid_t pid : library([&] { return runtime_.pids(container.id); }))
    response.add_processes()->set_pid(static_cast<uint32_t>(pid));
  return response.SerializeAsString();
}

std::string TaskService::exec(const std::string& payload) {
  auto request = parse<v2::ExecProcessRequest>(payload);
  Container& container = find(request.id());
  if (request.exec_id().empty()) throw RpcError(Code::InvalidArgument, "exec: an exec id is required");
  if (container.execs.count(request.exec_id()))
    throw RpcError(Code::AlreadyExists, "process " + request.exec_id() + ": already exists");
  if (container.init.state != ShimProcess::State::Running)
    throw RpcError(Code::FailedPrecondition, "container " + container.id + " is not running");
  ShimProcess process;
  process.exec_id = request.exec_id();
  process.stdio = {request.stdin(), request.stdout(), request.stderr(), request.terminal()};
  process.spec_json = request.spec().value();
  if (process.spec_json.empty()) throw RpcError(Code::InvalidArgument, "exec: a process spec is required");
  container.execs.emplace(process.exec_id, std::move(process));
  events::TaskExecAdded event;
  event.set_container_id(container.id);
  event.set_exec_id(request.exec_id());
  publisher_.publish("/tasks/exec-added", topic_type("/tasks/exec-added"), event);
  return empty_reply();
}

std::string TaskService::pause(const std::string& payload) {
  auto request = parse<v2::PauseRequest>(payload);
  Container& container = find(request.id());
  library([&] { runtime_.pause(container.id); });
  events::TaskPaused event;
  event.set_container_id(container.id);
  publisher_.publish("/tasks/paused", topic_type("/tasks/paused"), event);
  return empty_reply();
}

std::string TaskService::resume(const std::string& payload) {
  auto request = parse<v2::ResumeRequest>(payload);
  Container& container = find(request.id());
  library([&] { runtime_.resume(container.id); });
  events::TaskResumed event;
  event.set_container_id(container.id);
  publisher_.publish("/tasks/resumed", topic_type("/tasks/resumed"), event);
  return empty_reply();
}

std::string TaskService::resize_pty(const std::string& payload) {
  auto request = parse<v2::ResizePtyRequest>(payload);
  ShimProcess& process = find(find(request.id()), request.exec_id());
  if (!process.io || process.io->console() < 0) throw RpcError(Code::FailedPrecondition, "the process has no terminal");
  winsize size{};
  size.ws_col = static_cast<unsigned short>(request.width());
  size.ws_row = static_cast<unsigned short>(request.height());
  if (::ioctl(process.io->console(), TIOCSWINSZ, &size) != 0)
    throw RpcError(Code::Unknown, std::string("resizing the terminal: ") + std::strerror(errno));
  return empty_reply();
}

std::string TaskService::close_io(const std::string& payload) {
  auto request = parse<v2::CloseIORequest>(payload);
  ShimProcess& process = find(find(request.id()), request.exec_id());
  if (request.stdin() && process.io) process.io->close_stdin();
  return empty_reply();
}

std::string TaskService::update(const std::string& payload) {
  auto request = parse<v2::UpdateTaskRequest>(payload);
  Container& container = find(request.id());
  // containerd sends the runtime-spec LinuxResources as JSON in the Any.
  library([&] { runtime_.update(container.id, request.resources().value()); });
  return empty_reply();
}

std::string TaskService::stats(const std::string& payload) {
  auto request = parse<v2::StatsRequest>(payload);
  Container& container = find(request.id());
  v2::StatsResponse response;
  *response.mutable_stats() = metrics_any(library([&] { return runtime_.stats(container.id); }));
  return response.SerializeAsString();
}

std::string TaskService::connect(const std::string& payload) {
  auto request = parse<v2::ConnectRequest>(payload);
  v2::ConnectResponse response;
  response.set_shim_pid(static_cast<uint32_t>(::getpid()));
  auto it = containers_.find(request.id());
  if (it != containers_.end()) response.set_task_pid(static_cast<uint32_t>(it->second.init.pid));
  response.set_version(version_text().substr(0, version_text().find('\n')));
  return response.SerializeAsString();
}

std::string TaskService::shutdown(const std::string& payload) {
  parse<v2::ShutdownRequest>(payload);
  // containerd asks after deleting each task; a pod's shim goes on serving
  // until its last container is deleted (and the Shutdown after that one).
  if (containers_.empty()) shutdown_requested_ = true;
  return empty_reply();
}

void TaskService::publish_new_ooms(Container& container) {
  uint64_t kills = 0;
  try {
    kills = runtime_.stats(container.id).oom_kills;
  } catch (const Error&) {
    return;
  }
  if (kills <= container.oom_kills) return;
  container.oom_kills = kills;
  events::TaskOOM event;
  event.set_container_id(container.id);
  publisher_.publish("/tasks/oom", topic_type("/tasks/oom"), event);
}

void TaskService::exited(Container& container, ShimProcess& process, int exit_status) {
  // An OOM kill shows as a SIGKILLed process: report it before the exit.
  if (exit_status == 128 + SIGKILL) publish_new_ooms(container);
  process.state = ShimProcess::State::Stopped;
  process.exit_status = exit_status;
  ::clock_gettime(CLOCK_REALTIME, &process.exited_at);
  events::TaskExit event;
  event.set_container_id(container.id);
  event.set_id(process.exec_id.empty() ? container.id : process.exec_id);
  event.set_pid(static_cast<uint32_t>(process.pid));
  event.set_exit_status(static_cast<uint32_t>(exit_status));
  *event.mutable_exited_at() = to_timestamp(process.exited_at);
  publisher_.publish("/tasks/exit", topic_type("/tasks/exit"), event);
  v2::WaitResponse response;
  response.set_exit_status(event.exit_status());
  *response.mutable_exited_at() = event.exited_at();
  std::string reply = response.SerializeAsString();
  for (const auto& waiter : process.waiters) waiter.reply(reply);
  process.waiters.clear();
}

void TaskService::on_child_exit(pid_t pid, int wait_status) {
  for (auto& [id, container] : containers_) {
    std::vector<ShimProcess*> processes{&container.init};
    for (auto& [exec_id, exec] : container.execs) processes.push_back(&exec);
    for (ShimProcess* process : processes) {
      if (process->pid != pid || process->state == ShimProcess::State::Stopped) continue;
      exited(container, *process, exit_code_from_wait_status(wait_status));
      return;
    }
  }
  // Not a process of ours to report (a logger, an orphan we inherited).
}

void TaskService::reap_pending() { reap_children(*this); }

void reap_children(TaskService& service) {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    service.on_child_exit(pid, status);
  }
}

}  // namespace skiff::shim
