// Usage counters of a cgroup in the shape of runc's `events --stats` data,
// and the OOM-kill counter the shim and `skiff events` watch.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "cgroups/resources.hpp"

namespace skiff::cgroups {

// {"cpu": {"usage": {...}, "throttling": {...}}, "memory": {...}, "pids": {...}};
// sections whose controller is absent are left out.
nlohmann::json stats_v1(const Probe& probe);
nlohmann::json stats_v2(const Probe& probe);

uint64_t oom_kills_v1(const Probe& probe);
uint64_t oom_kills_v2(const Probe& probe);

}  // namespace skiff::cgroups
