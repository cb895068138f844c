// The spec's "cgroup" mount type.
//
// On a unified (v2) host it is a cgroup2 mount (a bind of the container's own
// cgroup when the kernel refuses a new one, as in a user namespace without a
// cgroup namespace). On v1/hybrid hosts it is what runc builds: a tmpfs at the
// destination with every host hierarchy beneath it, each either a bind of the
// container's cgroup in that hierarchy or, with a new cgroup namespace, a fresh
// mount of the hierarchy; read-only when the options say "ro".
#pragma once

#include <string>

#include "cgroups/layout.hpp"
#include "mounts/mount_options.hpp"

namespace skiff::mounts {

// host_layout: the hierarchies as the runtime read them, when our mount
// namespace is a copy of its (else read here).
void mount_cgroup(int root_fd, const std::string& destination, const MountOptions& options,
                  bool new_cgroup_ns, const cgroups::Layout* host_layout);

}  // namespace skiff::mounts
