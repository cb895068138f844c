// process.apparmorProfile and process.selinuxLabel: the label the process
// gets at its execve, written to /proc/<self>/attr through the runtime's
// verified procfs (a container could redirect its own /proc/self/attr).
// When the kernel has not enabled that LSM the field is a quiet no-op, as
// with runc: the same config runs on hosts with and without it.
#pragma once

#include "oci/spec.hpp"
#include "security/procfs.hpp"

namespace skiff::security {

bool apparmor_enabled();
bool selinux_enabled();

// Right before execve, after the user switch.
void apply_lsm_labels(const Procfs& procfs, const oci::Process& process);

}  // namespace skiff::security
