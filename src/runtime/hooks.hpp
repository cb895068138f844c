// OCI hooks: each runs with the container state JSON on its stdin and is
// killed when its timeout passes.
#pragma once

#include <string>
#include <vector>

#include "oci/spec.hpp"

namespace skiff::runtime {

// Run hooks in order; the first failure throws "hooks.<kind>[i] (<path>): <cause>".
void run_hooks(const std::vector<oci::Hook>& hooks, const char* kind, const std::string& state_json);

// Whether any hook runs while the container is created (prestart,
// createRuntime, createContainer, startContainer): only then do the runtime
// and the init stop for them (RunHooks, HooksDone).
bool has_creation_hooks(const oci::Hooks& hooks);

// Run every hook even when some fail (poststart, poststop); returns one
// message per failure for the caller to log as a warning.
std::vector<std::string> run_hooks_all(const std::vector<oci::Hook>& hooks, const char* kind,
                                       const std::string& state_json);

}  // namespace skiff::runtime
