// Seccomp: the OCI profile (linux.seccomp) compiled with libseccomp into a BPF
// program by the runtime, before any process exists, so a bad profile fails
// `create` with nothing left behind; the container process then only loads it
// (one seccomp(2) call, no libseccomp, no allocation).
//
// Syscalls newer than the profile get ENOSYS, not the default action: a stub
// in front of libseccomp's program returns ENOSYS for numbers above the
// highest one the profile names on that architecture (runc and crun do the
// same), so a newer libc falls back instead of failing with EPERM.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "oci/spec.hpp"
#include "util/fd.hpp"

namespace skiff::security {

struct SeccompProgram {
  std::vector<sock_filter> instructions;
  unsigned flags = 0;   // SECCOMP_FILTER_FLAG_* passed to seccomp(2)
  bool notify = false;  // a rule uses SCMP_ACT_NOTIFY: load with a listener
  // What the caller should log: syscall names this libseccomp does not know
  // (skipped, as runc does).
  std::vector<std::string> warnings;
};

// Throws skiff::Error naming the field ("linux.seccomp.architectures[1]: ...").
SeccompProgram compile_seccomp(const oci::Seccomp& profile);

// Install the filter on the calling thread. Returns the notify listener fd
// when program.notify, else an empty fd.
UniqueFd load_seccomp(const SeccompProgram& program);

// When the container process loads its filter. Without no_new_privs the
// kernel wants CAP_SYS_ADMIN, so before capabilities are dropped; a listener
// fd must reach the runtime while it still waits, so at the end of setup;
// otherwise right before execve, so the filter sees nothing but execve.
enum class SeccompStage { BeforeCapabilities, EndOfSetup, BeforeExec };
SeccompStage seccomp_stage(const SeccompProgram& program, bool no_new_privileges);
// Load program (when not null) if `stage` is its stage; returns the listener fd.
UniqueFd load_seccomp_at(const SeccompProgram* program, bool no_new_privileges, SeccompStage stage);

// Hand a notify listener fd to linux.seccomp.listenerPath as runc does: one
// message holding a ContainerProcessState JSON ({"ociVersion", "fds":
// ["seccompFd"], "pid", "metadata", "state"}) with the fd attached (SCM_RIGHTS).
void send_to_listener(const oci::Seccomp& profile, int notify_fd, pid_t pid,
                      const nlohmann::json& state);

// The ENOSYS stub for the given architectures (libseccomp tokens, SCMP_ARCH_*)
// and the highest syscall number the profile names on each (negative: none).
// Exposed for the unit tests.
struct ArchLimit {
  uint32_t arch = 0;
  int max_syscall = -1;
};
std::vector<sock_filter> enosys_stub(const std::vector<ArchLimit>& limits);

}  // namespace skiff::security
