// Signal names and numbers, as `skiff kill` and the shim take them.
#include <csignal>

#include <catch2/catch.hpp>
#include <string>

#include "skiff/skiff.hpp"
#include "util/signals.hpp"

using skiff::parse_signal;
using skiff::signal_name;

TEST_CASE("signals parse by name, SIG name, any case, and number", "[signals]") {
  CHECK(parse_signal("KILL") == SIGKILL);
  CHECK(parse_signal("SIGKILL") == SIGKILL);
  CHECK(parse_signal("kill") == SIGKILL);
  CHECK(parse_signal("sigterm") == SIGTERM);
  CHECK(parse_signal("9") == 9);
  CHECK(parse_signal("15") == SIGTERM);
  CHECK(parse_signal("HUP") == SIGHUP);
  CHECK(parse_signal("WINCH") == SIGWINCH);
  CHECK(parse_signal("SIGCHLD") == SIGCHLD);
  CHECK(parse_signal("CLD") == SIGCHLD);
  CHECK(parse_signal("IOT") == SIGABRT);
  CHECK(parse_signal("POLL") == SIGIO);
  CHECK(parse_signal("64") == 64);
  CHECK(parse_signal("32") == 32);  // reserved by glibc, still a kernel signal
}

TEST_CASE("real-time signals parse relative to SIGRTMIN and SIGRTMAX", "[signals]") {
  CHECK(parse_signal("RTMIN") == SIGRTMIN);
  CHECK(parse_signal("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK(parse_signal("rtmin+0") == SIGRTMIN);
  CHECK(parse_signal("SIGRTMAX") == SIGRTMAX);
  CHECK(parse_signal("RTMAX-2") == SIGRTMAX - 2);
  CHECK_THROWS_WITH(parse_signal("RTMIN+99"), "unknown signal \"RTMIN+99\"");
  CHECK_THROWS_WITH(parse_signal("RTMAX+1"), "unknown signal \"RTMAX+1\"");
  CHECK_THROWS_WITH(parse_signal("RTMIN-1"), "unknown signal \"RTMIN-1\"");
  CHECK_THROWS_WITH(parse_signal("RTMIN+"), "unknown signal \"RTMIN+\"");
}

TEST_CASE("unknown signals fail with the text given", "[signals]") {
  CHECK_THROWS_AS(parse_signal("FOO"), skiff::Error);
  CHECK_THROWS_WITH(parse_signal("FOO"), "unknown signal \"FOO\"");
  CHECK_THROWS_WITH(parse_signal("SIG"), "unknown signal \"SIG\"");
  CHECK_THROWS_WITH(parse_signal(""), "unknown signal \"\"");
  CHECK_THROWS_WITH(parse_signal("0"), "unknown signal \"0\"");
  CHECK_THROWS_WITH(parse_signal("65"), "unknown signal \"65\"");
  CHECK_THROWS_WITH(parse_signal("9x"), "unknown signal \"9x\"");
  CHECK_THROWS_WITH(parse_signal("-9"), "unknown signal \"-9\"");
  CHECK_THROWS_WITH(parse_signal("99999999999999999999"), "unknown signal \"99999999999999999999\"");
}

TEST_CASE("signal_name is the inverse of parse_signal", "[signals]") {
  CHECK(std::string(signal_name(SIGKILL)) == "SIGKILL");
  CHECK(std::string(signal_name(SIGTERM)) == "SIGTERM");
  CHECK(std::string(signal_name(SIGRTMIN)) == "SIGRTMIN");
  CHECK(std::string(signal_name(SIGRTMIN + 1)) == "SIGRTMIN+1");
  CHECK(std::string(signal_name(SIGRTMAX - 1)) == "SIGRTMAX-1");
  CHECK(std::string(signal_name(SIGRTMAX)) == "SIGRTMAX");
  CHECK(signal_name(0) == nullptr);
  CHECK(signal_name(65) == nullptr);
  CHECK(signal_name(-1) == nullptr);
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    const char* name = signal_name(sig);
    if (!name) continue;  // 32, 33: glibc's own
    INFO(name);
    CHECK(parse_signal(name) == sig);
  }
  for (const auto& s : skiff::standard_signals()) CHECK(parse_signal(s.name) == s.number);
  CHECK(skiff::standard_signals().size() == 31);
}
