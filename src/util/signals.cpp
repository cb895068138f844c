#include "util/signals.hpp"

#include <csignal>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "skiff/skiff.hpp"

namespace skiff {
namespace {

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD},   {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},       {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

constexpr SignalName kAliases[] = {
    {"IOT", SIGIOT}, {"POLL", SIGPOLL}, {"CLD", SIGCHLD}, {"UNUSED", SIGSYS},
};

constexpr int kMaxSignal = 64;  // SIGRTMAX on Linux (_NSIG - 1)

// Names for every number, built once: the real-time range depends on libc.
const std::array<std::string, kMaxSignal + 1>& name_table() {
  static const auto table = [] {
    std::array<std::string, kMaxSignal + 1> names;
    for (const auto& s : kSignals) names[s.number] = std::string("SIG") + s.name;
    const int lo = SIGRTMIN;
    const int hi = SIGRTMAX;
    for (int sig = lo; sig <= hi && sig <= kMaxSignal; ++sig) {
      // Like `kill -l`: the lower half counts up from RTMIN, the upper half down from RTMAX.
      if (sig == lo) names[sig] = "SIGRTMIN";
      else if (sig == hi) names[sig] = "SIGRTMAX";
      else if (sig - lo <= (hi - lo) / 2) names[sig] = "SIGRTMIN+" + std::to_string(sig - lo);
      else names[sig] = "SIGRTMAX-" + std::to_string(hi - sig);
    }
    return names;
  }();
  return table;
}

std::optional<int> parse_number(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "RTMIN", "RTMIN+3", "RTMAX-2".
std::optional<int> parse_realtime(std::string_view name) {
  const int lo = SIGRTMIN;
  const int hi = SIGRTMAX;
  int base = 0;
  int sign = 0;
  if (name.starts_with("RTMIN")) {
    base = lo;
    sign = 1;
  } else if (name.starts_with("RTMAX")) {
    base = hi;
    sign = -1;
  } else {
    return std::nullopt;
  }
  name.remove_prefix(5);
  if (name.empty()) return base;
  if (name.front() != (sign > 0 ? '+' : '-')) return std::nullopt;
  auto offset = parse_number(name.substr(1));
  if (!offset) return std::nullopt;
  int sig = base + sign * *offset;
  if (sig < lo || sig > hi) return std::nullopt;
  return sig;
}

std::optional<int> lookup(std::string_view name) {
  for (const auto& table : {std::span<const SignalName>(kSignals), std::span<const SignalName>(kAliases)})
    for (const auto& s : table)
      if (name == s.name) return s.number;
  return parse_realtime(name);
}

}  // namespace

std::span<const SignalName> standard_signals() { return kSignals; }

const char* signal_name(int sig) {
  if (sig < 1 || sig > kMaxSignal) return nullptr;
  const std::string& name = name_table()[sig];
  return name.empty() ? nullptr : name.c_str();
}

int parse_signal(std::string_view text) {
  auto unknown = [&]() -> Error { return Error("unknown signal \"" + std::string(text) + "\""); };
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
    auto number = parse_number(text);
    // Any number the kernel takes, including the libc-reserved 32 and 33.
    if (!number || *number < 1 || *number > kMaxSignal) throw unknown();
    return *number;
  }
  std::string name(text);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string_view bare(name);
  if (bare.starts_with("SIG")) bare.remove_prefix(3);
  auto sig = lookup(bare);
  if (!sig) throw unknown();
  return *sig;
}

}  // namespace skiff
