// Compiled seccomp programs, cached by profile under the runtime's root dir.
//
// containerd and Kubernetes start many containers with one profile, and
// libseccomp's compile is the largest CPU cost of a container start (~2.5 ms
// for Docker's profile). An entry holds its whole key (the binary that
// compiled it, libseccomp's version, the kernel release and the profile's
// JSON) before the program: a hit needs the key equal byte for byte, so a
// clash of file names only costs a compile. Entries are only trusted in a
// directory and files owned by us and writable by no one else.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "security/seccomp.hpp"

namespace skiff::security {

// compile_seccomp(profile), or the program cached in cache_dir for the same
// key. profile_json is linux.seccomp as given in config.json. A cache that
// cannot be read or written is skipped: never an error of its own.
SeccompProgram compile_seccomp_cached(const oci::Seccomp& profile, const std::string& profile_json,
                                      const std::string& cache_dir);

// The entry format, exposed for the unit tests. A cache dir whose name
// starts with a dot can never clash with a container id.
std::string cache_entry(const std::string& key, const SeccompProgram& program);
std::optional<SeccompProgram> program_from_entry(std::string_view entry, const std::string& key);

}  // namespace skiff::security
