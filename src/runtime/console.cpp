#include "runtime/console.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "util/error.hpp"
#include "util/unix_socket.hpp"

namespace skiff::runtime {

namespace {

// Restores the terminal settings of stdin when it goes out of scope.
class RawTerminal {
 public:
  RawTerminal() {
    if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// Returns false on EOF or error of either side.
bool copy_once(int from, int to) {
  char buffer[16384];
  ssize_t n = ::read(from, buffer, sizeof buffer);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(to, buffer + done, static_cast<size_t>(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += w;
  }
  return true;
}

}  // namespace

UniqueFd connect_console_socket(const std::string& path) { return connect_unix(path, "--console-socket"); }

UniqueFd receive_fd(int socket) {
  char byte;
  UniqueFd fd;
  if (receive_with_fd(socket, &byte, 1, fd) <= 0) throw_errno("console: receiving the pty master");
  if (!fd) throw Error("console: no pty master received");
  return fd;
}

void proxy_console(int master) {
  winsize ws;
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
  RawTerminal raw;
  pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {master, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!copy_once(master, STDOUT_FILENO)) return;  // EIO: the container closed its side
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!copy_once(STDIN_FILENO, master)) fds[0].fd = -1;  // stdin ended: keep reading output
    }
  }
}

}  // namespace skiff::runtime
