#include "oci/json_read.hpp"

#include <limits>

#include "util/error.hpp"

namespace skiff::oci::detail {
namespace {

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string path = parent;
  path += '.';
  path += key;
  return path;
}

template <typename Int>
Int checked_unsigned(const Node& node) {
  const json& v = node.value();
  // Parsed non-negative literals are number_unsigned; values built in code may
  // be number_integer, so accept those when not negative.
  bool ok = v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
  if (!ok) node.fail("expected an unsigned integer");
  auto raw = v.get<uint64_t>();
  if (raw > std::numeric_limits<Int>::max())
    node.fail("value " + std::to_string(raw) + " is out of range");
  return static_cast<Int>(raw);
}

template <typename Int>
Int checked_signed(const Node& node) {
  const json& v = node.value();
  if (!v.is_number_integer()) node.fail("expected an integer");
  if (v.is_number_unsigned()) {
    auto raw = v.get<uint64_t>();
    if (raw > static_cast<uint64_t>(std::numeric_limits<Int>::max()))
      node.fail("value " + std::to_string(raw) + " is out of range");
    return static_cast<Int>(raw);
  }
  auto raw = v.get<int64_t>();
  if (raw < std::numeric_limits<Int>::min() || raw > std::numeric_limits<Int>::max())
    node.fail("value " + std::to_string(raw) + " is out of range");
  return static_cast<Int>(raw);
}

}  // namespace

void Node::fail(std::string_view message) const {
  throw_error(path_.empty() ? std::string_view("config.json") : std::string_view(path_), message);
}

void Node::require() const {
  if (!present()) fail("required");
}

void Node::expect_object() const {
  if (present() && !value_->is_object()) fail("expected an object");
}

void Node::expect_array() const {
  if (present() && !value_->is_array()) fail("expected an array");
}

Node Node::operator[](std::string_view key) const {
  std::string path = child_path(path_, key);
  if (!present()) return Node(nullptr, std::move(path));
  expect_object();
  auto it = value_->find(key);
  return Node(it == value_->end() ? nullptr : &*it, std::move(path));
}

std::vector<Node> Node::elements() const {
  std::vector<Node> out;
  if (!present()) return out;
  expect_array();
  out.reserve(value_->size());
  for (size_t i = 0; i < value_->size(); ++i)
    out.emplace_back(&(*value_)[i], path_ + "[" + std::to_string(i) + "]");
  return out;
}

std::vector<std::pair<std::string, Node>> Node::members() const {
  std::vector<std::pair<std::string, Node>> out;
  if (!present()) return out;
  expect_object();
  for (const auto& [key, member] : value_->items())
    out.emplace_back(key, Node(&member, child_path(path_, key)));
  return out;
}

void Node::read(std::string& out) const {
  if (!present()) return;
  if (!value_->is_string()) fail("expected a string");
  out = value_->get<std::string>();
}

void Node::read(bool& out) const {
  if (!present()) return;
  if (!value_->is_boolean()) fail("expected a boolean");
  out = value_->get<bool>();
}

void Node::read(int& out) const {
  if (present()) out = checked_signed<int>(*this);
}

void Node::read(int64_t& out) const {
  if (present()) out = checked_signed<int64_t>(*this);
}

void Node::read(uint32_t& out) const {
  if (present()) out = checked_unsigned<uint32_t>(*this);
}

void Node::read(uint64_t& out) const {
  if (present()) out = checked_unsigned<uint64_t>(*this);
}

void Node::read(json& out) const {
  if (present()) out = *value_;
}

void Node::read(std::vector<std::string>& out) const {
  if (!present()) return;
  std::vector<std::string> values;
  for (const auto& element : elements()) {
    if (!element.present()) element.fail("expected a string");
    std::string value;
    element.read(value);
    values.push_back(std::move(value));
  }
  out = std::move(values);
}

void Node::read(std::vector<uint32_t>& out) const {
  if (!present()) return;
  std::vector<uint32_t> values;
  for (const auto& element : elements()) {
    if (!element.present()) element.fail("expected an unsigned integer");
    uint32_t value = 0;
    element.read(value);
    values.push_back(value);
  }
  out = std::move(values);
}

void Node::read(std::map<std::string, std::string>& out) const {
  if (!present()) return;
  std::map<std::string, std::string> values;
  for (const auto& [key, member] : members()) {
    if (!member.present()) member.fail("expected a string");
    std::string value;
    member.read(value);
    values.emplace(key, std::move(value));
  }
  out = std::move(values);
}

}  // namespace skiff::oci::detail
