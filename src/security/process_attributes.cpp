#include "security/process_attributes.hpp"

#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "util/error.hpp"

namespace skiff::security {
namespace {

// struct sched_attr of linux/sched/types.h (SCHED_ATTR_SIZE_VER1).
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassShift = 13;

void apply_scheduler(const oci::Scheduler& scheduler) {
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(scheduler.policy_value);
  attr.sched_flags = scheduler.flags;
  attr.sched_nice = scheduler.nice;
  attr.sched_priority = static_cast<uint32_t>(scheduler.priority);
  attr.sched_runtime = scheduler.runtime;
  attr.sched_deadline = scheduler.deadline;
  attr.sched_period = scheduler.period;
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0)
    throw_errno("process.scheduler (" + scheduler.policy + "): sched_setattr");
}

void apply_io_priority(const oci::IoPriority& io) {
  int value = (io.io_class << kIoprioClassShift) | io.priority;
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) != 0)
    throw_errno("process.ioPriority: ioprio_set");
}

void apply_personality(const oci::Personality& p) {
  if (::personality(p.persona) < 0) throw_errno("linux.personality: personality");
}

}  // namespace

void apply_process_attributes(const oci::Process& process, const oci::Spec& spec) {
  if (spec.linux && spec.linux->personality) apply_personality(*spec.linux->personality);
  if (process.scheduler) apply_scheduler(*process.scheduler);
  if (process.io_priority) apply_io_priority(*process.io_priority);
}

}  // namespace skiff::security
