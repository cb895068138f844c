#include "cgroups/v2.hpp"

#include <fcntl.h>
#include <signal.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "cgroups/devices_bpf.hpp"
#include "cgroups/files.hpp"
#include "cgroups/oom_watch.hpp"
#include "util/error.hpp"

namespace skiff::cgroups {

namespace {

std::vector<std::string> words(std::string_view list) {
  std::vector<std::string> out;
  std::istringstream in{std::string(list)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// "frozen 1" in cgroup.events.
bool events_frozen(const std::string& dir) {
  auto events = read_optional(join_path(dir, "cgroup.events"));
  return events && events->find("frozen 1") != std::string::npos;
}

// Deadline-bounded polling; freezing is asynchronous in the kernel.
template <typename Done>
bool wait_until(Done done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::microseconds(200);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::microseconds(10000));
  }
  return true;
}

void signal_all(const std::vector<pid_t>& pids, int sig, const std::string& dir) {
  for (pid_t pid : pids)
    if (::kill(pid, sig) != 0 && errno != ESRCH)
      throw_errno("signalling pid " + std::to_string(pid) + " in cgroup " + dir);
}

}  // namespace

bool has_word(std::string_view list, std::string_view word) {
  for (const auto& w : words(list))
    if (w == word) return true;
  return false;
}

CgroupV2::CgroupV2(std::string mountpoint, std::string path, bool enable_all)
    : mountpoint_(std::move(mountpoint)),
      path_(std::move(path)),
      dir_(join_path(mountpoint_, path_)),
      enable_all_(enable_all) {}

std::vector<std::string> CgroupV2::ancestors() const {
  std::vector<std::string> dirs{mountpoint_};
  for (size_t pos = path_.find('/', 1); pos != std::string::npos; pos = path_.find('/', pos + 1))
    dirs.push_back(join_path(mountpoint_, path_.substr(0, pos)));
  return dirs;
}

// Best effort, as runc: an ancestor with processes of its own refuses
// (EBUSY), and apply() later names the controller that is missing.
void CgroupV2::enable_available(const std::string& dir) {
  auto available = read_optional(join_path(dir, "cgroup.controllers")).value_or("");
  auto enabled = read_optional(join_path(dir, "cgroup.subtree_control")).value_or("");
  std::string missing;
  for (const auto& c : words(available))
    if (!has_word(enabled, c)) missing += (missing.empty() ? "+" : " +") + c;
  if (missing.empty() || try_write(dir, "cgroup.subtree_control", missing) == 0) return;
  for (const auto& c : words(missing)) try_write(dir, "cgroup.subtree_control", c);
}

void CgroupV2::create() {
  created_ = make_dirs(dir_);
  try {
    if (enable_all_)
      for (const auto& dir : ancestors()) enable_available(dir);
    fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) throw_errno("opening cgroup " + dir_);
  } catch (...) {
    undo_create();
    throw;
  }
}

void CgroupV2::undo_create() noexcept {
  fd_.reset();
  remove_created(created_);
  created_.clear();
}

int CgroupV2::clone_into_fd() const {
  if (!fd_) {
    fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) throw_errno("opening cgroup " + dir_);
  }
  return fd_.get();
}

void CgroupV2::add_process(pid_t pid) {
  if (int err = try_write(dir_, "cgroup.procs", std::to_string(pid)))
    throw_errno("adding pid " + std::to_string(pid) + " to cgroup " + dir_, err);
}

std::optional<std::string> CgroupV2::read(std::string_view, std::string_view file) const {
  return read_optional(join_path(dir_, file));
}

void CgroupV2::ensure_controller(const std::string& field, const std::string& controller) {
  if (has_word(read_optional(join_path(dir_, "cgroup.controllers")).value_or(""), controller))
    return;
  for (const auto& dir : ancestors()) {
    auto available = read_optional(join_path(dir, "cgroup.controllers")).value_or("");
    if (!has_word(available, controller))
      throw_error(field, "cgroup controller \"" + controller + "\" is not available in " + dir);
    if (int err = try_write(dir, "cgroup.subtree_control", "+" + controller))
      throw_errno(field + ": enabling controller \"" + controller + "\" in " + dir +
                      "/cgroup.subtree_control",
                  err);
  }
}

void CgroupV2::write(const Write& w) {
  if (!w.controller.empty()) ensure_controller(w.field, w.controller);
  int err = try_write(dir_, w.file, w.value);
  if (err == ENOENT && w.if_exists) return;
  if (err == ENOENT) throw_error(w.field, "the cgroup has no file " + w.file);
  if (err) throw_errno(w.field + ": writing " + w.file, err);
}

// One BPF program holds every device rule, attached at once: nothing needs
// to come before a process joins.
std::vector<std::string> CgroupV2::apply_limits(const nlohmann::json& resources, Limits part) {
  if (part == Limits::BeforeJoin) return {};
  auto rules = parse_device_rules(resources);
  auto writes = plan_v2(resources, *this);  // validates everything first
  // Devices first: a kernel without the BPF device hook fails before any limit changes.
  if (!rules.empty())
    attach_device_filter(clone_into_fd(), device_filter(rules),
                         std::string(kResources) + ".devices");
  for (const auto& w : writes)
    if (w.ignored.empty()) write(w);
  return ignored_warnings(writes);
}

std::vector<pid_t> CgroupV2::pids() const { return read_procs(dir_, true); }

void CgroupV2::set_frozen(bool frozen) {
  const char* what = frozen ? "freezing cgroup " : "thawing cgroup ";
  if (int err = try_write(dir_, "cgroup.freeze", frozen ? "1" : "0"))
    throw_errno(what + dir_ + ": writing cgroup.freeze", err);
  if (wait_until([&] { return events_frozen(dir_) == frozen; }, std::chrono::seconds(5))) return;
  if (frozen) try_write(dir_, "cgroup.freeze", "0");  // do not leave it half frozen
  throw_error(what + dir_, "timed out waiting for cgroup.events");
}

void CgroupV2::freeze() { set_frozen(true); }
void CgroupV2::thaw() { set_frozen(false); }
bool CgroupV2::frozen() const { return events_frozen(dir_); }

void CgroupV2::destroy() {
  fd_.reset();
  if (int err = remove_tree(dir_)) throw_errno("removing cgroup " + dir_, err);
  created_.clear();
}

void CgroupV2::kill_all(int sig) {
  if (sig == SIGKILL) {
    int err = try_write(dir_, "cgroup.kill", "1");  // kernel 5.14+
    if (err == 0) return;
    if (err != ENOENT) throw_errno("killing cgroup " + dir_ + ": writing cgroup.kill", err);
    // Older kernels: freeze so no process forks between the listing and the kill.
    bool froze = try_write(dir_, "cgroup.freeze", "1") == 0;
    if (froze) wait_until([&] { return events_frozen(dir_); }, std::chrono::seconds(1));
    signal_all(pids(), sig, dir_);
    if (froze) try_write(dir_, "cgroup.freeze", "0");
    return;
  }
  signal_all(pids(), sig, dir_);
}

UniqueFd CgroupV2::watch_oom() const { return watch_memory_events(dir_); }

nlohmann::json CgroupV2::to_json() const {
  return {{"driver", "cgroup2"}, {"mountpoint", mountpoint_}, {"path", path_}};
}

std::unique_ptr<CgroupV2> CgroupV2::from_json(const nlohmann::json& saved) {
  auto text = [&](const char* key) {
    auto it = saved.find(key);
    if (it == saved.end() || !it->is_string())
      throw_error(std::string("cgroup state: ") + key, "missing");
    return it->get<std::string>();
  };
  return std::make_unique<CgroupV2>(text("mountpoint"), text("path"), false);
}

}  // namespace skiff::cgroups
