// Device nodes and the standard /dev symlinks inside the rootfs.
#pragma once

#include <vector>

#include "oci/spec.hpp"

namespace skiff::mounts {

// null, zero, full, random, urandom, tty: 0666, owned by root.
const std::vector<oci::Device>& default_devices();

// Create each device under the rootfs: mknod, or (bind == true, or mknod not
// permitted, e.g. in a user namespace) a bind mount of the host's node onto an
// empty file. An existing node is left as it is.
void create_devices(int root_fd, const std::vector<oci::Device>& devices, bool bind);

// /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr (and /dev/core when the host
// has /proc/kcore); /dev/ptmx -> pts/ptmx when with_ptmx.
void create_dev_symlinks(int root_fd, bool with_ptmx);

}  // namespace skiff::mounts
