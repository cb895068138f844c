// Typed reads from nlohmann::json that name the JSON path on every error
// ("process.user.uid: expected an unsigned integer"). Internal to oci/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace skiff::oci::detail {

using nlohmann::json;

// A JSON value (possibly absent) and the path that names it.
class Node {
 public:
  Node(const json* value, std::string path) : value_(value), path_(std::move(path)) {}

  [[nodiscard]] const std::string& path() const { return path_; }
  // Present and not null: JSON null counts as absent, as in Go's decoder.
  [[nodiscard]] bool present() const { return value_ != nullptr && !value_->is_null(); }
  [[nodiscard]] const json& value() const { return *value_; }

  // A member of an object (the member may be absent); fails unless this is an object.
  Node operator[](std::string_view key) const;
  // The elements of an array; fails unless this is an array.
  [[nodiscard]] std::vector<Node> elements() const;
  // The members of an object, in key order; fails unless this is an object.
  [[nodiscard]] std::vector<std::pair<std::string, Node>> members() const;

  [[noreturn]] void fail(std::string_view message) const;
  void require() const;  // fails with "required" when absent
  void expect_object() const;
  void expect_array() const;

  // Each read leaves `out` untouched when the value is absent.
  void read(std::string& out) const;
  void read(bool& out) const;
  void read(int& out) const;
  void read(int64_t& out) const;
  void read(uint32_t& out) const;
  void read(uint64_t& out) const;
  void read(json& out) const;  // raw copy
  void read(std::vector<std::string>& out) const;
  void read(std::vector<uint32_t>& out) const;
  void read(std::map<std::string, std::string>& out) const;
  template <typename T>
  void read(std::optional<T>& out) const {
    if (!present()) return;
    T value{};
    read(value);
    out = std::move(value);
  }

  // read() that fails with "required" when absent.
  template <typename T>
  void read_required(T& out) const {
    require();
    read(out);
  }

 private:
  const json* value_;
  std::string path_;
};

}  // namespace skiff::oci::detail
