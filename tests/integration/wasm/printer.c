// A WASI preview 1 command that only prints (tests/integration/wasm_direct_wasi_test.cpp):
// it imports only what skiff-wasm answers without Wasmtime's WASI
// (src/wasm/wasmtime_direct_wasi.hpp). Built twice: as is, and with
// -DWASMTIME_FDS, whose extra import (fd_sync, never called) leaves every
// call to Wasmtime's WASI. Both must print the same. argv[1]:
//   report          what fd_fdstat_get, fd_write, fd_seek and fd_close answer
//                   on stdio, the preopened root (fd 3) and fds never opened;
//                   the args, the environment, the clocks, random_get,
//                   sched_yield and proc_raise
//   exit STATUS     proc_exit(STATUS)
//   bad-clock       clock_time_get of a clock that does not exist (traps)
//   bad-pointer     clock_time_get into memory that does not exist (traps)
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

static void report_strings(const char* what, __wasi_errno_t (*sizes)(__wasi_size_t*, __wasi_size_t*),
                           __wasi_errno_t (*get)(uint8_t**, uint8_t*)) {
  __wasi_size_t count = 0, bytes = 0;
  __wasi_errno_t error = sizes(&count, &bytes);
  char line[300];
  snprintf(line, sizeof line, "%s: errno %d count %lu bytes %lu\n", what, error, (unsigned long)count,
           (unsigned long)bytes);
  out(1, line);
  uint8_t* pointers[64];
  uint8_t buffer[4096];
  if (count > 64 || bytes > sizeof buffer) return;
  error = get(pointers, buffer);
  for (__wasi_size_t i = 0; i < count; i++) {
    snprintf(line, sizeof line, "  [%lu] at +%ld: %s\n", (unsigned long)i, (long)(pointers[i] - buffer),
             (const char*)pointers[i]);
    out(1, line);
  }
}

static void report_clocks(void) {
  for (int id = 0; id <= 3; id++) {
    __wasi_timestamp_t resolution = 0, time = 0;
    __wasi_errno_t res_error = __wasi_clock_res_get((__wasi_clockid_t)id, &resolution);
    __wasi_errno_t time_error = __wasi_clock_time_get((__wasi_clockid_t)id, 1, &time);
    char line[200];
    // The values themselves differ from run to run: what they are like.
    snprintf(line, sizeof line, "clock %d: res errno %d res %llu, time errno %d since 2020 %d under a minute %d\n",
             id, res_error, (unsigned long long)resolution, time_error, time > 1577836800000000000ull,
             time < 60000000000ull);
    out(1, line);
  }
}

// Gone from wasi-libc's headers, still in WASI preview 1.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t proc_raise(int32_t signal);
enum { kSignalTerm = 15 };

static void report_others(void) {
  uint8_t random[32] = {0};
  __wasi_errno_t error = __wasi_random_get(random, sizeof random);
  int nonzero = 0;
  for (size_t i = 0; i < sizeof random; i++) nonzero |= random[i];
  say("random: errno %ld nonzero %ld\n", error, nonzero != 0);
  say("sched_yield: errno %ld, proc_raise: errno %ld\n", __wasi_sched_yield(), proc_raise(kSignalTerm));
}

static int report(void) {
  report_strings("args", __wasi_args_sizes_get, __wasi_args_get);
  report_strings("environ", __wasi_environ_sizes_get, __wasi_environ_get);
  report_clocks();
  report_others();
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
  if (argc >= 2 && strcmp(argv[1], "report") == 0) return report();
  if (argc == 3 && strcmp(argv[1], "spin") == 0) return spin(atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "exit") == 0) __wasi_proc_exit((__wasi_exitcode_t)atoi(argv[2]));
  __wasi_timestamp_t time;
  if (argc == 2 && strcmp(argv[1], "bad-clock") == 0) return __wasi_clock_time_get(7, 1, &time);
  if (argc == 2 && strcmp(argv[1], "bad-pointer") == 0)
    return __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (__wasi_timestamp_t*)0xfffffff8);
  out(2, "printer: report | exit STATUS | bad-clock | bad-pointer | spin SECONDS\n");
  return 2;
}
