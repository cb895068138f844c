// The runtime's side of seccomp, shared by create and exec: compile the
// container's profile before anything is created, load it at the right
// stage in the container process, and hand a notify listener to its agent.
#pragma once

#include <sys/types.h>

#include <optional>

#include "oci/spec.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"
#include "security/seccomp.hpp"
#include "skiff/skiff.hpp"

namespace skiff::runtime {

// The compiled linux.seccomp of spec, or none; its warnings go to the log.
std::optional<security::SeccompProgram> container_seccomp(const oci::Spec& spec,
                                                          const RuntimeOptions& options);

// In the container process: load the filter if `stage` is its stage; a
// notify listener fd goes to the runtime over sync (SyncType::SeccompFd).
void load_seccomp_at(const security::SeccompProgram* seccomp, const oci::Process& process,
                     security::SeccompStage stage, const SyncSocket& sync);

// In the runtime: send a listener fd received from the container process
// `pid` to linux.seccomp.listenerPath with the container's state.
void forward_seccomp_listener(const oci::Spec& spec, const SavedState& saved, Status status,
                              pid_t pid, int listener);

}  // namespace skiff::runtime
