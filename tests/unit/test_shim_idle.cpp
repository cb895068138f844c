// The shim gives memory back when its loop goes quiet: the idle callback runs
// once per quiet spell, and the trim unmaps the binary's read-only pages.
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "shim/event_loop.hpp"
#include "shim/idle.hpp"
#include "util/fd.hpp"

using skiff::UniqueFd;
using skiff::shim::EventLoop;

namespace {

long status_kb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

}  // namespace

TEST_CASE("the idle callback runs once the loop is quiet, once per quiet spell") {
  EventLoop loop;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  UniqueFd reader(fds[0]), writer(fds[1]);
  int idles = 0, reads = 0;
  loop.add(reader.get(), EPOLLIN, [&](uint32_t) {
    char c;
    while (::read(reader.get(), &c, 1) == 1) ++reads;
    if (reads == 1) REQUIRE(::write(writer.get(), "y", 1) == 1);  // busy again before quiet
  });
  loop.on_idle(50, [&] {
    ++idles;
    if (idles == 1) REQUIRE(::write(writer.get(), "z", 1) == 1);  // a new spell of work...
    if (idles == 2) loop.stop();                                  // ...then quiet again
  });
  REQUIRE(::write(writer.get(), "x", 1) == 1);
  loop.run();
  CHECK(reads == 3);
  CHECK(idles == 2);
}

TEST_CASE("releasing idle memory unmaps the binary's read-only pages, which fault back in") {
  long before = status_kb("RssFile");
  size_t dropped = skiff::shim::release_idle_memory();
  long after = status_kb("RssFile");
  CHECK(dropped > 0);
  CHECK(after < before);
  // The code runs on as before: its pages come back from the page cache.
  CHECK(skiff::shim::release_idle_memory() == dropped);
}
