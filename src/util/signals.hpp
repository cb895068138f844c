// Signal names <-> numbers. skiff::parse_signal() (include/skiff/skiff.hpp)
// is the parser; this header adds the reverse lookup and the table itself.
#pragma once

#include <span>

namespace skiff {

struct SignalName {
  const char* name;  // without the "SIG" prefix: "KILL"
  int number;
};

// The standard signals (SIGHUP..SIGSYS) with their canonical names; aliases
// such as IOT, POLL and CLD are accepted by parse_signal but not listed here.
std::span<const SignalName> standard_signals();

// "SIGKILL" for 9; real-time signals as `kill -l` prints them ("SIGRTMIN",
// "SIGRTMIN+3", "SIGRTMAX-2", "SIGRTMAX"). nullptr when sig is not a signal.
const char* signal_name(int sig);

}  // namespace skiff
