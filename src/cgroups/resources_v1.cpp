// linux.resources on cgroup v1 (and the cgroup2 hugetlb of hybrid hosts).
#include <string>

#include "cgroups/files.hpp"
#include "cgroups/plan.hpp"
#include "cgroups/resources.hpp"
#include "util/error.hpp"

namespace skiff::cgroups {

namespace {

using plan::Plan;

void plan_memory(Plan& out, const Field& memory, const Probe& probe) {
  auto limit = memory.int64("limit");
  auto swap = memory.int64("swap");
  // Unlimited memory with swap unset means unlimited swap too (as runc).
  if (limit == -1 && !swap && probe.read("memory", "memory.memsw.limit_in_bytes")) swap = -1;
  auto add_limit = [&] {
    if (limit)
      out.add(memory.path("limit"), "memory", "memory.limit_in_bytes", std::to_string(*limit));
  };
  auto add_swap = [&] {
    if (swap)
      out.add(memory.path("swap"), "memory", "memory.memsw.limit_in_bytes", std::to_string(*swap));
  };
  // The kernel keeps limit <= memsw at every step: raise memsw first when growing.
  bool swap_first = false;
  if (limit && swap) {
    auto current = probe.read("memory", "memory.limit_in_bytes");
    swap_first = *swap == -1 || (current && std::stoull(trim(*current)) < uint64_t(*swap));
  }
  if (swap_first)
    add_swap(), add_limit();
  else
    add_limit(), add_swap();

  if (auto v = memory.int64("reservation"))
    out.add(memory.path("reservation"), "memory", "memory.soft_limit_in_bytes", std::to_string(*v));
  // memory.kernel is deprecated by the spec and ignored by the kernel since 5.16.
  if (auto v = memory.int64("kernelTCP"))
    out.add(memory.path("kernelTCP"), "memory", "memory.kmem.tcp.limit_in_bytes",
            std::to_string(*v));
  // -1 (or its uint64 wrap-around, as some clients send it) means "unset".
  bool unset_swappiness =
      memory.has("swappiness") && memory.raw("swappiness") == nlohmann::json(-1);
  if (auto v = unset_swappiness ? std::nullopt : memory.uint64("swappiness");
      v && *v != UINT64_MAX) {
    if (*v > 100) throw_error(memory.path("swappiness"), "must be between 0 and 100");
    out.add(memory.path("swappiness"), "memory", "memory.swappiness", std::to_string(*v));
  }
  if (memory.boolean("disableOOMKiller").value_or(false))
    out.add(memory.path("disableOOMKiller"), "memory", "memory.oom_control", "1");
  if (auto v = memory.boolean("useHierarchy")) {
    out.add(memory.path("useHierarchy"), "memory", "memory.use_hierarchy", *v ? "1" : "0");
    out.last().if_exists = true;  // always on (and gone) in recent kernels
  }
}

void plan_cpu(Plan& out, const Field& cpu) {
  struct Entry {
    const char* field;
    const char* controller;
    const char* file;
  };
  // Periods before their runtimes so a shorter period accepts the new quota.
  static constexpr Entry kNumbers[] = {
      {"shares", "cpu", "cpu.shares"},
      {"period", "cpu", "cpu.cfs_period_us"},
      {"quota", "cpu", "cpu.cfs_quota_us"},
      {"burst", "cpu", "cpu.cfs_burst_us"},
      {"realtimePeriod", "cpu", "cpu.rt_period_us"},
      {"realtimeRuntime", "cpu", "cpu.rt_runtime_us"},
      {"idle", "cpu", "cpu.idle"},
  };
  for (const auto& e : kNumbers)
    if (auto v = cpu.int64(e.field))
      out.add(cpu.path(e.field), e.controller, e.file, std::to_string(*v));
  if (auto v = cpu.string("cpus")) out.add(cpu.path("cpus"), "cpuset", "cpuset.cpus", *v);
  if (auto v = cpu.string("mems")) out.add(cpu.path("mems"), "cpuset", "cpuset.mems", *v);
}

void plan_block_io(Plan& out, const Field& io, const Probe& probe) {
  // Without CFQ the kernel only offers the BFQ files.
  bool bfq = !probe.read("blkio", "blkio.weight") && probe.read("blkio", "blkio.bfq.weight");
  const char* weight_file = bfq ? "blkio.bfq.weight" : "blkio.weight";
  if (auto v = io.uint64("weight"))
    out.add(io.path("weight"), "blkio", weight_file, std::to_string(*v));
  if (auto v = io.uint64("leafWeight"))
    out.add(io.path("leafWeight"), "blkio", "blkio.leaf_weight", std::to_string(*v));
  for (const auto& dev : io.array("weightDevice")) {
    std::string number = plan::device_number(dev);
    if (auto v = dev.uint64("weight"))
      out.add(dev.path("weight"), "blkio", std::string(weight_file) + "_device",
              number + " " + std::to_string(*v));
    if (auto v = dev.uint64("leafWeight"))
      out.add(dev.path("leafWeight"), "blkio", "blkio.leaf_weight_device",
              number + " " + std::to_string(*v));
  }
  for (const auto& t : plan::kThrottles)
    for (const auto& dev : io.array(t.field)) {
      auto rate = dev.uint64("rate");
      if (!rate) throw_error(dev.path("rate"), "required");
      out.add(dev.path(), "blkio", t.v1_file,
              plan::device_number(dev) + " " + std::to_string(*rate));
    }
}

void plan_hugetlb(Plan& out, const Field& resources, const Probe& probe) {
  bool v1 = probe.has_v1("hugetlb");
  for (const auto& item : resources.array("hugepageLimits")) {
    std::string prefix = "hugetlb." + plan::page_size(item);
    auto limit = item.uint64("limit");
    if (!limit) throw_error(item.path("limit"), "required");
    // Hybrid hosts may leave hugetlb to the cgroup2 hierarchy.
    for (bool rsvd : {false, true}) {
      std::string file = prefix + (rsvd ? ".rsvd" : "") + (v1 ? ".limit_in_bytes" : ".max");
      out.add(item.path("limit"), "hugetlb", file, std::to_string(*limit));
      out.last().v2 = !v1;
      out.last().if_exists = rsvd;  // reservations need kernel 5.7
    }
  }
}

void plan_network(Plan& out, const Field& network) {
  if (auto v = network.uint64("classID"))
    out.add(network.path("classID"), "net_cls", "net_cls.classid", std::to_string(*v));
  for (const auto& prio : network.array("priorities")) {
    auto name = prio.string("name");
    auto priority = prio.uint64("priority");
    if (!name || name->empty()) throw_error(prio.path("name"), "required");
    if (!priority) throw_error(prio.path("priority"), "required");
    out.add(prio.path(), "net_prio", "net_prio.ifpriomap", *name + " " + std::to_string(*priority));
  }
}

std::string device_line(const DeviceRule& rule) {
  auto number = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  return std::string(1, rule.type) + " " + number(rule.major) + ":" + number(rule.minor) + " " +
         rule.access;
}

// A wildcard rule ("a *:* rwm"): writing it resets the whole list.
bool resets_list(const DeviceRule& rule) {
  return rule.type == 'a' && rule.major < 0 && rule.minor < 0 && rule.access == "rwm";
}

// The rules describe the whole allow list, starting from "deny everything"
// (as runc, and as the v2 eBPF filter does): "a" in devices.deny empties the
// list first unless the first rule resets it anyway; each rule then edits it
// in the order the spec gives. No rules: the list is left alone (update).
void plan_devices(Plan& out, const nlohmann::json& resources) {
  auto rules = parse_device_rules(resources);
  std::string field = std::string(kResources) + ".devices";
  if (!rules.empty() && !resets_list(rules.front()))
    out.add(field, "devices", "devices.deny", "a *:* rwm");
  for (size_t i = 0; i < rules.size(); ++i)
    out.add(field + "[" + std::to_string(i) + "]", "devices",
            rules[i].allow ? "devices.allow" : "devices.deny", device_line(rules[i]));
}

}  // namespace

std::vector<Write> plan_v1(const nlohmann::json& resources, const Probe& probe) {
  Plan out;
  if (resources.is_null()) return out.take();
  if (!resources.is_object()) throw_error(kResources, "expected an object");
  Field r(resources, kResources);
  plan_devices(out, resources);
  if (auto memory = r.object("memory")) plan_memory(out, *memory, probe);
  if (auto cpu = r.object("cpu")) plan_cpu(out, *cpu);
  if (auto pids = r.object("pids"))
    if (auto limit = pids->int64("limit"); limit && *limit != 0)  // 0: unset, as runc
      out.add(pids->path("limit"), "pids", "pids.max", *limit > 0 ? std::to_string(*limit) : "max");
  if (auto io = r.object("blockIO")) plan_block_io(out, *io, probe);
  plan_hugetlb(out, r, probe);
  if (auto network = r.object("network")) plan_network(out, *network);
  plan::add_rdma(out, r);
  if (r.has("unified") && !r.object("unified")->keys().empty())
    throw_error(r.path("unified"), "needs cgroup v2, but this host uses cgroup v1 controllers");
  return out.take();
}

}  // namespace skiff::cgroups
