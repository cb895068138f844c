// The cgroup v1 driver: one directory per mounted v1 hierarchy, plus the
// cgroup2 directory on hybrid hosts (as runc joins it too).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cgroups/cgroup.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/stats.hpp"
#include "cgroups/v2.hpp"

namespace skiff::cgroups {

class ControlFileWriter;

struct V1Dir {
  std::vector<std::string> controllers;  // {"cpu","cpuacct"} or {"name=systemd"}
  std::string mountpoint;
  std::string dir;  // mountpoint + the cgroup path
};

class CgroupV1 final : public Cgroup, private Probe {
 public:
  // unified: the hybrid host's cgroup2 part, or nullptr.
  CgroupV1(std::vector<V1Dir> dirs, std::unique_ptr<CgroupV2> unified);

  void create() override;
  void create_for_clone() override { create_unified(); }
  void create_hierarchies() override;
  [[nodiscard]] bool joined_by_init() const override { return !dirs_.empty(); }
  int clone_into_fd() const override { return unified_ ? unified_->clone_into_fd() : -1; }
  std::vector<SelfJoin> open_self_join() const override;
  void add_process(pid_t pid) override;
  std::vector<pid_t> pids() const override;
  void freeze() override;
  void thaw() override;
  bool frozen() const override;
  void destroy() override;
  void kill_all(int sig) override;
  nlohmann::json stats() const override { return stats_v1(*this); }
  uint64_t oom_kills() const override { return oom_kills_v1(*this); }
  UniqueFd watch_oom() const override;
  nlohmann::json to_json() const override;

  static std::unique_ptr<CgroupV1> from_json(const nlohmann::json& saved);

 private:
  std::vector<std::string> apply_limits(const nlohmann::json& resources, Limits part) override;
  std::optional<std::string> read(std::string_view controller,
                                  std::string_view file) const override;
  bool has_v1(std::string_view controller) const override { return find(controller) != nullptr; }

  [[nodiscard]] const V1Dir* find(std::string_view controller) const;
  void write(const Write& w, ControlFileWriter& writer);
  void create_unified();
  [[nodiscard]] const std::string& freezer_dir(const char* action) const;

  std::vector<V1Dir> dirs_;
  std::unique_ptr<CgroupV2> unified_;
  std::vector<std::string> created_;
};

}  // namespace skiff::cgroups
