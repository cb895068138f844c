#include "cgroups/stats.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

// Host huge page sizes in the cgroup file spelling: "hugepages-2048kB" -> "2MB".
std::vector<std::string> huge_page_sizes() {
  std::vector<std::string> sizes;
  for (const auto& name : sub_dirs("/sys/kernel/mm/hugepages")) {
    if (!name.starts_with("hugepages-") || !name.ends_with("kB")) continue;
    uint64_t kb = std::strtoull(name.c_str() + 10, nullptr, 10);
    if (kb == 0) continue;
    sizes.push_back(kb % (1024 * 1024) == 0 ? std::to_string(kb / (1024 * 1024)) + "GB"
                    : kb % 1024 == 0        ? std::to_string(kb / 1024) + "MB"
                                            : std::to_string(kb) + "KB");
  }
  return sizes;
}

// {"2MB": {"usage", "max", "failcnt"}}; v2 names first (also a hybrid host's cgroup2), then v1.
Json hugetlb(const Probe& probe) {
  Json out = Json::object();
  for (const auto& size : huge_page_sizes()) {
    std::string prefix = "hugetlb." + size;
    Json entry = Json::object();
    if (auto current = number(probe, "hugetlb", prefix + ".current")) {
      entry["usage"] = *current;
      entry["failcnt"] = get(parse_counters(probe.read("hugetlb", prefix + ".events")), "max");
    } else if (auto usage = number(probe, "hugetlb", prefix + ".usage_in_bytes")) {
      entry["usage"] = *usage;
      put(entry, "max", number(probe, "hugetlb", prefix + ".max_usage_in_bytes"));
      entry["failcnt"] = number(probe, "hugetlb", prefix + ".failcnt").value_or(0);
    }
    if (!entry.empty()) out[size] = entry;
  }
  return out;
}

// "8:0 Read 4096" lines of a v1 blkio file (the "Total" line has no device).
Json blkio_entries_v1(const std::optional<std::string>& text) {
  Json out = Json::array();
  std::istringstream in(text.value_or(""));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string device, op;
    uint64_t value = 0;
    unsigned major = 0, minor = 0;
    if (!(fields >> device >> op >> value)) continue;
    if (std::sscanf(device.c_str(), "%u:%u", &major, &minor) != 2) continue;
    out.push_back({{"major", major}, {"minor", minor}, {"op", op}, {"value", value}});
  }
  return out;
}

Json blkio_v1(const Probe& probe) {
  Json out = Json::object();
  // CFQ/BFQ files when the scheduler fills them, else the throttle layer's counters.
  for (auto [key, suffix] : {std::pair{"ioServiceBytesRecursive", "io_service_bytes_recursive"},
                             std::pair{"ioServicedRecursive", "io_serviced_recursive"}}) {
    Json entries = blkio_entries_v1(probe.read("blkio", std::string("blkio.") + suffix));
    if (entries.empty())
      entries = blkio_entries_v1(probe.read("blkio", std::string("blkio.throttle.") + suffix));
    if (!entries.empty()) out[key] = entries;
  }
  return out;
}

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".
Json blkio_v2(const Probe& probe) {
  static constexpr struct {
    std::string_view key;
    const char* section;
    const char* op;
  } kIoStat[] = {{"rbytes", "ioServiceBytesRecursive", "Read"},
                 {"wbytes", "ioServiceBytesRecursive", "Write"},
                 {"dbytes", "ioServiceBytesRecursive", "Discard"},
                 {"rios", "ioServicedRecursive", "Read"},
                 {"wios", "ioServicedRecursive", "Write"},
                 {"dios", "ioServicedRecursive", "Discard"}};
  Json out = Json::object();
  std::istringstream in(probe.read("io", "io.stat").value_or(""));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string device, pair;
    unsigned major = 0, minor = 0;
    if (!(fields >> device) || std::sscanf(device.c_str(), "%u:%u", &major, &minor) != 2) continue;
    while (fields >> pair) {
      auto eq = pair.find('=');
      if (eq == std::string::npos) continue;
      for (const auto& k : kIoStat)
        if (pair.compare(0, eq, k.key) == 0)
          out[k.section].push_back({{"major", major},
                                    {"minor", minor},
                                    {"op", k.op},
                                    {"value", std::strtoull(pair.c_str() + eq + 1, nullptr, 10)}});
    }
  }
  return out;
}

// runc's event_count: memory.events on v2; v1 only counts OOM kills.
Json memory_events(const Counters& events) {
  return {{"low", get(events, "low")},
          {"high", get(events, "high")},
          {"max", get(events, "max")},
          {"oom", get(events, "oom")},
          {"oom_kill", get(events, "oom_kill")}};
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
  if (auto oom = parse_counters(probe.read("memory", "memory.oom_control")); !oom.empty())
    memory["event_count"] = memory_events({{"oom_kill", get(oom, "oom_kill")}});
  add_section(stats, "memory", memory);
  add_section(stats, "pids", pids(probe));
  add_section(stats, "blkio", blkio_v1(probe));
  add_section(stats, "hugetlb", hugetlb(probe));
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
  if (auto events = parse_counters(probe.read("memory", "memory.events")); !events.empty())
    memory["event_count"] = memory_events(events);
  add_section(stats, "memory", memory);
  add_section(stats, "pids", pids(probe));
  add_section(stats, "blkio", blkio_v2(probe));
  add_section(stats, "hugetlb", hugetlb(probe));
  return stats;
}

uint64_t oom_kills_v1(const Probe& probe) {
  return get(parse_counters(probe.read("memory", "memory.oom_control")), "oom_kill");
}

uint64_t oom_kills_v2(const Probe& probe) {
  return get(parse_counters(probe.read("memory", "memory.events")), "oom_kill");
}

}  // namespace skiff::cgroups
