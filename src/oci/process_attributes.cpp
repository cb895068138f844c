#include "oci/process_attributes.hpp"

#include <sched.h>
#include <sys/personality.h>

#include <array>
#include <string_view>

namespace skiff::oci::detail {
namespace {

struct Named {
  std::string_view name;
  uint64_t value;
};

// Values from linux/sched.h (glibc 2.36 has no sched_attr). SCHED_ISO was
// never merged into Linux: accepted by the spec, refused by the kernel.
constexpr std::array<Named, 7> kPolicies = {{{"SCHED_OTHER", 0},
                                             {"SCHED_FIFO", 1},
                                             {"SCHED_RR", 2},
                                             {"SCHED_BATCH", 3},
                                             {"SCHED_ISO", 4},
                                             {"SCHED_IDLE", 5},
                                             {"SCHED_DEADLINE", 6}}};
constexpr std::array<Named, 7> kSchedulerFlags = {{{"SCHED_FLAG_RESET_ON_FORK", 0x01},
                                                   {"SCHED_FLAG_RECLAIM", 0x02},
                                                   {"SCHED_FLAG_DL_OVERRUN", 0x04},
                                                   {"SCHED_FLAG_KEEP_POLICY", 0x08},
                                                   {"SCHED_FLAG_KEEP_PARAMS", 0x10},
                                                   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
                                                   {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}}};
constexpr std::array<Named, 3> kIoClasses = {
    {{"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}}};
constexpr std::array<Named, 2> kDomains = {{{"LINUX", PER_LINUX}, {"LINUX32", PER_LINUX32}}};

template <size_t N>
uint64_t lookup(const std::array<Named, N>& table, const Node& node, const std::string& name) {
  for (const auto& entry : table)
    if (entry.name == name) return entry.value;
  std::string known;
  for (const auto& entry : table) known += (known.empty() ? "" : ", ") + std::string(entry.name);
  node.fail("unknown value \"" + name + "\" (known: " + known + ")");
}

void require_range(const Node& node, int value, int low, int high) {
  if (value < low || value > high)
    node.fail("must be between " + std::to_string(low) + " and " + std::to_string(high));
}

}  // namespace

std::optional<Scheduler> parse_scheduler(const Node& node) {
  if (!node.present()) return std::nullopt;
  node.expect_object();
  Scheduler s;
  node["policy"].read_required(s.policy);
  s.policy_value = static_cast<int>(lookup(kPolicies, node["policy"], s.policy));
  node["nice"].read(s.nice);
  require_range(node["nice"], s.nice, -20, 19);
  node["priority"].read(s.priority);
  std::vector<std::string> flags;
  node["flags"].read(flags);
  const auto elements = node["flags"].present() ? node["flags"].elements() : std::vector<Node>{};
  for (size_t i = 0; i < flags.size(); ++i)
    s.flags |= lookup(kSchedulerFlags, elements[i], flags[i]);
  node["runtime"].read(s.runtime);
  node["deadline"].read(s.deadline);
  node["period"].read(s.period);
  return s;
}

std::optional<IoPriority> parse_io_priority(const Node& node) {
  if (!node.present()) return std::nullopt;
  node.expect_object();
  IoPriority io;
  std::string name;
  node["class"].read_required(name);
  io.io_class = static_cast<int>(lookup(kIoClasses, node["class"], name));
  node["priority"].read(io.priority);
  require_range(node["priority"], io.priority, 0, 7);
  return io;
}

std::optional<Personality> parse_personality(const Node& node) {
  if (!node.present()) return std::nullopt;
  node.expect_object();
  Personality p;
  std::string domain;
  node["domain"].read_required(domain);
  p.persona = static_cast<unsigned long>(lookup(kDomains, node["domain"], domain));
  std::vector<std::string> flags;
  node["flags"].read(flags);
  // The runtime-spec defines no flag values yet.
  if (!flags.empty())
    node["flags"].elements()[0].fail("unknown flag \"" + flags[0] + "\" (none are defined)");
  return p;
}

}  // namespace skiff::oci::detail
