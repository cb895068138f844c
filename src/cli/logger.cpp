// Logging like runc (logrus): --log FILE is appended to, one line per entry,
// in logrus' text format or as JSON {"level","msg","time"}. containerd's shim
// reads the last "error" entry of that file as the failure message, so every
// error is logged there and printed on stderr as one plain line.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.hpp"
#include "runtime/wasm_runner.hpp"
#include "skiff/config.hpp"
#include "util/error.hpp"

namespace skiff::cli {
namespace {

// Our argv for a re-execution from a sealed copy of the binary (see
// RuntimeOptions::reexec_args), which has no directory to find the wasm
// runner beside: its path goes along.
std::vector<std::string> reexec_args(std::vector<std::string> argv, const RuntimeOptions& options) {
  if (argv.empty() || !options.wasm_runner.empty()) return argv;
  try {
    argv.insert(argv.begin() + 1, "--wasm-runner=" + runtime::wasm_runner_path(options));
  } catch (const Error&) {
    // Already a sealed copy: it was given the path, or has none to give.
  }
  return argv;
}

const char* level_name(LogLevel level) {
  static constexpr std::array names{"debug", "info", "warning", "error"};
  return names.at(static_cast<std::size_t>(level));
}

// RFC 3339 with nanoseconds, UTC: 2026-11-25T09:33:29.123456789Z.
std::string now_rfc3339() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc{};
  gmtime_r(&ts.tv_sec, &utc);
  std::array<char, 64> buf{};
  const std::size_t n = strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::array<char, 16> frac{};
  snprintf(frac.data(), frac.size(), ".%09ldZ", static_cast<long>(ts.tv_nsec));
  return std::string(buf.data(), n) + frac.data();
}

// Go's %q, which logrus uses for values that need quoting.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

}  // namespace

void Logger::configure(const Globals& globals) {
  json_ = globals.log_format == "json";
  threshold_ = globals.debug ? LogLevel::Debug : LogLevel::Info;
  if (!globals.log_file.empty()) {
    const int fd = ::open(globals.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) throw_errno("opening log file " + globals.log_file);
    file_.reset(fd);
  } else if (!globals.debug) {
    threshold_ = LogLevel::Warning;  // keep a terminal quiet unless asked
  }
}

std::string Logger::format(LogLevel level, std::string_view message) const {
  if (json_) {
    const nlohmann::json entry = {{"level", level_name(level)}, {"msg", message}, {"time", now_rfc3339()}};
    return entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return "time=\"" + now_rfc3339() + "\" level=" + level_name(level) + " msg=" + quote(message) + "\n";
}

void Logger::write_line(int fd, const std::string& line) const {
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a logging failure
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

void Logger::log(LogLevel level, std::string_view message) {
  if (level < threshold_) return;
  if (file_) return write_line(file_.get(), format(level, message));
  // No log file: stderr, as JSON when that was asked for, else plainly.
  if (json_) return write_line(STDERR_FILENO, format(level, message));
  const std::string prefix = level == LogLevel::Error ? "skiff: " : std::string("skiff: ") + level_name(level) + ": ";
  write_line(STDERR_FILENO, prefix + std::string(message) + "\n");
}

Runtime Context::runtime() const {
  RuntimeOptions options;
  const ConfigFile file = load_config_file(globals.config);
  apply_config_file(file, options);
  // A flag wins over the file; the file over the flag's default.
  auto pick = [&](const char* flag, std::string& option, const std::string& value, const auto& from_file) {
    if (globals.given.count(flag) > 0 || !from_file) option = value;
  };
  pick("--root", options.root, globals.root, file.root);
  pick("--wasm-cache", options.wasm_cache_dir, globals.wasm_cache, file.wasm_cache);
  pick("--wasm-runner", options.wasm_runner, globals.wasm_runner, file.wasm_runner);
  options.reexec_args = reexec_args(globals.argv, options);
  options.log = [&logger = logger](LogLevel level, std::string_view message) { logger.log(level, message); };
  return Runtime(std::move(options));
}

void Logger::error(std::string_view message) {
  log(LogLevel::Error, message);
  if (file_) write_line(STDERR_FILENO, "skiff: " + std::string(message) + "\n");
}

}  // namespace skiff::cli
