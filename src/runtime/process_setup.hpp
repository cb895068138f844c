// The last steps of a container process (the init or an exec), from inside
// the container: stdio/pty, rlimits, user, cwd, then execve.
#pragma once

#include <array>
#include <functional>
#include <string>

#include "oci/spec.hpp"
#include "security/seccomp.hpp"
#include "util/fd.hpp"

namespace skiff::runtime {

// Open a pty inside the container, send its master over console_fd
// (SCM_RIGHTS) and make the slave our controlling terminal and stdio.
void setup_terminal(const oci::Process& process, int console_fd);

// Make stdio[i] (when >= 0) our fd i, for any overlap between them and 0..2.
void redirect_stdio(const std::array<int, 3>& stdio);

void apply_rlimits(const oci::Process& process);
// setgroups/setresgid/setresuid; umask.
void switch_user(const oci::Process& process);
// chdir to process.cwd resolved inside "/" (no magic links, ".." stays in).
// process.cwd resolved inside the root (an O_PATH fd), before a seccomp
// profile that may not know openat2 is loaded; entered (fchdir) after the
// user switch, so the permission check is the process user's.
UniqueFd open_working_directory(const oci::Process& process);
void change_directory(const oci::Process& process, const UniqueFd& cwd);
// Create process.cwd if missing, as runc does (before dropping privileges);
// a read-only root leaves the error to change_directory.
void create_working_directory(const oci::Process& process);
// Find args[0] on the container's PATH (runc: executable file not found in $PATH).
std::string resolve_executable(const oci::Process& process);
// The first PATH entry joined with args[0] (a bare name) that `usable`
// accepts, or "".
std::string find_on_path(const oci::Process& process, const std::function<bool(const std::string&)>& usable);
// Keep fds 0..2 and the preserved 3..3+preserve_fds-1 across exec, every other
// fd close-on-exec. Called before the first seccomp stage: a profile may deny
// or not know close_range (runtime-tools' does not).
void keep_only_inherited_fds(int preserve_fds);
// Reset the signal mask and load a seccomp filter whose stage is BeforeExec:
// the last steps before the container's code runs (execve or a wasm module).
void prepare_to_run(const oci::Process& process, const security::SeccompProgram* seccomp);
// execve, after loading a seccomp filter whose stage is BeforeExec; fds must
// already be sorted out by keep_only_inherited_fds.
[[noreturn]] void exec_process(const oci::Process& process, const std::string& path,
                               const security::SeccompProgram* seccomp = nullptr);

}  // namespace skiff::runtime
