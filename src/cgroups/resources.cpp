#include "cgroups/resources.hpp"

#include "util/error.hpp"

namespace skiff::cgroups {

const nlohmann::json* Field::member(std::string_view key) const {
  auto it = json_.find(key);
  if (it == json_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Field::has(std::string_view key) const { return member(key) != nullptr; }

std::vector<std::string> Field::keys() const {
  std::vector<std::string> names;
  for (const auto& item : json_.items()) names.push_back(item.key());
  return names;
}

std::optional<int64_t> Field::int64(std::string_view key) const {
  const auto* v = member(key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX))
    throw_error(path(key), "value out of range");
  if (!v->is_number_integer()) throw_error(path(key), "expected an integer");
  return v->get<int64_t>();
}

std::optional<uint64_t> Field::uint64(std::string_view key) const {
  const auto* v = member(key);
  if (!v) return std::nullopt;
  // Parsed JSON gives unsigned numbers; literals built in code are signed.
  if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0))
    throw_error(path(key), "expected a non-negative integer");
  return v->get<uint64_t>();
}

std::optional<bool> Field::boolean(std::string_view key) const {
  const auto* v = member(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw_error(path(key), "expected true or false");
  return v->get<bool>();
}

std::optional<std::string> Field::string(std::string_view key) const {
  const auto* v = member(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw_error(path(key), "expected a string");
  return v->get<std::string>();
}

std::optional<Field> Field::object(std::string_view key) const {
  const auto* v = member(key);
  if (!v) return std::nullopt;
  if (!v->is_object()) throw_error(path(key), "expected an object");
  return Field(*v, path(key));
}

std::vector<Field> Field::array(std::string_view key) const {
  std::vector<Field> items;
  const auto* v = member(key);
  if (!v) return items;
  if (!v->is_array()) throw_error(path(key), "expected an array");
  for (size_t i = 0; i < v->size(); ++i) {
    std::string item_path = path(key) + "[" + std::to_string(i) + "]";
    if (!(*v)[i].is_object()) throw_error(item_path, "expected an object");
    items.emplace_back((*v)[i], item_path);
  }
  return items;
}

std::vector<std::string> ignored_warnings(const std::vector<Write>& writes) {
  std::vector<std::string> warnings;
  for (const auto& w : writes)
    if (!w.ignored.empty()) warnings.push_back(w.field + ": " + w.ignored);
  return warnings;
}

std::vector<DeviceRule> parse_device_rules(const nlohmann::json& resources) {
  std::vector<DeviceRule> rules;
  if (!resources.is_object()) return rules;
  for (const auto& item : Field(resources, kResources).array("devices")) {
    DeviceRule rule;
    auto allow = item.boolean("allow");
    if (!allow) throw_error(item.path("allow"), "required");
    rule.allow = *allow;
    if (auto type = item.string("type")) {
      if (*type != "a" && *type != "b" && *type != "c")
        throw_error(item.path("type"), "must be \"a\", \"b\" or \"c\", not \"" + *type + "\"");
      rule.type = (*type)[0];
    }
    for (auto [key, out] : {std::pair{"major", &rule.major}, std::pair{"minor", &rule.minor}}) {
      if (auto n = item.int64(key)) {
        if (*n < -1) throw_error(item.path(key), "must be -1 (any) or a device number");
        *out = *n;
      }
    }
    if (auto access = item.string("access")) {
      if (access->empty() || access->find_first_not_of("rwm") != std::string::npos)
        throw_error(item.path("access"), "must be letters from \"rwm\", not \"" + *access + "\"");
      rule.access = *access;
    }
    rules.push_back(rule);
  }
  return rules;
}

}  // namespace skiff::cgroups
