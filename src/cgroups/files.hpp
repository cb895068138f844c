// Small file helpers for cgroup filesystems. Errors keep the errno so callers
// can add the resource field or the directory to the message.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/fd.hpp"

namespace skiff::cgroups {

// "a" + "b" -> "a/b", never doubling the slash.
std::string join_path(std::string_view dir, std::string_view name);

// The whole file; nullopt when it does not exist. Throws on other errors.
std::optional<std::string> read_optional(const std::string& path);
// The whole file; throws "reading <path>: <cause>".
std::string read_text(const std::string& path);
// The first line without the newline.
std::string trim(std::string_view text);

// Write value to dir/file in one write(2); returns 0 or the errno.
int try_write(const std::string& dir, const std::string& file, std::string_view value);
// Same, throwing "writing <file> in <dir>: <cause>".
void write_file(const std::string& dir, const std::string& file, std::string_view value);

// try_write for a run of writes: a control file written several times in a
// row (devices.allow, one rule per write) is opened once. Opening a cgroup
// file costs more than writing to it.
class ControlFileWriter {
 public:
  int write(const std::string& dir, const std::string& file, std::string_view value);

 private:
  std::string path_;
  UniqueFd fd_;
};

// mkdir -p; returns the directories it created, outermost first.
std::vector<std::string> make_dirs(const std::string& dir);
// rmdir dir and every sub-directory, deepest first, retrying while the kernel
// reports EBUSY (processes still leaving) for up to 10 s. ENOENT is success.
// Returns 0 or the errno of the first failure.
int remove_tree(const std::string& dir);
// Best-effort removal of dirs in reverse order (undo make_dirs).
void remove_created(const std::vector<std::string>& dirs) noexcept;

// Sub-directories of dir (names only).
std::vector<std::string> sub_dirs(const std::string& dir);

// Pids listed in dir/cgroup.procs, and in every sub-cgroup when recursive.
std::vector<pid_t> read_procs(const std::string& dir, bool recursive);

}  // namespace skiff::cgroups
