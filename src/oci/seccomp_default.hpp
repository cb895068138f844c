// The default seccomp profile of `skiff spec`: our own data file
// (data/seccomp-default.json, compiled in) turned into a linux.seccomp object
// for a given capability set and architecture, like Docker's default.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::oci {

// capabilities: the container's bounding set ("CAP_SYS_ADMIN", ...);
// native_arch: "SCMP_ARCH_X86_64", ... (empty: the host's).
nlohmann::ordered_json default_seccomp(const std::vector<std::string>& capabilities,
                                       std::string_view native_arch = {});

// The host's architecture as an OCI name ("SCMP_ARCH_X86_64"), or "" if unknown.
std::string native_seccomp_arch();

}  // namespace skiff::oci
