// skiff update: change a container's resource limits, from runc's flags or
// from a linux.resources JSON document (-r FILE, "-" for stdin).
#include <cctype>
#include <map>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {
namespace {

struct UpdateArgs {
  std::vector<std::string> args;
  std::string resources_file;
  // flag name (without --) -> value as given
  std::map<std::string, std::string> values;
};

enum class Kind { Integer, Bytes, Text };

// runc's update flags and where they land in linux.resources.
struct Flag {
  const char* name;
  const char* section;
  const char* field;
  Kind kind;
  const char* help;
};

constexpr Flag kFlags[] = {
    {"blkio-weight", "blockIO", "weight", Kind::Integer, "per cgroup weight, range is from 10 to 1000"},
    {"cpu-period", "cpu", "period", Kind::Integer, "CPU CFS period (usecs), 0 for the system default"},
    {"cpu-quota", "cpu", "quota", Kind::Integer, "CPU CFS hardcap limit (usecs) per period"},
    {"cpu-share", "cpu", "shares", Kind::Integer, "CPU shares (relative weight vs. other containers)"},
    {"cpu-rt-period", "cpu", "realtimePeriod", Kind::Integer, "CPU realtime period (usecs)"},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", Kind::Integer, "CPU realtime hardcap limit (usecs)"},
    {"cpuset-cpus", "cpu", "cpus", Kind::Text, "CPU(s) to use"},
    {"cpuset-mems", "cpu", "mems", Kind::Text, "memory node(s) to use"},
    {"memory", "memory", "limit", Kind::Bytes, "memory limit (in bytes, or with a k/m/g suffix)"},
    {"memory-reservation", "memory", "reservation", Kind::Bytes, "memory reservation or soft limit"},
    {"memory-swap", "memory", "swap", Kind::Bytes, "total memory usage (memory + swap); -1 for unlimited"},
    {"pids-limit", "pids", "limit", Kind::Integer, "maximum number of pids allowed in the container"},
    {"l3-cache-schema", "", "", Kind::Text, "the Intel RDT/CAT L3 cache schema (not supported)"},
    {"mem-bw-schema", "", "", Kind::Text, "the Intel RDT/MBA memory bandwidth schema (not supported)"},
};

int64_t parse_integer(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const int64_t value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw UsageError("--" + flag + ": invalid value \"" + text + "\"");
}

// Docker's RAMInBytes: "512", "100k", "1.5g", "2GiB"; binary multiples.
int64_t parse_bytes(const std::string& flag, const std::string& text) {
  if (text == "-1") return -1;
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    throw UsageError("--" + flag + ": invalid size \"" + text + "\"");
  }
  std::string unit;
  for (char c : text.substr(used)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::map<std::string, double> kUnits{
      {"", 1}, {"b", 1}, {"k", 1024.0}, {"m", 1048576.0}, {"g", 1073741824.0}, {"t", 1099511627776.0}};
  for (const char* tail : {"ib", "b"}) {
    if (unit.size() > 1 && unit.ends_with(tail)) unit.resize(unit.size() - std::string_view(tail).size());
  }
  const auto found = kUnits.find(unit);
  if (found == kUnits.end() || number < 0) throw UsageError("--" + flag + ": invalid size \"" + text + "\"");
  return static_cast<int64_t>(number * found->second);
}

nlohmann::json read_resources(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(path);
    if (!in) throw_errno("opening " + path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_error(path == "-" ? "resources from stdin" : path, e.what());
  }
}

// The linux.resources document the flags describe.
nlohmann::json resources_from_flags(const std::map<std::string, std::string>& values) {
  nlohmann::json resources = nlohmann::json::object();
  for (const Flag& flag : kFlags) {
    const auto it = values.find(flag.name);
    if (it == values.end()) continue;
    if (*flag.section == '\0') throw UsageError(std::string("--") + flag.name + ": Intel RDT is not supported");
    auto& slot = resources[flag.section][flag.field];
    switch (flag.kind) {
      case Kind::Integer: slot = parse_integer(flag.name, it->second); break;
      case Kind::Bytes: slot = parse_bytes(flag.name, it->second); break;
      case Kind::Text: slot = it->second; break;
    }
  }
  return resources;
}

// runc spells it --cpu-share; --cpu-shares (the spec's field) is accepted too.
std::string flag_names(const Flag& flag) {
  std::string names = std::string("--") + flag.name;
  if (std::string_view(flag.name) == "cpu-share") names += ",--cpu-shares";
  return names;
}

}  // namespace

Action add_update(CLI::App& app) {
  auto a = std::make_shared<UpdateArgs>();
  CLI::App* cmd = app.add_subcommand("update", "update container resource constraints");
  add_args(*cmd, a->args, "container-id");
  cmd->add_option("-r,--resources", a->resources_file,
                  "path to the file containing the resources to update or '-' to read from the standard input");
  for (const Flag& flag : kFlags) {
    cmd->add_option_function<std::string>(
        flag_names(flag), [a, name = std::string(flag.name)](const std::string& v) { a->values[name] = v; },
        flag.help);
  }
  cmd->footer("With -r, the file holds a runtime-spec linux.resources object and the other flags are ignored.");
  return [a, cmd](Context& ctx) -> int {
    require_exactly(*cmd, a->args, 1);
    const nlohmann::json resources =
        a->resources_file.empty() ? resources_from_flags(a->values) : read_resources(a->resources_file);
    ctx.logger.log(LogLevel::Debug, "update " + a->args[0] + ": " + resources.dump());
    ctx.runtime().update(a->args[0], resources.dump());
    return 0;
  };
}

}  // namespace skiff::cli
