#include "cgroups/stats.hpp"

#include <unistd.h>

#include <limits>
#include <map>
#include <sstream>

#include "cgroups/files.hpp"

namespace skiff::cgroups {

namespace {

using Json = nlohmann::json;
using Counters = std::map<std::string, uint64_t>;
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();  // runc's "max"

// "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat).
Counters parse_counters(const std::optional<std::string>& text) {
  Counters out;
  if (!text) return out;
  std::istringstream in(*text);
  std::string key;
  uint64_t value;
  while (in >> key >> value) out[key] = value;
  return out;
}

// A single number; "max" is unlimited; nullopt when the file is missing.
std::optional<uint64_t> number(const Probe& probe, std::string_view controller,
                               std::string_view file) {
  auto text = probe.read(controller, file);
  if (!text) return std::nullopt;
  std::string value = trim(*text);
  if (value == "max") return kUnlimited;
  try {
    return std::stoull(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

uint64_t get(const Counters& c, const std::string& key) {
  auto it = c.find(key);
  return it == c.end() ? 0 : it->second;
}

void put(Json& obj, const char* key, std::optional<uint64_t> value) {
  if (value) obj[key] = *value;
}

Json memory_entry(const Probe& probe, const std::string& prefix) {
  Json entry = Json::object();
  put(entry, "usage", number(probe, "memory", prefix + "usage_in_bytes"));
  put(entry, "max", number(probe, "memory", prefix + "max_usage_in_bytes"));
  put(entry, "limit", number(probe, "memory", prefix + "limit_in_bytes"));
  put(entry, "failcnt", number(probe, "memory", prefix + "failcnt"));
  return entry;
}

Json pids(const Probe& probe) {
  Json out = Json::object();
  put(out, "current", number(probe, "pids", "pids.current"));
  if (auto limit = number(probe, "pids", "pids.max"))
    out["limit"] = *limit == kUnlimited ? 0 : *limit;
  return out;
}

void add_section(Json& stats, const char* key, Json section) {
  if (!section.empty()) stats[key] = std::move(section);
}

Json throttling(const Counters& cpu_stat, uint64_t time_ns) {
  Json out = Json::object();
  if (cpu_stat.count("nr_periods")) {
    out["periods"] = get(cpu_stat, "nr_periods");
    out["throttledPeriods"] = get(cpu_stat, "nr_throttled");
    out["throttledTime"] = time_ns;
  }
  return out;
}

}  // namespace

Json stats_v1(const Probe& probe) {
  Json stats = Json::object();
  Json cpu = Json::object();
  Json usage = Json::object();
  put(usage, "total", number(probe, "cpuacct", "cpuacct.usage"));
  if (auto percpu = probe.read("cpuacct", "cpuacct.usage_percpu")) {
    std::istringstream in(*percpu);
    Json list = Json::array();
    for (uint64_t v; in >> v;) list.push_back(v);
    usage["percpu"] = list;
  }
  auto user = number(probe, "cpuacct", "cpuacct.usage_user");
  auto sys = number(probe, "cpuacct", "cpuacct.usage_sys");
  if (!user || !sys) {  // older kernels: clock ticks in cpuacct.stat
    auto ticks = parse_counters(probe.read("cpuacct", "cpuacct.stat"));
    uint64_t ns_per_tick = 1000000000ULL / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    if (ticks.count("user"))
      user = get(ticks, "user") * ns_per_tick, sys = get(ticks, "system") * ns_per_tick;
  }
  put(usage, "user", user);
  put(usage, "kernel", sys);
  if (!usage.empty()) cpu["usage"] = usage;
  auto cpu_stat = parse_counters(probe.read("cpu", "cpu.stat"));
  add_section(cpu, "throttling", throttling(cpu_stat, get(cpu_stat, "throttled_time")));
  add_section(stats, "cpu", cpu);

  Json memory = Json::object();
  add_section(memory, "usage", memory_entry(probe, "memory."));
  add_section(memory, "swap", memory_entry(probe, "memory.memsw."));
  add_section(memory, "kernel", memory_entry(probe, "memory.kmem."));
  if (auto raw = parse_counters(probe.read("memory", "memory.stat")); !raw.empty()) {
    memory["raw"] = raw;
    memory["cache"] = get(raw, "cache");
  }
  add_section(stats, "memory", memory);
  add_section(stats, "pids", pids(probe));
  return stats;
}

Json stats_v2(const Probe& probe) {
  Json stats = Json::object();
  auto cpu_stat = parse_counters(probe.read("cpu", "cpu.stat"));
  if (!cpu_stat.empty()) {
    Json cpu = {{"usage",
                 {{"total", get(cpu_stat, "usage_usec") * 1000},
                  {"user", get(cpu_stat, "user_usec") * 1000},
                  {"kernel", get(cpu_stat, "system_usec") * 1000}}}};
    add_section(cpu, "throttling", throttling(cpu_stat, get(cpu_stat, "throttled_usec") * 1000));
    stats["cpu"] = cpu;
  }

  Json memory = Json::object();
  if (auto current = number(probe, "memory", "memory.current")) {
    uint64_t limit = number(probe, "memory", "memory.max").value_or(kUnlimited);
    Json usage = {{"usage", *current}, {"limit", limit}};
    put(usage, "max", number(probe, "memory", "memory.peak"));  // kernel 5.19+
    usage["failcnt"] = get(parse_counters(probe.read("memory", "memory.events")), "max");
    memory["usage"] = usage;
    // As runc: v1's memsw counted memory + swap, so report it that way.
    if (auto swap = number(probe, "memory", "memory.swap.current")) {
      uint64_t swap_limit = number(probe, "memory", "memory.swap.max").value_or(kUnlimited);
      memory["swap"] = {
          {"usage", *swap + *current},
          {"limit",
           swap_limit == kUnlimited || limit == kUnlimited ? kUnlimited : swap_limit + limit}};
    }
  }
  if (auto raw = parse_counters(probe.read("memory", "memory.stat")); !raw.empty()) {
    memory["raw"] = raw;
    memory["cache"] = get(raw, "file");
  }
  add_section(stats, "memory", memory);
  add_section(stats, "pids", pids(probe));
  return stats;
}

uint64_t oom_kills_v1(const Probe& probe) {
  return get(parse_counters(probe.read("memory", "memory.oom_control")), "oom_kill");
}

uint64_t oom_kills_v2(const Probe& probe) {
  return get(parse_counters(probe.read("memory", "memory.events")), "oom_kill");
}

}  // namespace skiff::cgroups
