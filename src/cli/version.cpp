// Version information: `skiff --version` and skiff::version_text().
#include <seccomp.h>

#include <nlohmann/json.hpp>
#include <string>

#include "skiff/skiff.hpp"

namespace skiff {
namespace {

// libskiff is compiled with the project version (the skiff target is not) and
// publishes it in the features document.
std::string library_version() {
  const auto features = nlohmann::json::parse(features_json(), nullptr, false);
  const auto annotations = features.is_object() ? features.value("annotations", nlohmann::json::object())
                                                : nlohmann::json::object();
  return annotations.value("io.github.skiff.version", std::string("unknown"));
}

}  // namespace

std::string version_text() {
  const scmp_version* seccomp = seccomp_version();
  std::string text = "skiff version " + library_version() + "\n";
  text += "spec: 1.2.0\n";
  text += "libseccomp: " + std::to_string(seccomp->major) + "." + std::to_string(seccomp->minor) + "." +
          std::to_string(seccomp->micro) + "\n";
  text += "features: +SECCOMP +CAP +CGROUPS_V1 +CGROUPS_V2 +YAML\n";
  return text;
}

}  // namespace skiff
