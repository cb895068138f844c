// The device rules a container gets besides linux.resources.devices, as runc
// and crun add them: mknod of anything, the standard /dev nodes (null, zero,
// full, random, urandom, tty, console, pts, ptmx, net/tun), and every node
// listed in linux.devices. They go after the spec's rules, so the spec's
// usual leading "deny all" does not lock the container out of /dev/null.
#pragma once

#include <nlohmann/json.hpp>

#include "oci/spec.hpp"

namespace skiff::cgroups {

// linux.resources with those rules appended to "devices" (the input is not
// changed). Pass the result to Cgroup::apply() when creating a container.
nlohmann::json effective_resources(const oci::Linux& linux_config);

}  // namespace skiff::cgroups
