// Internal helpers shared by the lifecycle operations.
#pragma once

#include <memory>
#include <string>

#include "cgroups/cgroup.hpp"
#include "runtime/state.hpp"
#include "skiff/skiff.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

// The state JSON hooks get on stdin (runtime-spec "state").
std::string hook_state_json(const SavedState& saved, Status status);

// The recorded cgroup of a container, or nullptr when none was recorded.
std::unique_ptr<cgroups::Cgroup> container_cgroup(const SavedState& saved);
bool container_frozen(const SavedState& saved);
// The status now: the recorded one corrected by the init's liveness and the freezer.
Status live_status(const StateStore& store, const SavedState& saved);

// A pidfd for the init, valid only while it is the very process we started.
UniqueFd open_init(const SavedState& saved);

// Block until the process behind pidfd exits (reaping it when it is ours).
void wait_for_exit(pid_t pid, int pidfd);

void log(const RuntimeOptions& options, LogLevel level, const std::string& message);

// The operations behind Runtime's, on a state already loaded: `run` chains
// them without reading state.json back after every step.
SavedState create_container(const RuntimeOptions& options, const std::string& id, const CreateOptions& create);
// saved must be a created container.
void start_container(const RuntimeOptions& options, const StateStore& store, const SavedState& saved);
// The init's exit code (it must be our child), or -1 when it was not ours to reap.
int wait_container(const SavedState& saved);
void remove_container(const RuntimeOptions& options, const StateStore& store, const SavedState& saved,
                      bool force);

}  // namespace skiff::runtime
