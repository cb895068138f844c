// The fds of a WASI preview 1 module that only prints, answered without
// Wasmtime's WASI (core modules; wasmtime_engine.cpp).
//
// Wasmtime's WASI runs fd_write, and every other call that may block, on a
// tokio runtime it starts on first use: a worker thread, an epoll instance
// and an eventfd, and then a process of two threads to tear down at exit.
// For a module that only prints, that is ~0.3 ms of the container's start.
//
// So when a module imports nothing of WASI that reaches files, directories,
// stdin or sockets (see covers()), its fd calls (fd_write, fd_fdstat_get,
// fd_close, fd_seek) are ours: its fds are the container's stdio (0-2) and
// the preopened directories (3 on), and nothing can open another. We answer
// as Wasmtime's WASI does, to the errno and the trap, and write to fds 1
// and 2 straight away. Every other call (args, env, clocks, random,
// proc_exit) stays Wasmtime's, and a module importing more gets all of it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <wasmtime.h>

namespace skiff::wasm::wt {

class DirectStdio {
 public:
  // Whether module's WASI imports are all ones we or Wasmtime answer
  // without touching Wasmtime's fd table, and it exports its memory.
  static bool covers(const wasmtime_module_t& module);

  // Defines our fd calls over those wasmtime_linker_define_wasi put in
  // linker. We must outlive every instance linked with them.
  void define(wasmtime_linker_t& linker);

  // Before an instance runs: fds 0-2 are the container's stdio, as they are
  // now (a tty or not), and then preopens directories.
  void reset(size_t preopens);

 private:
  enum class Fd : uint8_t { Closed, Stdin, Stdout, Stderr, Directory };
  struct Definition;
  static const std::array<Definition, 4> kDefinitions;

  static wasm_trap_t* fd_write(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t nargs,
                               wasmtime_val_t* results, size_t nresults);
  static wasm_trap_t* fd_fdstat_get(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args,
                                    size_t nargs, wasmtime_val_t* results, size_t nresults);
  static wasm_trap_t* fd_close(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t nargs,
                               wasmtime_val_t* results, size_t nresults);
  static wasm_trap_t* fd_seek(void* self, wasmtime_caller_t* caller, const wasmtime_val_t* args, size_t nargs,
                              wasmtime_val_t* results, size_t nresults);

  Fd fd(int32_t number) const;

  std::vector<Fd> fds_;
  std::array<bool, 3> tty_{};
};

}  // namespace skiff::wasm::wt
