// Thin wrappers over the process system calls glibc 2.36 lacks or hides.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>

namespace skiff::runtime {

struct CloneResult {
  pid_t pid = 0;   // 0 in the child
  int pidfd = -1;  // parent only
};

// clone3 with fork semantics (no shared memory): flags are CLONE_NEW* bits;
// cgroup_fd >= 0 places the child straight into that cgroup. Throws on error.
CloneResult clone3_process(uint64_t flags, int cgroup_fd);

int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int signal);

// Wait for a child and turn its status into a shell-style exit code
// (status, or 128 + signal).
int wait_exit_code(pid_t pid);
int exit_code_from_status(int status);

// Mark every fd from first upwards close-on-exec.
void cloexec_from(int first);

}  // namespace skiff::runtime
