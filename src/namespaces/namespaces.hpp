// Linux namespaces for a container: which to create, which to join, the
// user namespace id maps and the time namespace offsets.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "oci/spec.hpp"

namespace skiff::namespaces {

// CLONE_NEW* flags of the namespaces the config asks to create (no path).
uint64_t new_namespace_flags(const oci::Linux* linux);
// Whether any namespace is joined by path.
bool joins_namespaces(const oci::Linux* linux);
// setns into every namespace given by path: user first so the others are
// joined with its privileges, mount last. Throws naming linux.namespaces[i].
void join_namespaces(const oci::Linux& linux);
// Write /proc/<pid>/uid_map and gid_map for a new user namespace.
void write_id_maps(pid_t pid, const oci::Linux& linux);
// In the init: create a time namespace, set its offsets, and enter it.
void enter_new_time_namespace(const oci::Linux& linux);
// Join every namespace of a running process (exec): the ones that differ
// from ours, through its pidfd. The pid namespace applies to our children.
void join_process_namespaces(pid_t pid, int pidfd);

}  // namespace skiff::namespaces
