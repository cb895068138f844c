// A WASI preview 1 command that only prints (tests/integration/wasm_stdio_test.cpp):
// it imports only what skiff-wasm answers without Wasmtime's fd table
// (src/wasm/wasmtime_stdio.hpp). Built twice: as is, and with
// -DWASMTIME_FDS, whose extra import (fd_sync, never called) leaves every fd
// call to Wasmtime's WASI. Both must print the same. argv[1]:
//   report          what fd_fdstat_get, fd_write, fd_seek and fd_close answer
//                   on stdio, the preopened root (fd 3) and fds never opened
//   spin SECONDS    ask fd_fdstat_get about stdout (printing could raise
//                   SIGPIPE: nobody reads a created container's output), then
//                   spin on the clock for SECONDS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static void out(int fd, const char* text) {
  __wasi_ciovec_t iov = {(const uint8_t*)text, strlen(text)};
  __wasi_size_t written;
  if (__wasi_fd_write(fd, &iov, 1, &written) != 0) return;
}

static void say(const char* format, long a, long b) {
  char line[200];
  snprintf(line, sizeof line, format, a, b);
  out(1, line);
}

static void report_fdstat(int fd) {
  __wasi_fdstat_t stat = {0};
  __wasi_errno_t error = __wasi_fd_fdstat_get(fd, &stat);
  char line[200];
  snprintf(line, sizeof line, "fdstat %d: errno %d filetype %d flags %d rights %llx/%llx\n", fd, error,
           stat.fs_filetype, stat.fs_flags, (unsigned long long)stat.fs_rights_base,
           (unsigned long long)stat.fs_rights_inheriting);
  out(1, line);
}

static __wasi_errno_t write_to(int fd, const char* text, __wasi_size_t* written) {
  __wasi_ciovec_t iov = {(const uint8_t*)text, strlen(text)};
  return __wasi_fd_write(fd, &iov, 1, written);
}

static void report_seek(int fd, int whence) {
  __wasi_filesize_t offset = 12345;
  __wasi_errno_t error = __wasi_fd_seek(fd, 0, (__wasi_whence_t)whence, &offset);
  say("seek %ld: errno %ld", fd, error);
  say(" offset %ld whence %ld\n", (long)offset, whence);
}

static int report(void) {
  for (int fd = 0; fd <= 4; fd++) report_fdstat(fd);
  __wasi_size_t written = 99;
  for (int fd = 0; fd <= 4; fd += 3) {
    __wasi_errno_t error = write_to(fd, "not written\n", &written);
    say("write %ld: errno %ld\n", fd, error);
  }
  // Only the first non-empty buffer is written per call.
  __wasi_ciovec_t iov[3] = {{(const uint8_t*)"", 0}, {(const uint8_t*)"ab", 2}, {(const uint8_t*)"cd\n", 3}};
  __wasi_errno_t error = __wasi_fd_write(1, iov, 3, &written);
  say("\nthree buffers: errno %ld written %ld\n", error, written);
  error = __wasi_fd_write(1, iov, 1, &written);
  say("empty: errno %ld written %ld\n", error, written);
  report_seek(1, __WASI_WHENCE_CUR);
  report_seek(3, __WASI_WHENCE_SET);
  report_seek(9, __WASI_WHENCE_END);
  __wasi_errno_t closed_4 = __wasi_fd_close(4);
  say("close 4: errno %ld, close 0: errno %ld\n", closed_4, __wasi_fd_close(0));
  say("close 0 again: errno %ld\n", __wasi_fd_close(0), 0);
  report_fdstat(0);
  out(2, "to stderr\n");
  say("close 1: errno %ld\n", __wasi_fd_close(1), 0);
  error = write_to(1, "lost\n", &written);
  __wasi_fdstat_t stat;
  char line[200];
  snprintf(line, sizeof line, "after closing 1: write errno %d, fdstat errno %d\n", error,
           __wasi_fd_fdstat_get(1, &stat));
  out(2, line);
  return 0;
}

static int spin(int seconds) {
  __wasi_fdstat_t stat;
  if (__wasi_fd_fdstat_get(1, &stat) != 0) return 1;
  __wasi_timestamp_t start = 0;
  if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &start) != 0) return 1;
  __wasi_timestamp_t now = start;
  while (now - start < (__wasi_timestamp_t)seconds * 1000000000ull)
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &now) != 0) return 1;
  return 0;
}

int main(int argc, char** argv) {
#ifdef WASMTIME_FDS
  if (argc > 1000) return __wasi_fd_sync(0);
#endif
  if (argc == 2 && strcmp(argv[1], "report") == 0) return report();
  if (argc == 3 && strcmp(argv[1], "spin") == 0) return spin(atoi(argv[2]));
  out(2, "printer: report | spin SECONDS\n");
  return 2;
}
