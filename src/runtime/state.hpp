// Persistent container state: <root>/<id>/state.json, written atomically.
// The OCI state fields plus what later commands need: the init's start time
// (so a recycled pid is never mistaken for ours), the cgroup, and the config.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skiff/skiff.hpp"

namespace skiff::runtime {

// Container ids: [A-Za-z0-9][A-Za-z0-9_.+-]* up to 1024 chars (no path characters).
void validate_id(const std::string& id);

struct SavedState {
  std::string id;
  pid_t pid = 0;
  uint64_t start_time = 0;  // field 22 of /proc/<pid>/stat
  std::string bundle;
  std::string rootfs;
  std::string created;
  std::string owner;
  std::map<std::string, std::string> annotations;
  nlohmann::json cgroup;  // cgroups::Cgroup::to_json()
  nlohmann::json config;  // config.json as given
  bool use_terminal = false;
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}

  [[nodiscard]] std::string dir(const std::string& id) const { return root_ + "/" + id; }
  [[nodiscard]] std::string fifo(const std::string& id) const { return dir(id) + "/exec.fifo"; }

  // mkdir <root>/<id>; throws "container "id" already exists".
  void create_dir(const std::string& id) const;
  void remove_dir(const std::string& id) const;
  void save(const SavedState& state) const;
  // Throws "container "id" does not exist".
  SavedState load(const std::string& id) const;
  std::vector<std::string> ids() const;

  // The live status: stopped when the init is gone, a zombie or not ours.
  Status status(const SavedState& state, bool frozen) const;
  ContainerState public_state(const SavedState& state) const;

 private:
  std::string root_;
};

// Start time of a process (jiffies since boot), nullopt when it is gone.
std::optional<uint64_t> process_start_time(pid_t pid);
// Whether pid is alive, not a zombie, and started at start_time.
bool process_is_ours(pid_t pid, uint64_t start_time);
// Now, RFC 3339 with nanoseconds in UTC.
std::string rfc3339_now();

}  // namespace skiff::runtime
