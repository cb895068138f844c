#include "cgroups/default_devices.hpp"

namespace skiff::cgroups {

namespace {

struct DefaultRule {
  const char* type;
  int64_t major;  // -1: any
  int64_t minor;
  const char* access;
};

// runc's AllowedDevices (libcontainer/specconv), crun has the same list.
constexpr DefaultRule kDefaultRules[] = {
    {"c", -1, -1, "m"},    {"b", -1, -1, "m"},                         // mknod anything
    {"c", 1, 3, "rwm"},    {"c", 1, 8, "rwm"},    {"c", 1, 7, "rwm"},  // null random full
    {"c", 5, 0, "rwm"},    {"c", 1, 5, "rwm"},    {"c", 1, 9, "rwm"},  // tty zero urandom
    {"c", 5, 1, "rwm"},    {"c", 136, -1, "rwm"}, {"c", 5, 2, "rwm"},  // console pts ptmx
    {"c", 10, 200, "rwm"},                                             // net/tun
};

nlohmann::json rule(const std::string& type, int64_t major, int64_t minor,
                    const std::string& access) {
  return {{"allow", true}, {"type", type}, {"major", major}, {"minor", minor}, {"access", access}};
}

}  // namespace

nlohmann::json effective_resources(const oci::Linux& linux_config) {
  nlohmann::json resources =
      linux_config.resources.is_null() ? nlohmann::json::object() : linux_config.resources;
  if (!resources.is_object()) return resources;  // apply() reports the type error
  nlohmann::json& devices = resources["devices"];
  if (devices.is_null()) devices = nlohmann::json::array();
  if (!devices.is_array()) return resources;
  for (const auto& r : kDefaultRules) devices.push_back(rule(r.type, r.major, r.minor, r.access));
  // Only c and b nodes are device-cgroup checked; fifos (p) and u need no rule.
  for (const auto& d : linux_config.devices) {
    char type = d.type == 'u' ? 'c' : d.type;
    if (type == 'c' || type == 'b')
      devices.push_back(rule(std::string(1, type), d.major, d.minor, "rwm"));
  }
  return resources;
}

}  // namespace skiff::cgroups
