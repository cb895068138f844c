// process.capabilities: the five capability sets, applied around the user
// switch exactly as runc does, so they survive a non-root uid.
#pragma once

#include "oci/spec.hpp"

namespace skiff::security {

// Before setresuid: drop what is not in the bounding set and keep the
// permitted set across the uid change.
void prepare_capabilities(const oci::Process& process);
// After setresuid: set effective, permitted, inheritable, then ambient.
void apply_capabilities(const oci::Process& process);

}  // namespace skiff::security
