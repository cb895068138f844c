// Version information: `skiff --version` and skiff::version_text().
#include <seccomp.h>

#include <string>

#include "skiff/skiff.hpp"

#ifndef SKIFF_VERSION
#define SKIFF_VERSION "0.1.0"  // the skiff target does not get the project's definition
#endif

namespace skiff {

std::string version_text() {
  const scmp_version* seccomp = seccomp_version();
  std::string text = "skiff version " SKIFF_VERSION "\n";
  text += "spec: 1.2.0\n";
  text += "libseccomp: " + std::to_string(seccomp->major) + "." + std::to_string(seccomp->minor) + "." +
          std::to_string(seccomp->micro) + "\n";
  text += "features: +SECCOMP +CAP +CGROUPS_V1 +CGROUPS_V2 +YAML\n";
  return text;
}

}  // namespace skiff
