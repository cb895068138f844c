#include "shim/metrics.hpp"

#include <nlohmann/json.hpp>

#include "containerd/cgroups.pb.h"
#include "containerd/cgroups_v2.pb.h"

namespace skiff::shim {

namespace {

using Json = nlohmann::json;

uint64_t number(const Json& json, std::initializer_list<const char*> path) {
  const Json* node = &json;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return 0;
    node = &(*node)[key];
  }
  return node->is_number_unsigned() || node->is_number_integer() ? node->get<uint64_t>() : 0;
}

void fill_entry(::io::containerd::cgroups::v1::MemoryEntry* entry, const Json& memory, const char* name) {
  entry->set_usage(number(memory, {name, "usage"}));
  entry->set_limit(number(memory, {name, "limit"}));
  entry->set_max(number(memory, {name, "max"}));
  entry->set_failcnt(number(memory, {name, "failcnt"}));
}

std::string v1_metrics(const Json& stats, uint64_t oom_kills) {
  ::io::containerd::cgroups::v1::Metrics metrics;
  metrics.mutable_pids()->set_current(number(stats, {"pids", "current"}));
  metrics.mutable_pids()->set_limit(number(stats, {"pids", "limit"}));
  auto* usage = metrics.mutable_cpu()->mutable_usage();
  usage->set_total(number(stats, {"cpu", "usage", "total"}));
  usage->set_user(number(stats, {"cpu", "usage", "user"}));
  usage->set_kernel(number(stats, {"cpu", "usage", "kernel"}));
  if (stats.contains("cpu") && stats["cpu"].contains("usage") && stats["cpu"]["usage"].contains("percpu"))
    for (const auto& value : stats["cpu"]["usage"]["percpu"]) usage->add_per_cpu(value.get<uint64_t>());
  auto* throttling = metrics.mutable_cpu()->mutable_throttling();
  throttling->set_periods(number(stats, {"cpu", "throttling", "periods"}));
  throttling->set_throttled_periods(number(stats, {"cpu", "throttling", "throttledPeriods"}));
  throttling->set_throttled_time(number(stats, {"cpu", "throttling", "throttledTime"}));
  const Json& memory = stats.contains("memory") ? stats["memory"] : Json::object();
  auto* mem = metrics.mutable_memory();
  mem->set_cache(number(memory, {"cache"}));
  mem->set_rss(number(memory, {"raw", "rss"}));
  mem->set_mapped_file(number(memory, {"raw", "mapped_file"}));
  mem->set_pg_fault(number(memory, {"raw", "pgfault"}));
  mem->set_pg_maj_fault(number(memory, {"raw", "pgmajfault"}));
  mem->set_inactive_anon(number(memory, {"raw", "inactive_anon"}));
  mem->set_active_anon(number(memory, {"raw", "active_anon"}));
  mem->set_inactive_file(number(memory, {"raw", "inactive_file"}));
  mem->set_active_file(number(memory, {"raw", "active_file"}));
  fill_entry(mem->mutable_usage(), memory, "usage");
  fill_entry(mem->mutable_swap(), memory, "swap");
  fill_entry(mem->mutable_kernel(), memory, "kernel");
  metrics.mutable_memory_oom_control()->set_oom_kill(oom_kills);
  return metrics.SerializeAsString();
}

std::string v2_metrics(const Json& stats, uint64_t oom_kills) {
  ::io::containerd::cgroups::v2::Metrics metrics;
  metrics.mutable_pids()->set_current(number(stats, {"pids", "current"}));
  metrics.mutable_pids()->set_limit(number(stats, {"pids", "limit"}));
  auto* cpu = metrics.mutable_cpu();
  cpu->set_usage_usec(number(stats, {"cpu", "usage", "total"}) / 1000);
  cpu->set_user_usec(number(stats, {"cpu", "usage", "user"}) / 1000);
  cpu->set_system_usec(number(stats, {"cpu", "usage", "kernel"}) / 1000);
  cpu->set_nr_periods(number(stats, {"cpu", "throttling", "periods"}));
  cpu->set_nr_throttled(number(stats, {"cpu", "throttling", "throttledPeriods"}));
  cpu->set_throttled_usec(number(stats, {"cpu", "throttling", "throttledTime"}) / 1000);
  const Json& memory = stats.contains("memory") ? stats["memory"] : Json::object();
  auto* mem = metrics.mutable_memory();
  mem->set_anon(number(memory, {"raw", "anon"}));
  mem->set_file(number(memory, {"raw", "file"}));
  mem->set_inactive_anon(number(memory, {"raw", "inactive_anon"}));
  mem->set_active_anon(number(memory, {"raw", "active_anon"}));
  mem->set_inactive_file(number(memory, {"raw", "inactive_file"}));
  mem->set_active_file(number(memory, {"raw", "active_file"}));
  mem->set_pgfault(number(memory, {"raw", "pgfault"}));
  mem->set_pgmajfault(number(memory, {"raw", "pgmajfault"}));
  mem->set_usage(number(memory, {"usage", "usage"}));
  mem->set_usage_limit(number(memory, {"usage", "limit"}));
  mem->set_max_usage(number(memory, {"usage", "max"}));
  mem->set_swap_usage(number(memory, {"swap", "usage"}));
  mem->set_swap_limit(number(memory, {"swap", "limit"}));
  metrics.mutable_memory_events()->set_oom_kill(oom_kills);
  return metrics.SerializeAsString();
}

}  // namespace

google::protobuf::Any metrics_any(const ContainerStats& stats) {
  Json json = Json::parse(stats.json, nullptr, false);
  if (json.is_discarded()) json = Json::object();
  google::protobuf::Any any;
  if (stats.cgroup_version == 2) {
    any.set_type_url("io.containerd.cgroups.v2.Metrics");
    any.set_value(v2_metrics(json, stats.oom_kills));
  } else {
    any.set_type_url("io.containerd.cgroups.v1.Metrics");
    any.set_value(v1_metrics(json, stats.oom_kills));
  }
  return any;
}

}  // namespace skiff::shim
