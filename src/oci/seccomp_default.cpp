#include "oci/seccomp_default.hpp"

#include <seccomp.h>

#include <algorithm>

#include "oci/tables.hpp"

namespace skiff::oci {

extern const std::string_view kDefaultSeccompProfileJson;

namespace {

using ojson = nlohmann::ordered_json;

bool listed(const ojson& rule, const char* key, std::string_view value) {
  if (!rule.contains(key)) return false;
  const auto& list = rule[key];
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool has(const std::vector<std::string>& capabilities, const ojson& rule, const char* key) {
  std::string cap = rule.value(key, "");
  return std::find(capabilities.begin(), capabilities.end(), cap) != capabilities.end();
}

// A rule applies when each of its conditions holds.
bool applies(const ojson& rule, const std::vector<std::string>& capabilities,
             std::string_view arch) {
  if (rule.contains("withCapability") && !has(capabilities, rule, "withCapability")) return false;
  if (rule.contains("withoutCapability") && has(capabilities, rule, "withoutCapability"))
    return false;
  if (rule.contains("onArch") && !listed(rule, "onArch", arch)) return false;
  return !listed(rule, "notOnArch", arch);
}

ojson oci_rule(const ojson& rule) {
  ojson out = {{"names", rule["names"]}};
  std::string action = rule["action"];
  out["action"] = action == "allow" ? "SCMP_ACT_ALLOW" : "SCMP_ACT_ERRNO";
  if (rule.contains("errnoRet")) out["errnoRet"] = rule["errnoRet"];
  if (rule.contains("args")) out["args"] = rule["args"];
  return out;
}

}  // namespace

std::string native_seccomp_arch() {
  uint32_t native = seccomp_arch_native();
  for (const auto& arch : seccomp_archs())
    if (seccomp_arch_resolve_name(std::string(arch.libseccomp).c_str()) == native)
      return std::string(arch.name);
  return {};
}

ojson default_seccomp(const std::vector<std::string>& capabilities, std::string_view native_arch) {
  std::string arch = native_arch.empty() ? native_seccomp_arch() : std::string(native_arch);
  const ojson data = ojson::parse(kDefaultSeccompProfileJson);
  ojson profile = {{"defaultAction", data["defaultAction"]},
                   {"defaultErrnoRet", data["defaultErrnoRet"]}};
  const auto& archs = data["architectures"];
  profile["architectures"] = archs.contains(arch) ? archs[arch] : ojson::array({arch});
  ojson syscalls = ojson::array();
  for (const auto& rule : data["rules"])
    if (applies(rule, capabilities, arch)) syscalls.push_back(oci_rule(rule));
  profile["syscalls"] = std::move(syscalls);
  return profile;
}

}  // namespace skiff::oci
