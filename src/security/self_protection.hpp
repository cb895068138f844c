// Keeping the container away from the runtime's own binary (CVE-2019-5736:
// a container process opened /proc/<runc>/exe and overwrote runc on the host).
//
// Every process we clone toward a container is non-dumpable from its first
// instruction until it execs (init.cpp, create.cpp, exec.cpp): then
// /proc/<pid>/exe of it cannot be opened (not even O_PATH) by anything that
// lacks CAP_SYS_PTRACE in the host's user namespace. We never re-exec our
// binary after the clone, so that is the only window, and it covers every
// container with a user namespace or without CAP_SYS_PTRACE (the default).
//
// A container that can hold CAP_SYS_PTRACE over the host's user namespace
// (no user namespace and the capability in its bounding set), or that shares
// a pid namespace with processes we know nothing about, passes that check.
// For those only, the caller re-executes itself once from a sealed memfd copy
// of its binary (as crun does) before it starts anything: /proc/<pid>/exe of
// every process it then clones is the sealed copy, which no one can write.
// The copy costs ~0.7 ms for a stripped binary and ~240 ms for a debug build
// (76 MB), which is why the common case does without it.
//
// The one binary of ours that runs in a container after an exec is the wasm
// runner `skiff-wasm` (dumpable once the module runs): the runtime hands its
// init a detached read-only bind mount of the file, or for the containers
// above a sealed copy (runtime/wasm_runner.hpp).
#pragma once

#include <string>
#include <vector>

#include "oci/spec.hpp"
#include "util/fd.hpp"

namespace skiff::security {

// Could a process of this container (or the extra process exec starts in
// it) open /proc/<pid>/exe of a non-dumpable process of ours?
bool container_can_reach_runtime(const oci::Spec& spec, const oci::Process* exec_process = nullptr);

// Is /proc/self/exe a sealed (unwritable) memfd?
bool running_from_sealed_copy();

// A sealed (unwritable), executable memfd copy of the file at path, opened
// close-on-exec; `what` names it in errors ("the runtime binary").
UniqueFd sealed_copy(const std::string& path, const std::string& what);

// execve argv (with the current environment) from a sealed memfd copy of
// /proc/self/exe. Only returns by throwing.
[[noreturn]] void reexec_from_sealed_copy(const std::vector<std::string>& argv);

// Re-execute from the sealed copy when the container needs it, argv is
// given and we do not already run from one; else return at once.
void protect_runtime_binary(const oci::Spec& spec, const oci::Process* exec_process,
                            const std::vector<std::string>& argv);

}  // namespace skiff::security
