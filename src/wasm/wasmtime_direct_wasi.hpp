// WASI preview 1 for a module that only prints, answered without Wasmtime's
// WASI (core modules; wasmtime_engine.cpp).
//
// Wasmtime's WASI costs a cached start more than the module's whole run:
// - defining its ~46 functions in a linker (~130 us), and its context in
//   the store;
// - fd_write and every other call that may block run on a tokio runtime it
//   starts on first use: a worker thread, an epoll instance and an eventfd,
//   and then a process of two threads to tear down at exit (~0.3 ms).
//
// So when a module imports nothing of WASI that reaches files, directories,
// stdin or sockets (see covers()), every call it imports is ours, and the
// module is linked with those alone. Its fds are the container's stdio
// (0-2) and the preopened directories (3 on), and nothing can open another.
// We answer as Wasmtime's WASI 48 does (wasmtime-wasi's p1.rs), to the errno
// and the trap: a pointer out of bounds or misaligned traps, an unknown enum
// value is EINVAL; fds 1 and 2 are written straight away.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <wasmtime.h>

#include "wasm/engine.hpp"
#include "wasm/wasmtime_util.hpp"

namespace skiff::wasm::wt {

class DirectWasi {
 public:
  // Whether all of a module's imports are WASI calls we answer, and it
  // exports its memory.
  static bool covers(const ModuleInterface& interface);

  // Defines in linker the calls the module imports. We must outlive every
  // instance linked with them.
  void define(wasmtime_linker_t& linker, const ModuleInterface& interface);

  // Before an instance runs: the args, env and preopens of config (throws
  // Error, as Wasmtime's WASI refuses them, for args or env not UTF-8); fds
  // 0-2 are the container's stdio, as they are now (a tty or not); the
  // monotonic clock starts at 0.
  void reset(const RunConfig& config);

  // The status the module gave proc_exit, once it has (its call then ends
  // with a trap).
  std::optional<int> exit_status() const { return exit_status_; }

 private:
  enum class Fd : uint8_t { Closed, Stdin, Stdout, Stderr, Directory };
  struct Definition;
  static const std::array<Definition, 14> kDefinitions;

  Fd fd(int32_t number) const;

  // Each call is a wasmtime_func_callback_t: self is the DirectWasi.
  using Call = wasm_trap_t*(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t nargs,
                            wasmtime_val_t* results, size_t nresults);
  static Call fd_write, fd_fdstat_get, fd_close, fd_seek;
  static Call args_get, args_sizes_get, environ_get, environ_sizes_get;
  static Call clock_res_get, clock_time_get, random_get, sched_yield, proc_exit, proc_raise;

  std::vector<Fd> fds_;
  std::array<bool, 3> tty_{};
  std::vector<std::string> args_;     // as the module gets them: NUL-terminated
  std::vector<std::string> environ_;  // "NAME=value" (value may be empty), NUL-terminated
  uint64_t monotonic_start_ = 0;      // ns of CLOCK_MONOTONIC at reset()
  std::optional<int> exit_status_;
};

}  // namespace skiff::wasm::wt
