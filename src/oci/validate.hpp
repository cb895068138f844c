// Checks that span several fields of a parsed spec (namespaces vs. mappings,
// hostname, sysctl, time offsets, seccomp notify, id-mapped mounts).
// Internal to oci/; parse_spec() calls it.
#pragma once

#include "oci/spec.hpp"

namespace skiff::oci::detail {

void validate_spec(const Spec& spec);

}  // namespace skiff::oci::detail
