#include "shim/stdio.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::shim {

namespace {

constexpr std::string_view kFileScheme = "file://";
constexpr std::string_view kBinaryScheme = "binary://";

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

void set_nonblocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd open_dev_null(int flags) {
  UniqueFd fd(::open("/dev/null", flags | O_CLOEXEC));
  if (!fd) throw_errno("/dev/null");
  return fd;
}

// A write end of a fifo that never blocks in open: we briefly hold a read
// end ourselves (containerd's reader may not be there yet).
UniqueFd open_fifo_writer(const std::string& path) {
  UniqueFd keep(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!keep) throw_errno(path);
  UniqueFd writer(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!writer) throw_errno(path);
  set_nonblocking(writer.get(), false);
  return writer;
}

UniqueFd open_log_file(const std::string& path) {
  std::filesystem::path file(path);
  if (file.has_parent_path()) make_directories(file.parent_path().string());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) throw_errno(path);
  return fd;
}

// binary://PATH?k=v&... : run PATH with the process's stdout and stderr on
// fds 3 and 4 and wait until it closes fd 5 (containerd's logging plugin
// protocol); it gets "-k" "v" as arguments.
struct Logger {
  pid_t pid = 0;
  UniqueFd stdout_writer;
  UniqueFd stderr_writer;
};

std::vector<std::string> logger_args(const std::string& uri) {
  std::string rest = uri.substr(kBinaryScheme.size());
  size_t query = rest.find('?');
  std::vector<std::string> args{rest.substr(0, query)};
  if (query == std::string::npos) return args;
  std::string params = rest.substr(query + 1);
  size_t start = 0;
  while (start < params.size()) {
    size_t end = params.find('&', start);
    std::string pair = params.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t eq = pair.find('=');
    args.push_back("-" + pair.substr(0, eq));
    if (eq != std::string::npos) args.push_back(pair.substr(eq + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return args;
}

Logger start_logger(const std::string& uri, const std::string& id, const std::string& ns) {
  std::vector<std::string> args = logger_args(uri);
  auto [out_r, out_w] = make_pipe();
  auto [err_r, err_w] = make_pipe();
  auto [ready_r, ready_w] = make_pipe();
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string env_id = "CONTAINER_ID=" + id, env_ns = "CONTAINER_NAMESPACE=" + ns;
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("starting the logging binary " + args[0]);
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Above 5 first, so no source is overwritten by an earlier dup2.
    int out = ::fcntl(out_r.get(), F_DUPFD, 10), err = ::fcntl(err_r.get(), F_DUPFD, 10),
        ready = ::fcntl(ready_w.get(), F_DUPFD, 10);
    if (::dup2(out, 3) < 0 || ::dup2(err, 4) < 0 || ::dup2(ready, 5) < 0) ::_exit(127);
    ::putenv(env_id.data());
    ::putenv(env_ns.data());
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ready_w.reset();
  char byte;
  while (::read(ready_r.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  return {pid, std::move(out_w), std::move(err_w)};
}

}  // namespace

Copier::Copier(EventLoop& loop, UniqueFd src, UniqueFd dst)
    : loop_(loop), src_(std::move(src)), dst_(std::move(dst)) {
  set_nonblocking(src_.get(), true);
  set_nonblocking(dst_.get(), true);
  loop_.add(src_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
}

Copier::~Copier() { stop(); }

void Copier::stop() {
  if (src_) loop_.remove(src_.get());
  if (dst_) loop_.remove(dst_.get());
  src_.reset();
  dst_.reset();
}

void Copier::on_readable() {
  char buffer[32768];
  ssize_t n = ::read(src_.get(), buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {  // EOF, or EIO from a pty whose other side closed
    stop();
    return;
  }
  pending_.assign(buffer, static_cast<size_t>(n));
  on_writable();
}

void Copier::on_writable() {
  while (!pending_.empty()) {
    ssize_t n = ::write(dst_.get(), pending_.data(), pending_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      stop();
      return;
    }
    pending_.erase(0, static_cast<size_t>(n));
  }
  // Back-pressure: stop reading until the destination drained what we hold.
  if (pending_.empty() && loop_.watching(dst_.get())) {
    loop_.remove(dst_.get());
    loop_.add(src_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
  } else if (!pending_.empty() && !loop_.watching(dst_.get())) {
    loop_.remove(src_.get());
    loop_.add(dst_.get(), EPOLLOUT, [this](uint32_t) { on_writable(); });
  }
}

ProcessIo::ProcessIo(EventLoop& loop, const StdioPaths& paths, const std::string& id, const std::string& ns)
    : loop_(loop), paths_(paths) {
  if (!paths.stdin_path.empty()) {
    stdin_source_.reset(::open(paths.stdin_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!stdin_source_) throw_errno("stdin " + paths.stdin_path);
  }
  if (paths.terminal) {
    if (!paths.stdout_path.empty()) stdout_sink_ = open_fifo_writer(paths.stdout_path);
    return;
  }
  if (stdin_source_) {
    auto [reader, writer] = make_pipe();
    child_[0] = std::move(reader);
    copies_.push_back(std::make_unique<Copier>(loop_, std::move(stdin_source_), std::move(writer)));
  } else {
    child_[0] = open_dev_null(O_RDONLY);
  }
  const std::string& out = paths.stdout_path;
  if (starts_with(out, kBinaryScheme)) {
    Logger logger = start_logger(out, id, ns);
    loggers_.push_back(logger.pid);
    child_[1] = std::move(logger.stdout_writer);
    child_[2] = std::move(logger.stderr_writer);
    return;
  }
  auto open_output = [](const std::string& path) {
    if (path.empty()) return open_dev_null(O_WRONLY);
    if (starts_with(path, kFileScheme)) return open_log_file(path.substr(kFileScheme.size()));
    return open_fifo_writer(path);
  };
  child_[1] = open_output(out);
  child_[2] = open_output(paths.stderr_path);
}

ProcessIo::~ProcessIo() = default;

std::array<int, 3> ProcessIo::child_fds() const {
  return {child_[0].get(), child_[1].get(), child_[2].get()};
}

void ProcessIo::close_child_fds() {
  for (auto& fd : child_) fd.reset();
}

void ProcessIo::attach_console(UniqueFd master) {
  console_.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
  if (stdin_source_) {
    UniqueFd to_master(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    copies_.push_back(std::make_unique<Copier>(loop_, std::move(stdin_source_), std::move(to_master)));
  }
  if (stdout_sink_) copies_.push_back(std::make_unique<Copier>(loop_, std::move(master), std::move(stdout_sink_)));
}

void ProcessIo::close_stdin() {
  // The stdin copy is the first one when there is one.
  if (!paths_.stdin_path.empty() && !copies_.empty()) copies_.front()->stop();
  stdin_source_.reset();
}

}  // namespace skiff::shim
