// Version information: skiff::version_text() (`skiff --version`).
#include <seccomp.h>

#include <string>

#include "skiff/skiff.hpp"

namespace skiff {

std::string version_text() {
  const scmp_version* seccomp = seccomp_version();
  std::string text = "skiff version " SKIFF_VERSION "\n";
  text += "spec: 1.2.0\n";
  text += "libseccomp: " + std::to_string(seccomp->major) + "." + std::to_string(seccomp->minor) + "." +
          std::to_string(seccomp->micro) + "\n";
  // Only what is enforced today; seccomp is parsed and validated, applied by the security issue.
  text += "features: +CAP +USERNS +TIMENS +CGROUPS_V1 +CGROUPS_V2 +CGROUPS_V2_DEVICES_EBPF -SECCOMP\n";
  return text;
}

}  // namespace skiff
