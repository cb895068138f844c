// The container's cgroup. One interface over cgroup v2 (unified) and v1/hybrid
// hosts; the layout is read from /proc/self/mountinfo, never assumed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "util/fd.hpp"

namespace skiff::cgroups {

// A v1 hierarchy's `tasks` file, opened by the runtime for a new process to
// write "0" into. A thread moving itself skips the global threadgroup lock
// that writing another pid to cgroup.procs takes (an RCU grace period, which
// is most of a container start on v1 hosts).
struct SelfJoin {
  UniqueFd tasks;
  std::string dir;
};

// Run by the new (single-threaded) process itself: joins every hierarchy.
void join_self(const std::vector<SelfJoin>& joins);

// Which of linux.resources apply() writes. v1 device rules go through "deny
// all" before each allow, so a process already in the cgroup may be refused
// any device (its /dev/ptmx, say) meanwhile: the runtime writes them before
// the init joins (BeforeJoin), and the rest while it sets up (AfterJoin).
enum class Limits { All, BeforeJoin, AfterJoin };

class Cgroup {
 public:
  virtual ~Cgroup() = default;

  // Create the cgroup directories (v2: one; v1: one per mounted controller).
  // Throws if it cannot; leaves nothing behind on failure.
  virtual void create() = 0;
  // The same in two steps, so that a new init can set itself up while the
  // runtime makes the v1 directories: first what clone3(CLONE_INTO_CGROUP)
  // needs (v2: everything; v1: a hybrid host's cgroup2 directory), then the
  // rest (v1: one directory per hierarchy, which the init joins itself).
  // On failure, destroy() removes what either made.
  virtual void create_for_clone() { create(); }
  virtual void create_hierarchies() {}
  // Whether the init joins hierarchies itself (v1): then the runtime passes
  // it open_self_join() once create_hierarchies() is done.
  [[nodiscard]] virtual bool joined_by_init() const { return false; }
  // An O_DIRECTORY fd of the cgroup2 directory for clone3(CLONE_INTO_CGROUP)
  // (v2, or the cgroup2 part of a hybrid host); -1 when there is none.
  virtual int clone_into_fd() const = 0;
  // The v1 hierarchies a new process joins itself (join_self); empty on v2.
  virtual std::vector<SelfJoin> open_self_join() const { return {}; }
  // Move a process into the cgroup (every hierarchy on v1).
  virtual void add_process(pid_t pid) = 0;
  // Apply linux.resources (or the part named); returns a warning per field
  // this cgroup version ignores (v1-only fields on v2), for the caller to log.
  std::vector<std::string> apply(const nlohmann::json& resources, Limits part = Limits::All) {
    return apply_limits(resources, part);
  }
  // Pids of every process in the cgroup.
  virtual std::vector<pid_t> pids() const = 0;
  // Freeze / thaw every process.
  virtual void freeze() = 0;
  virtual void thaw() = 0;
  virtual bool frozen() const = 0;
  // Remove the directories (kills nothing; call after the processes exit).
  virtual void destroy() = 0;
  // Send sig to every process (v2 + SIGKILL: cgroup.kill; otherwise each pid,
  // frozen first for SIGKILL so nothing forks past the signal).
  virtual void kill_all(int sig) = 0;
  // Usage counters shaped like runc's `events --stats` data: "cpu", "memory",
  // "pids" (sections of absent controllers are left out).
  virtual nlohmann::json stats() const = 0;
  // OOM kills in the cgroup so far (v2 memory.events, v1 memory.oom_control).
  virtual uint64_t oom_kills() const = 0;

  // What to record in the state so a later command can reopen it.
  virtual nlohmann::json to_json() const = 0;

  // A non-blocking fd that polls readable when oom_kills() may have grown
  // (cgroups/oom_watch.hpp); invalid without a memory controller.
  virtual UniqueFd watch_oom() const = 0;

 protected:
  virtual std::vector<std::string> apply_limits(const nlohmann::json& resources, Limits part) = 0;
};

// The cgroup for a container: path is linux.cgroupsPath, as runc's cgroupfs
// driver: absolute paths are under each hierarchy's root, relative ones under
// this process's own cgroup; empty means "/<id>". The systemd form
// "slice:prefix:name" is rejected (no systemd driver yet).
std::unique_ptr<Cgroup> make_cgroup(const std::string& path, const std::string& id);
// The same on a layout already read (read_layout()).
std::unique_ptr<Cgroup> make_cgroup(const std::string& path, const std::string& id, const Layout& layout);
// Reopen a cgroup recorded in a container's state.
std::unique_ptr<Cgroup> load_cgroup(const nlohmann::json& saved);

}  // namespace skiff::cgroups
