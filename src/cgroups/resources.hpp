// linux.resources -> the cgroup files to write, one plan per cgroup version.
//
// Planning validates the whole block before anything is written, so a typo in
// the last field does not leave half the limits applied. Each write carries
// the JSON field it came from; the drivers put it in front of any error:
//   linux.resources.memory.limit: writing memory.limit_in_bytes: Device or resource busy
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::cgroups {

struct Write {
  std::string field;       // "linux.resources.memory.limit"
  std::string controller;  // the controller owning the file ("memory")
  std::string file;        // "memory.limit_in_bytes"
  std::string value;
  bool v2 = false;         // on a hybrid host: goes to the cgroup2 hierarchy
  bool if_exists = false;  // skip silently when the kernel lacks the file
  // Non-empty: nothing to write on this cgroup version, and why (the caller
  // warns, as runc drops these fields on cgroup v2).
  std::string ignored;
};

// The warnings for a plan's ignored fields ("<field>: <why>").
std::vector<std::string> ignored_warnings(const std::vector<Write>& writes);

// What the planner may ask the cgroup about (current values, optional files).
class Probe {
 public:
  virtual ~Probe() = default;
  // The content of a control file, nullopt when it does not exist.
  [[nodiscard]] virtual std::optional<std::string> read(std::string_view controller,
                                                        std::string_view file) const = 0;
  // Whether a v1 hierarchy holds the controller (always false on cgroup v2).
  [[nodiscard]] virtual bool has_v1(std::string_view controller) const = 0;
};

inline constexpr const char* kResources = "linux.resources";

std::vector<Write> plan_v1(const nlohmann::json& resources, const Probe& probe);
std::vector<Write> plan_v2(const nlohmann::json& resources, const Probe& probe);

// A device cgroup rule from linux.resources.devices, validated.
struct DeviceRule {
  bool allow = false;
  char type = 'a';     // a, b or c
  int64_t major = -1;  // -1: any
  int64_t minor = -1;
  std::string access = "rwm";
};
std::vector<DeviceRule> parse_device_rules(const nlohmann::json& resources);

// Typed access to one JSON object with the path for messages.
class Field {
 public:
  Field(const nlohmann::json& json, std::string path) : json_(json), path_(std::move(path)) {}
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string path(std::string_view key) const {
    return path_ + "." + std::string(key);
  }
  [[nodiscard]] bool has(std::string_view key) const;
  // The member as JSON (null when absent).
  [[nodiscard]] nlohmann::json raw(std::string_view key) const {
    const auto* v = member(key);
    return v ? *v : nlohmann::json();
  }
  // Member names of the object, in order.
  [[nodiscard]] std::vector<std::string> keys() const;
  [[nodiscard]] std::optional<int64_t> int64(std::string_view key) const;
  [[nodiscard]] std::optional<uint64_t> uint64(std::string_view key) const;
  [[nodiscard]] std::optional<bool> boolean(std::string_view key) const;
  [[nodiscard]] std::optional<std::string> string(std::string_view key) const;
  // A member that must be an object (nullopt when absent or null).
  [[nodiscard]] std::optional<Field> object(std::string_view key) const;
  // A member that must be an array (empty when absent or null).
  [[nodiscard]] std::vector<Field> array(std::string_view key) const;

 private:
  [[nodiscard]] const nlohmann::json* member(std::string_view key) const;
  const nlohmann::json& json_;
  std::string path_;
};

}  // namespace skiff::cgroups
