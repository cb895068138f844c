// The cgroup v2 driver: one directory in the unified hierarchy.
#pragma once

#include <string>
#include <vector>

#include "cgroups/cgroup.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/stats.hpp"
#include "util/fd.hpp"

namespace skiff::cgroups {

class CgroupV2 final : public Cgroup, private Probe {
 public:
  // path is the cgroup inside the hierarchy mounted at mountpoint ("/a/b").
  // enable_all: turn on every available controller in the ancestors at
  // create() (hybrid hosts pass false and enable on demand).
  CgroupV2(std::string mountpoint, std::string path, bool enable_all);

  void create() override;
  int clone_into_fd() const override;
  void add_process(pid_t pid) override;
  std::vector<pid_t> pids() const override;
  void freeze() override;
  void thaw() override;
  bool frozen() const override;
  void destroy() override;
  void kill_all(int sig) override;
  nlohmann::json stats() const override { return stats_v2(*this); }
  uint64_t oom_kills() const override { return oom_kills_v2(*this); }
  UniqueFd watch_oom() const override;
  nlohmann::json to_json() const override;

  static std::unique_ptr<CgroupV2> from_json(const nlohmann::json& saved);

  // One planned write, enabling its controller first if needed.
  void write(const Write& w);
  // Remove only what create() made (undo after a later failure).
  void undo_create() noexcept;
  [[nodiscard]] const std::string& dir() const { return dir_; }

  std::optional<std::string> read(std::string_view controller,
                                  std::string_view file) const override;

 private:
  std::vector<std::string> apply_limits(const nlohmann::json& resources, Limits part) override;
  bool has_v1(std::string_view) const override { return false; }

  // Directories from the hierarchy root down to the parent of ours.
  [[nodiscard]] std::vector<std::string> ancestors() const;
  void enable_available(const std::string& dir);
  void ensure_controller(const std::string& field, const std::string& controller);
  void set_frozen(bool frozen);

  std::string mountpoint_;
  std::string path_;
  std::string dir_;
  bool enable_all_;
  std::vector<std::string> created_;
  mutable UniqueFd fd_;
};

// Whether a space-separated list ("cpu io memory") holds a word.
bool has_word(std::string_view list, std::string_view word);

}  // namespace skiff::cgroups
