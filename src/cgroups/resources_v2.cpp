// linux.resources on cgroup v2 (the mapping runc and crun use).
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/plan.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/v2.hpp"
#include "util/error.hpp"

namespace skiff::cgroups {

namespace {

using plan::Plan;

// runc drops these v1-only fields on cgroup v2; we say so.
constexpr const char* kNoV2File = "ignored: cgroup v2 has no equivalent";

// The spec's swap is memory+swap (a v1 notion); memory.swap.max is swap alone.
std::string swap_value(const Field& memory, std::optional<int64_t> limit, int64_t swap) {
  if (swap == -1) return "max";
  if (swap == 0) return "0";
  if (!limit || *limit == -1) throw_error(memory.path("swap"), "needs memory.limit to be set");
  if (swap < *limit)
    throw_error(memory.path("swap"), "must be at least memory.limit (it counts memory + swap)");
  return std::to_string(swap - *limit);
}

void plan_memory(Plan& out, const Field& memory) {
  auto limit = memory.int64("limit");
  auto swap = memory.int64("swap");
  if (limit == -1 && !swap) swap = -1;  // unlimited memory: unlimited swap too
  if (swap) {
    std::string value = swap_value(memory, limit, *swap);
    out.add(memory.path("swap"), "memory", "memory.swap.max", value);
    // Without swap accounting the file is missing; "max" or "0" then hold anyway.
    out.last().if_exists = value == "max" || value == "0";
  }
  if (limit) out.add(memory.path("limit"), "memory", "memory.max", plan::limit_v2(*limit));
  if (auto v = memory.int64("reservation"))
    out.add(memory.path("reservation"), "memory", "memory.low", plan::limit_v2(*v));
  // kernel and kernelTCP are deprecated by the spec and have no v2 file.
  if (memory.has("swappiness") && memory.raw("swappiness") != nlohmann::json(-1) &&
      memory.raw("swappiness") != nlohmann::json(UINT64_MAX))
    out.ignore(memory.path("swappiness"), kNoV2File);
  // disableOOMKiller: cgroup v2 has no switch for it; runc and crun ignore it there too.
}

// cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun.
uint64_t shares_to_weight(uint64_t shares) {
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

void plan_cpu(Plan& out, const Field& cpu) {
  if (auto v = cpu.uint64("shares"); v && *v != 0)
    out.add(cpu.path("shares"), "cpu", "cpu.weight", std::to_string(shares_to_weight(*v)));
  auto quota = cpu.int64("quota");
  auto period = cpu.uint64("period");
  if ((quota && *quota != 0) || (period && *period != 0)) {
    std::string value = quota && *quota > 0 ? std::to_string(*quota) : "max";
    if (period && *period != 0) value += " " + std::to_string(*period);
    out.add(cpu.path(quota ? "quota" : "period"), "cpu", "cpu.max", value);
  }
  if (auto v = cpu.uint64("burst"))
    out.add(cpu.path("burst"), "cpu", "cpu.max.burst", std::to_string(*v));
  if (auto v = cpu.int64("idle")) out.add(cpu.path("idle"), "cpu", "cpu.idle", std::to_string(*v));
  for (const char* rt : {"realtimeRuntime", "realtimePeriod"})
    if (auto v = cpu.int64(rt); v && *v != 0)
      throw_error(cpu.path(rt), "not supported on cgroup v2");
  if (auto v = cpu.string("cpus")) out.add(cpu.path("cpus"), "cpuset", "cpuset.cpus", *v);
  if (auto v = cpu.string("mems")) out.add(cpu.path("mems"), "cpuset", "cpuset.mems", *v);
}

// blkio.weight (10..1000) to io.weight (1..10000).
uint64_t blkio_to_io_weight(uint64_t weight) { return 1 + (weight - 10) * 9999 / 990; }

void plan_io(Plan& out, const Field& io, const Probe& probe) {
  // BFQ keeps the v1 scale; io.weight (the cost model) has its own.
  bool bfq = probe.read("io", "io.bfq.weight").has_value();
  auto weight_value = [&](const Field& f, uint64_t w) {
    if (w < 10 || w > 1000) throw_error(f.path("weight"), "must be between 10 and 1000");
    return std::to_string(bfq ? w : blkio_to_io_weight(w));
  };
  const char* weight_file = bfq ? "io.bfq.weight" : "io.weight";
  if (auto v = io.uint64("weight"))
    out.add(io.path("weight"), "io", weight_file, weight_value(io, *v));
  if (auto v = io.uint64("leafWeight"); v && *v != 0) out.ignore(io.path("leafWeight"), kNoV2File);
  for (const auto& dev : io.array("weightDevice")) {
    std::string number = plan::device_number(dev);
    if (auto v = dev.uint64("weight"))
      out.add(dev.path("weight"), "io", weight_file, number + " " + weight_value(dev, *v));
    if (auto v = dev.uint64("leafWeight"); v && *v != 0) out.ignore(dev.path("leafWeight"), kNoV2File);
  }
  for (const auto& t : plan::kThrottles)
    for (const auto& dev : io.array(t.field)) {
      auto rate = dev.uint64("rate");
      if (!rate) throw_error(dev.path("rate"), "required");
      std::string value = *rate ? std::to_string(*rate) : "max";  // 0 lifts the limit, as on v1
      out.add(dev.path(), "io", "io.max", plan::device_number(dev) + " " + t.v2_key + "=" + value);
    }
}

void plan_hugetlb(Plan& out, const Field& resources) {
  for (const auto& item : resources.array("hugepageLimits")) {
    std::string prefix = "hugetlb." + plan::page_size(item);
    auto limit = item.uint64("limit");
    if (!limit) throw_error(item.path("limit"), "required");
    out.add(item.path("limit"), "hugetlb", prefix + ".max", std::to_string(*limit));
    out.add(item.path("limit"), "hugetlb", prefix + ".rsvd.max", std::to_string(*limit));
    out.last().if_exists = true;  // reservations need kernel 5.7
  }
}

// Files of the cgroup core that belong to the runtime, never to the spec.
bool reserved_core_file(std::string_view name) {
  static constexpr std::string_view kReserved[] = {"cgroup.procs",           "cgroup.threads",
                                                   "cgroup.subtree_control", "cgroup.kill",
                                                   "cgroup.freeze",          "cgroup.type"};
  for (auto r : kReserved)
    if (name == r) return true;
  return false;
}

// A unified key must name a controller the cgroup can have (its file appears
// once the controller is enabled) or an existing cgroup core file.
void check_unified_file(const Field& unified, const std::string& key,
                        const std::string& controller, const Probe& probe) {
  if (controller == "cgroup") {
    if (!probe.read("", key)) throw_error(unified.path(key), "no such cgroup file");
    return;
  }
  auto available = probe.read("", "cgroup.controllers");
  if (available && !has_word(*available, controller))
    throw_error(unified.path(key), "cgroup controller \"" + controller + "\" is not available");
}

void plan_unified(Plan& out, const Field& resources, const Probe& probe) {
  auto unified = resources.object("unified");
  if (!unified) return;
  for (const auto& key : unified->keys()) {
    auto value = unified->string(key);
    auto dot = key.find('.');
    if (key.find('/') != std::string::npos || dot == 0 || dot == std::string::npos ||
        reserved_core_file(key))
      throw_error(unified->path(key), "not a cgroup file the container may set");
    std::string controller = key.substr(0, dot);
    check_unified_file(*unified, key, controller, probe);
    out.add(unified->path(key), controller == "cgroup" ? "" : controller, key, *value);
  }
}

}  // namespace

std::vector<Write> plan_v2(const nlohmann::json& resources, const Probe& probe) {
  Plan out;
  if (resources.is_null()) return out.take();
  if (!resources.is_object()) throw_error(kResources, "expected an object");
  Field r(resources, kResources);
  // Device rules are no file on v2: the driver attaches an eBPF filter.
  if (auto memory = r.object("memory")) plan_memory(out, *memory);
  if (auto cpu = r.object("cpu")) plan_cpu(out, *cpu);
  if (auto pids = r.object("pids"))
    if (auto limit = pids->int64("limit"); limit && *limit != 0)  // 0: unset, as runc
      out.add(pids->path("limit"), "pids", "pids.max", *limit > 0 ? std::to_string(*limit) : "max");
  if (auto io = r.object("blockIO")) plan_io(out, *io, probe);
  plan_hugetlb(out, r);
  if (auto network = r.object("network");
      network && (network->has("classID") || !network->array("priorities").empty()))
    out.ignore(network->path(), "ignored: net_cls and net_prio do not exist on cgroup v2");
  plan::add_rdma(out, r);
  // Last, so explicit unified values win over the translated ones.
  plan_unified(out, r, probe);
  return out.take();
}

}  // namespace skiff::cgroups
