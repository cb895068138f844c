// Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached
// to the container's cgroup (v2 has no devices.allow/deny files).
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "cgroups/resources.hpp"

namespace skiff::cgroups {

// The filter for rules in spec order: the last matching rule decides, and a
// device no rule matches is denied (the v1 driver starts from "deny all" too). An allow rule
// matches when it grants all the requested access; a deny rule when it names any of it (so "deny w"
// after "allow rwm" really stops writes).
std::vector<bpf_insn> device_filter(const std::vector<DeviceRule>& rules);

// Load the program and attach it to the cgroup directory fd, replacing the
// filters an earlier apply() attached there. field prefixes the errors.
void attach_device_filter(int cgroup_fd, const std::vector<bpf_insn>& program,
                          const std::string& field);

}  // namespace skiff::cgroups
