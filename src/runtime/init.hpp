// The container's init: the code a freshly cloned child runs to isolate
// itself, wait for `start`, and exec the container's process.
#pragma once

#include <array>
#include <string>

#include "mounts/rootfs.hpp"
#include "oci/spec.hpp"
#include "runtime/sync.hpp"
#include "runtime/wasm_entry.hpp"
#include "security/seccomp.hpp"
#include "security/procfs.hpp"

namespace skiff::runtime {

struct InitConfig {
  const oci::Spec* spec = nullptr;
  mounts::RootfsContext rootfs;
  SyncSocket* sync = nullptr;  // the child's end
  const security::Procfs* procfs = nullptr;  // the runtime's verified /proc
  int fifo_fd = -1;            // exec.fifo, open read-write
  int console_fd = -1;         // connected console socket, or -1
  std::array<int, 3> stdio{-1, -1, -1};  // made our 0..2 first (-1: inherited)
  int preserve_fds = 0;
  const security::SeccompProgram* seccomp = nullptr;  // compiled by the parent, or none
  bool no_new_keyring = false;
  // Namespaces the clone left out, for the init to make while the runtime
  // makes its cgroup (none when a user namespace must own them).
  uint64_t unshare_flags = 0;
  bool join_cgroups = false;      // v1: the runtime sends the hierarchies to join (CgroupJoin)
  bool wait_for_parent = false;   // id maps pending: wait for MapsWritten
  bool unshare_cgroupns = false;  // v1: create the cgroup namespace once placed in the cgroup
  // The wasm runner, opened before the clone when the spec looked like wasm
  // (WasmRequests::offer); null: the init asks for it if it finds a module.
  WasmRunnerOffer* wasm_runner = nullptr;
};

// Never returns: execs the container process or _exits after reporting the
// failure to the parent over the sync socket.
[[noreturn]] void run_init(const InitConfig& config);

}  // namespace skiff::runtime
