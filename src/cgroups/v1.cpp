#include "cgroups/v1.hpp"

#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "cgroups/files.hpp"
#include "cgroups/oom_watch.hpp"
#include "util/error.hpp"

namespace skiff::cgroups {

namespace {

bool holds(const V1Dir& d, std::string_view controller) {
  return std::find(d.controllers.begin(), d.controllers.end(), controller) != d.controllers.end();
}

// A new cpuset cgroup starts with empty cpus and mems, and no process may
// join it until both are set: copy them down from the parent at each level.
void init_cpuset(const V1Dir& d) {
  std::string parent = d.mountpoint;
  std::string rest = d.dir.substr(d.mountpoint.size());
  for (size_t pos = 0; pos != std::string::npos;) {
    size_t next = rest.find('/', pos + 1);
    std::string child = d.mountpoint + rest.substr(0, next);
    pos = next;
    if (child == parent) continue;
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      if (!trim(read_text(join_path(child, file))).empty()) continue;
      write_file(child, file, trim(read_text(join_path(parent, file))));
    }
    parent = child;
  }
}

std::string freezer_state(const std::string& dir) {
  return trim(read_optional(join_path(dir, "freezer.state")).value_or(""));
}

}  // namespace

CgroupV1::CgroupV1(std::vector<V1Dir> dirs, std::unique_ptr<CgroupV2> unified)
    : dirs_(std::move(dirs)), unified_(std::move(unified)) {}

const V1Dir* CgroupV1::find(std::string_view controller) const {
  for (const auto& d : dirs_)
    if (holds(d, controller)) return &d;
  return nullptr;
}

void CgroupV1::create() {
  create_hierarchies();
  try {
    create_unified();
  } catch (...) {
    remove_created(created_);
    created_.clear();
    throw;
  }
}

void CgroupV1::create_hierarchies() {
  try {
    for (const auto& d : dirs_) {
      auto made = make_dirs(d.dir);
      created_.insert(created_.end(), made.begin(), made.end());
      if (holds(d, "cpuset")) init_cpuset(d);
    }
  } catch (...) {
    remove_created(created_);
    created_.clear();
    throw;
  }
}

// Only hugetlb may live there; a read-only or foreign cgroup2 mount (nested
// containers) must not stop the container, so joining it is best effort.
void CgroupV1::create_unified() {
  if (!unified_) return;
  try {
    unified_->create();
  } catch (const Error& e) {
    if (e.err() != EROFS && e.err() != EACCES && e.err() != EPERM) throw;
    unified_.reset();
  }
}

std::vector<SelfJoin> CgroupV1::open_self_join() const {
  // A fresh process joining the cpu hierarchy before any other cpu-related
  // one waits ~3 ms (an RCU grace period) in the kernel; after cpuacct it
  // takes microseconds (measured on 6.x with cpu and cpuacct mounted apart).
  // So the cpu hierarchy comes last.
  std::vector<const V1Dir*> order;
  for (const auto& d : dirs_) order.push_back(&d);
  std::stable_partition(order.begin(), order.end(), [](const V1Dir* d) { return !holds(*d, "cpu"); });
  std::vector<SelfJoin> joins;
  for (const V1Dir* dir : order) {
    const V1Dir& d = *dir;
    std::string tasks = join_path(d.dir, "tasks");
    UniqueFd fd(::open(tasks.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("opening " + tasks);
    joins.push_back({std::move(fd), d.dir});
  }
  return joins;
}

void CgroupV1::add_process(pid_t pid) {
  for (const auto& d : dirs_)
    if (int err = try_write(d.dir, "cgroup.procs", std::to_string(pid)))
      throw_errno("adding pid " + std::to_string(pid) + " to cgroup " + d.dir, err);
  if (unified_) unified_->add_process(pid);
}

std::optional<std::string> CgroupV1::read(std::string_view controller,
                                          std::string_view file) const {
  if (const V1Dir* d = find(controller)) return read_optional(join_path(d->dir, file));
  // A hybrid host's cgroup2 part holds what v1 lacks (hugetlb here).
  return unified_ ? unified_->read(controller, file) : std::nullopt;
}

void CgroupV1::write(const Write& w, ControlFileWriter& writer) {
  if (w.v2) {
    if (!unified_)
      throw_error(w.field, "cgroup controller \"" + w.controller + "\" is not mounted");
    return unified_->write(w);
  }
  const V1Dir* d = find(w.controller);
  if (!d) throw_error(w.field, "cgroup controller \"" + w.controller + "\" is not mounted");
  int err = writer.write(d->dir, w.file, w.value);
  if (err == ENOENT && w.if_exists) return;
  if (err) throw_errno(w.field + ": writing " + w.file, err);
}

std::vector<std::string> CgroupV1::apply_limits(const nlohmann::json& resources, Limits part) {
  // Before the join only the device rules are written: plan only them (the
  // rest is planned, and its current values read, once, after).
  nlohmann::json device_rules = nlohmann::json::object();
  if (part == Limits::BeforeJoin && resources.is_object() && resources.contains("devices"))
    device_rules["devices"] = resources["devices"];
  auto writes = plan_v1(part == Limits::BeforeJoin ? device_rules : resources, *this);
  auto written_before = [part](const Write& w) {
    return part == Limits::AfterJoin && w.controller == "devices" && !w.v2;
  };
  ControlFileWriter writer;
  for (const auto& w : writes)
    if (w.ignored.empty() && !written_before(w)) write(w, writer);
  if (part == Limits::BeforeJoin) return {};
  return ignored_warnings(writes);
}

std::vector<pid_t> CgroupV1::pids() const {
  for (const char* c : {"pids", "freezer", "memory"})
    if (const V1Dir* d = find(c)) return read_procs(d->dir, true);
  if (!dirs_.empty()) return read_procs(dirs_.front().dir, true);
  return unified_ ? unified_->pids() : std::vector<pid_t>{};
}

const std::string& CgroupV1::freezer_dir(const char* action) const {
  const V1Dir* d = find("freezer");
  if (!d) throw_error(action, "the freezer cgroup controller is not mounted");
  return d->dir;
}

void CgroupV1::freeze() {
  const std::string& dir = freezer_dir("freezing");
  // FREEZING can stall while tasks are in uninterruptible sleep; writing
  // FROZEN again retries the freeze (runc does the same).
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (attempt % 50 == 0)
      if (int err = try_write(dir, "freezer.state", "FROZEN"))
        throw_errno("freezing cgroup " + dir + ": writing freezer.state", err);
    if (freezer_state(dir) == "FROZEN") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 10 ? 0 : 5));
  }
  try_write(dir, "freezer.state", "THAWED");
  throw_error("freezing cgroup " + dir, "timed out waiting for freezer.state FROZEN");
}

void CgroupV1::thaw() {
  const std::string& dir = freezer_dir("thawing");
  if (int err = try_write(dir, "freezer.state", "THAWED"))
    throw_errno("thawing cgroup " + dir + ": writing freezer.state", err);
}

bool CgroupV1::frozen() const {
  const V1Dir* d = find("freezer");
  return d && freezer_state(d->dir) == "FROZEN";
}

void CgroupV1::destroy() {
  std::string failure;
  int first_err = 0;
  for (const auto& d : dirs_)
    if (int err = remove_tree(d.dir); err && !first_err) first_err = err, failure = d.dir;
  if (unified_) {
    try {
      unified_->destroy();
    } catch (const Error&) {
      if (!first_err) throw;
    }
  }
  created_.clear();
  if (first_err) throw_errno("removing cgroup " + failure, first_err);
}

void CgroupV1::kill_all(int sig) {
  // Frozen, nothing can fork between listing the pids and killing them.
  bool froze = false;
  if (sig == SIGKILL && find("freezer") && !frozen()) {
    try {
      freeze();
      froze = true;
    } catch (const Error&) {
      // Killing matters more than the race the freeze closes.
    }
  }
  for (pid_t pid : pids())
    if (::kill(pid, sig) != 0 && errno != ESRCH) {
      int err = errno;
      if (froze) thaw();
      throw_errno("signalling pid " + std::to_string(pid), err);
    }
  if (froze) thaw();
}

UniqueFd CgroupV1::watch_oom() const {
  const V1Dir* d = find("memory");
  return d ? watch_oom_control(d->dir) : UniqueFd();
}

nlohmann::json CgroupV1::to_json() const {
  auto hierarchies = nlohmann::json::array();
  for (const auto& d : dirs_)
    hierarchies.push_back(
        {{"controllers", d.controllers}, {"mountpoint", d.mountpoint}, {"dir", d.dir}});
  return {{"driver", "cgroup1"},
          {"hierarchies", hierarchies},
          {"unified", unified_ ? unified_->to_json() : nlohmann::json()}};
}

std::unique_ptr<CgroupV1> CgroupV1::from_json(const nlohmann::json& saved) {
  std::vector<V1Dir> dirs;
  try {
    for (const auto& h : saved.at("hierarchies"))
      dirs.push_back({h.at("controllers").get<std::vector<std::string>>(),
                      h.at("mountpoint").get<std::string>(), h.at("dir").get<std::string>()});
  } catch (const nlohmann::json::exception& e) {
    throw_error("cgroup state: hierarchies", e.what());
  }
  std::unique_ptr<CgroupV2> unified;
  if (auto it = saved.find("unified"); it != saved.end() && !it->is_null())
    unified = CgroupV2::from_json(*it);
  return std::make_unique<CgroupV1>(std::move(dirs), std::move(unified));
}

}  // namespace skiff::cgroups
