// process.scheduler, process.ioPriority and linux.personality: set by the
// container process itself before it drops its privileges (raising a
// priority needs CAP_SYS_NICE / CAP_SYS_ADMIN); all three survive execve.
#pragma once

#include "oci/spec.hpp"

namespace skiff::security {

// Throws naming the field when the kernel refuses a value.
void apply_process_attributes(const oci::Process& process, const oci::Spec& spec);

}  // namespace skiff::security
