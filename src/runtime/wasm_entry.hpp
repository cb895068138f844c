// The init's side of WebAssembly containers: decide during setup whether
// args[0] is a module (src/wasm/detect.hpp), compile it while the init still
// reports errors to `create`, and run it at `start` in place of execve.
#pragma once

#include <memory>

#include "oci/spec.hpp"
#include "security/seccomp.hpp"
#include "wasm/engine.hpp"

namespace skiff::runtime {

// The compiled entrypoint, or null when it runs natively. Called after the
// rootfs is final and before any credential or seccomp change; throws an
// Error naming the module when it cannot be compiled. The cache may be null.
std::unique_ptr<wasm::Program> load_wasm_entrypoint(const oci::Spec& spec, wasm::CompileCache* cache);

// Close every fd from 3 + preserve_fds up except `keep` (the init's sync
// socket, exec.fifo and the host's procfs, closed at start): no execve will
// close them for us.
void close_inherited_fds(int preserve_fds, std::vector<int> keep);

// Run the module as the container's process and _exit with its code.
[[noreturn]] void run_wasm_entrypoint(wasm::Program& program, const oci::Process& process,
                                      const security::SeccompProgram* seccomp);

}  // namespace skiff::runtime
