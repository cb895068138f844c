// Writing to /proc without trusting the container's /proc (the 2025 runc
// CVEs: a container that controls its mounts can put a bind mount or a
// symlink where the runtime expects /proc/self/attr/exec, /proc/sys/... and
// redirect the write into a host file such as core_pattern).
//
// The runtime opens the host's /proc once, before anything of the container
// exists, checks it is the root of a procfs, and hands the fd down to the
// processes it clones. Every file is then opened relative to it with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
// RESOLVE_NO_XDEV): no symlink, no magic link and no mount crossing, and the
// result must still be on procfs.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "oci/spec.hpp"
#include "util/fd.hpp"

namespace skiff::security {

class Procfs {
 public:
  // The host's /proc (as the runtime sees it). Throws if it is not a procfs root.
  static Procfs open_host();

  [[nodiscard]] int fd() const { return root_.get(); }

  // A file under the procfs root ("sys/net/ipv4/ip_forward"). Throws naming
  // `what` when the path leaves procfs, crosses a mount or follows a link.
  [[nodiscard]] UniqueFd open(std::string_view relative, int flags, std::string_view what) const;
  // The same under the calling process's own /proc/<pid> ("attr/exec").
  [[nodiscard]] UniqueFd open_self(std::string_view relative, int flags,
                                   std::string_view what) const;
  // Under /proc/<pid> of a process of this procfs's pid namespace.
  [[nodiscard]] UniqueFd open_pid(pid_t pid, std::string_view relative, int flags,
                                  std::string_view what) const;

  // Open for writing and write value (one write, as the kernel wants it).
  void write(std::string_view relative, std::string_view value, std::string_view what) const;
  void write_self(std::string_view relative, std::string_view value, std::string_view what) const;

 private:
  explicit Procfs(UniqueFd root) : root_(std::move(root)) {}
  UniqueFd root_;
};

// linux.sysctl, written from inside the container's namespaces (the kernel
// picks the namespace of the writer) through the runtime's procfs.
void write_sysctls(const Procfs& procfs, const oci::Spec& spec);

// process.oomScoreAdj of a process of ours, written by the runtime (it has
// the privilege to lower the value; the container's init may not).
void write_oom_score_adj(const Procfs& procfs, pid_t pid, const oci::Process& process);

}  // namespace skiff::security
