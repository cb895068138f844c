#include "runtime/state.hpp"

#include <chrono>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "oci/spec.hpp"
#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::runtime {

void validate_id(const std::string& id) {
  auto allowed = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' || c == '-';
  };
  if (id.empty()) throw Error("container id: must not be empty");
  if (id.size() > 1024) throw Error("container id: longer than 1024 characters");
  if (id == "." || id == ".." || !std::all_of(id.begin(), id.end(), allowed) ||
      !std::isalnum(static_cast<unsigned char>(id[0])))
    throw Error("container id \"" + id + "\": invalid (use letters, digits and _ . + -, starting with a letter or digit)");
}

void StateStore::create_dir(const std::string& id) const {
  if (::mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST) {
    if (errno != ENOENT) throw_errno("state root " + root_);
    make_directories(root_, 0700);
  }
  if (::mkdir(dir(id).c_str(), 0700) != 0) {
    if (errno == EEXIST) throw Error("container \"" + id + "\" already exists");
    throw_errno("state directory " + dir(id));
  }
}

void StateStore::remove_dir(const std::string& id) const { remove_tree(dir(id)); }

void StateStore::save(const SavedState& s) const {
  nlohmann::json j = {
      {"ociVersion", oci::kSpecVersion}, {"id", s.id},         {"pid", s.pid},
      {"startTime", s.start_time},       {"bundle", s.bundle}, {"rootfs", s.rootfs},
      {"created", s.created},            {"owner", s.owner},   {"annotations", s.annotations},
      {"terminal", s.use_terminal},
  };
  // The two big members are appended as text, not copied into j first.
  std::string text = j.dump();
  text.pop_back();  // the closing brace
  text += ",\"cgroup\":" + s.cgroup.dump() + ",\"config\":" + s.config.dump() + "}";
  write_file_atomic(dir(s.id) + "/state.json", text);
}

SavedState StateStore::load(const std::string& id) const {
  validate_id(id);
  std::string path = dir(id) + "/state.json";
  if (!path_exists(path)) throw Error("container \"" + id + "\" does not exist");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
    SavedState s;
    s.id = j.at("id").get<std::string>();
    s.pid = j.at("pid").get<pid_t>();
    s.start_time = j.at("startTime").get<uint64_t>();
    s.bundle = j.at("bundle").get<std::string>();
    s.rootfs = j.value("rootfs", "");
    s.created = j.value("created", "");
    s.owner = j.value("owner", "");
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.cgroup = j.value("cgroup", nlohmann::json());
    s.config = j.value("config", nlohmann::json());
    s.use_terminal = j.value("terminal", false);
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt state: " + e.what());
  }
}

std::vector<std::string> StateStore::ids() const {
  std::vector<std::string> result;
  DIR* d = ::opendir(root_.c_str());
  if (!d) {
    if (errno == ENOENT) return result;
    throw_errno("state root " + root_);
  }
  while (dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (path_exists(dir(name) + "/state.json")) result.push_back(name);
  }
  ::closedir(d);
  std::sort(result.begin(), result.end());
  return result;
}

Status StateStore::status(const SavedState& s, bool frozen) const {
  if (s.pid <= 0 || !process_is_ours(s.pid, s.start_time)) return Status::Stopped;
  if (frozen) return Status::Paused;
  if (path_exists(fifo(s.id))) return Status::Created;
  return Status::Running;
}

ContainerState StateStore::public_state(const SavedState& s) const {
  ContainerState state;
  state.oci_version = oci::kSpecVersion;
  state.id = s.id;
  state.pid = s.pid;
  state.bundle = s.bundle;
  state.rootfs = s.rootfs;
  state.created = s.created;
  state.owner = s.owner;
  state.annotations = s.annotations;
  return state;
}

// /proc/<pid>/stat: "pid (comm) S ppid ..." - comm may hold spaces and ')'.
static std::optional<std::pair<char, uint64_t>> read_stat(pid_t pid) {
  std::optional<std::string> text;
  try {
    text = read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
  }
  if (!text) return std::nullopt;  // gone (or going)
  const std::string& stat = *text;
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  const char* cursor = stat.c_str() + close + 2;
  char state = *cursor;
  // Field 3 is the state; the start time is field 22.
  for (int field = 3; field < 22; ++field) {
    cursor = std::strchr(cursor, ' ');
    if (!cursor) return std::nullopt;
    ++cursor;
  }
  return std::make_pair(state, std::strtoull(cursor, nullptr, 10));
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto stat = read_stat(pid);
  if (!stat) return std::nullopt;
  return stat->second;
}

bool process_is_ours(pid_t pid, uint64_t start_time) {
  auto stat = read_stat(pid);
  return stat && stat->first != 'Z' && stat->first != 'X' && stat->second == start_time;
}

// UTC, as runc records it. Computed with <chrono> calendar arithmetic:
// glibc's gmtime_r would load the local time zone file first.
std::string rfc3339_now() {
  using namespace std::chrono;
  const auto now = time_point_cast<nanoseconds>(system_clock::now());
  const auto day = floor<days>(now);
  const year_month_day date{day};
  const hh_mm_ss time{now - day};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%09ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
                static_cast<long>(time.seconds().count()), static_cast<long>(time.subseconds().count()));
  return buffer;
}

}  // namespace skiff::runtime
