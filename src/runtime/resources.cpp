// Runtime operations on a container's cgroup: update, stats, events.
#include <poll.h>

#include <nlohmann/json.hpp>

#include "cgroups/oom_watch.hpp"
#include "runtime/container.hpp"
#include "runtime/state.hpp"
#include "util/error.hpp"

namespace skiff {

namespace {

using runtime::SavedState;
using runtime::StateStore;

std::unique_ptr<cgroups::Cgroup> live_cgroup(const StateStore& store, const SavedState& saved,
                                             const char* action) {
  if (runtime::live_status(store, saved) == Status::Stopped)
    throw Error("container \"" + saved.id + "\" cannot " + action + ": it is not running");
  auto cgroup = runtime::container_cgroup(saved);
  if (!cgroup) throw Error("container \"" + saved.id + "\" has no cgroup");
  return cgroup;
}

nlohmann::json parse_resources(const std::string& text) {
  nlohmann::json resources;
  try {
    resources = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_error("linux.resources", e.what());
  }
  if (!resources.is_object()) throw_error("linux.resources", "expected an object");
  return resources;
}

// What to write for an update: its own fields, plus the recorded values the
// kernel needs alongside them (v2 swap is computed from the memory limit;
// cpu.max takes quota and period together).
nlohmann::json update_writes(const nlohmann::json& update, const nlohmann::json& merged) {
  nlohmann::json writes = update;
  if (update.contains("memory") && merged.contains("memory")) writes["memory"] = merged["memory"];
  if (update.contains("cpu") && merged.contains("cpu"))
    for (const char* key : {"quota", "period"})
      if (merged["cpu"].contains(key) && (update["cpu"].contains("quota") || update["cpu"].contains("period")))
        writes["cpu"][key] = merged["cpu"][key];
  return writes;
}

// runc always prints these sections, empty when the controller is absent.
std::string stats_json(const cgroups::Cgroup* cgroup) {
  nlohmann::json stats = cgroup ? cgroup->stats() : nlohmann::json::object();
  for (const char* key : {"cpu", "memory", "pids", "blkio", "hugetlb"})
    if (!stats.contains(key)) stats[key] = nlohmann::json::object();
  return stats.dump();
}

}  // namespace

void Runtime::update(const std::string& id, const std::string& resources_json) {
  StateStore store(options_.root);
  SavedState saved = store.load(id);
  auto cgroup = live_cgroup(store, saved, "be updated");
  nlohmann::json update = parse_resources(resources_json);
  nlohmann::json& recorded = saved.config["linux"]["resources"];
  if (!recorded.is_object()) recorded = nlohmann::json::object();
  nlohmann::json merged = recorded;
  merged.merge_patch(update);
  for (const auto& warning : cgroup->apply(update_writes(update, merged)))
    runtime::log(options_, LogLevel::Warning, warning);
  recorded = std::move(merged);
  store.save(saved);
}

ContainerStats Runtime::stats(const std::string& id) const {
  SavedState saved = StateStore(options_.root).load(id);
  auto cgroup = runtime::container_cgroup(saved);
  ContainerStats stats;
  stats.json = stats_json(cgroup.get());
  if (!cgroup) return stats;
  stats.cgroup_version = saved.cgroup.value("driver", "") == "cgroup2" ? 2 : 1;
  stats.oom_kills = cgroup->oom_kills();
  return stats;
}

void Runtime::events(const std::string& id, std::chrono::milliseconds interval,
                     const EventSink& sink) const {
  using Clock = std::chrono::steady_clock;
  StateStore store(options_.root);
  SavedState saved = store.load(id);
  auto cgroup = live_cgroup(store, saved, "report events");
  UniqueFd init = runtime::open_init(saved);
  UniqueFd oom = cgroup->watch_oom();
  uint64_t oom_kills = cgroup->oom_kills();
  auto next_stats = Clock::now();
  for (;;) {
    if (interval.count() > 0 && Clock::now() >= next_stats) {
      if (!sink("stats", stats_json(cgroup.get()))) return;
      next_stats = std::max(next_stats + interval, Clock::now());
    }
    pollfd fds[2] = {{init.get(), POLLIN, 0}, {oom.get(), POLLIN, 0}};
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_stats - Clock::now());
    int timeout = interval.count() > 0 ? static_cast<int>(std::max<int64_t>(wait.count(), 0)) : -1;
    int ready = ::poll(fds, 2, timeout);
    if (ready < 0 && errno != EINTR) throw_errno("container \"" + id + "\": waiting for events");
    if (ready <= 0) continue;
    if (fds[1].revents) cgroups::drain(oom.get());
    // The counter, not the wake-up, says whether a kill happened (memory.events
    // also changes for "high" and "max" events).
    if (uint64_t kills = cgroup->oom_kills(); kills > oom_kills) {
      oom_kills = kills;
      if (!sink("oom", "")) return;
    }
    if (fds[0].revents || !init) return;  // the container stopped
  }
}

}  // namespace skiff
