// User namespaces for idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP).
#pragma once

#include <vector>

#include "oci/spec.hpp"
#include "util/fd.hpp"

namespace skiff::mounts {

// An fd of a new user namespace with these maps ("containerID hostID size"
// lines, as the mount's uidMappings/gidMappings give them). A short-lived
// child holds the namespace while the maps are written; it is reaped here.
UniqueFd make_userns(const std::vector<oci::IdMapping>& uids,
                     const std::vector<oci::IdMapping>& gids);

}  // namespace skiff::mounts
