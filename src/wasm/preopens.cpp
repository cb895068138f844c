#include "wasm/preopens.hpp"

#include <set>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace skiff::wasm {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool has_dot_dot(std::string_view path) {
  for (std::string_view part : split(path, '/'))
    if (part == "..") return true;
  return false;
}

void check_path(const std::string& path, const char* field, const std::string& where) {
  if (path.empty() || path.front() != '/')
    throw Error(where + ": " + field + " \"" + path + "\" is not an absolute path");
  if (has_dot_dot(path)) throw Error(where + ": " + field + " \"" + path + "\" contains \"..\"");
}

// One entry: guest=GUEST[:dir=DIR][:ro|:rw].
WasmPreopen parse_entry(std::string_view entry, const std::string& where) {
  if (entry.empty()) throw Error(where + ": empty entry");
  WasmPreopen preopen;
  bool access_given = false;
  for (std::string_view field : split(entry, ':')) {
    if (field == "ro" || field == "rw") {
      if (access_given) throw Error(where + ": \"ro\"/\"rw\" given twice");
      preopen.read_only = field == "ro";
      access_given = true;
    } else if (field.starts_with("guest=") && preopen.guest.empty()) {
      preopen.guest = field.substr(6);
    } else if (field.starts_with("dir=") && preopen.dir.empty()) {
      preopen.dir = field.substr(4);
    } else {
      throw Error(where + ": unknown or repeated field \"" + std::string(field) +
                  "\" (expected guest=GUEST[:dir=DIR][:ro|:rw])");
    }
  }
  if (preopen.guest.empty()) throw Error(where + ": guest=GUEST is required");
  if (preopen.dir.empty()) preopen.dir = preopen.guest;
  return preopen;
}

}  // namespace

std::vector<WasmPreopen> parse_preopens_annotation(const std::string& value) {
  const std::string name = "annotation " + std::string(kPreopensAnnotation);
  std::vector<WasmPreopen> preopens;
  if (value.empty()) return preopens;
  int index = 0;
  for (std::string_view entry : split(value, ',')) {
    const std::string where = name + ", entry " + std::to_string(++index) + " \"" + std::string(entry) + "\"";
    preopens.push_back(parse_entry(entry, where));
    check_preopens({preopens.back()}, where);
  }
  check_preopens(preopens, name);
  return preopens;
}

void check_preopens(const std::vector<WasmPreopen>& preopens, const std::string& where) {
  std::set<std::string> guests;
  for (const auto& preopen : preopens) {
    check_path(preopen.guest, "guest", where);
    check_path(preopen.dir, "dir", where);
    if (!guests.insert(preopen.guest).second)
      throw Error(where + ": guest \"" + preopen.guest + "\" appears twice");
  }
}

std::vector<WasmPreopen> container_preopens(const std::map<std::string, std::string>& annotations,
                                            const std::optional<std::vector<WasmPreopen>>& defaults) {
  auto it = annotations.find(std::string(kPreopensAnnotation));
  if (it != annotations.end()) return parse_preopens_annotation(it->second);
  if (defaults) return *defaults;
  return {{"/", "/", false}};
}

std::string preopens_to_json(const std::vector<WasmPreopen>& preopens) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : preopens) out.push_back({{"guest", p.guest}, {"dir", p.dir}, {"readOnly", p.read_only}});
  return out.dump();
}

std::vector<WasmPreopen> preopens_from_json(const std::string& text) {
  std::vector<WasmPreopen> preopens;
  try {
    for (const auto& p : nlohmann::json::parse(text))
      preopens.push_back({p.at("guest").get<std::string>(), p.at("dir").get<std::string>(), p.at("readOnly").get<bool>()});
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("wasm preopens from the runtime: ") + e.what());
  }
  return preopens;
}

}  // namespace skiff::wasm
