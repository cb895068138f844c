// skiff events: a container's OOM notifications and usage statistics as
// runc's JSON lines: {"type":"stats","id":...,"data":{...}}, {"type":"oom","id":...}.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

// A Go duration as runc takes it: "5s", "250ms", "1m30s", "1.5h".
std::chrono::milliseconds parse_interval(const std::string& text) {
  static constexpr struct {
    std::string_view unit;
    double ms;
  } kUnits[] = {{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1},
                {"s", 1e3},   {"m", 6e4},   {"h", 3.6e6}};
  auto invalid = [&] { return UsageError("--interval: invalid duration \"" + text + "\""); };
  double total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t used = 0;
    double number = 0;
    try {
      number = std::stod(text.substr(pos), &used);
    } catch (const std::exception&) {
      throw invalid();
    }
    pos += used;
    size_t end = pos;
    while (end < text.size() && !std::isdigit(static_cast<unsigned char>(text[end])) &&
           text[end] != '.')
      ++end;
    std::string_view unit(text.data() + pos, end - pos);
    const auto* found = std::find_if(std::begin(kUnits), std::end(kUnits),
                                     [&](const auto& u) { return u.unit == unit; });
    if (found == std::end(kUnits) || number < 0) throw invalid();
    total += number * found->ms;
    pos = end;
  }
  if (text.empty() || total < 1) throw UsageError("--interval: must be at least 1ms");
  return std::chrono::milliseconds(static_cast<int64_t>(total));
}

void print_event(std::string_view type, const std::string& id, std::string_view data) {
  nlohmann::json event = {{"type", type}, {"id", id}};
  if (!data.empty()) event["data"] = nlohmann::json::parse(data);
  std::cout << event.dump() << std::endl;  // one flushed line per event
}

}  // namespace

Action add_events(CLI::App& app) {
  struct Args {
    std::vector<std::string> args;
    std::string interval = "5s";
    bool stats = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics");
  add_args(*cmd, a->args, "container-id");
  cmd->add_option("--interval", a->interval, "set the stats collection interval (default: 5s)");
  cmd->add_flag("--stats", a->stats, "display the container's stats then exit");
  return [a, cmd](Context& ctx) {
    require_exactly(*cmd, a->args, 1);
    const std::string& id = a->args[0];
    auto interval = parse_interval(a->interval);
    // The stream starts with a stats event; --stats stops after it. Either way
    // a stopped container is refused, as runc does.
    ctx.runtime().events(id, interval, [&](std::string_view type, std::string_view data) {
      print_event(type, id, data);
      return !a->stats && static_cast<bool>(std::cout);
    });
    return 0;
  };
}

}  // namespace skiff::cli
