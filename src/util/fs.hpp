// Small file helpers shared by the library.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff {

// Whole file as text; throws naming the path.
std::string read_file(const std::string& path);
// The same, nullopt when the file does not exist (no exception on that path:
// state checks of exited processes are on the hot path).
std::optional<std::string> read_file_if_exists(const std::string& path);
// All of data to fd, across short writes and EINTR; false on an error (errno).
bool write_all(int fd, std::string_view data);
// Write text to an existing file (cgroup, /proc knobs); throws naming the path.
void write_file(const std::string& path, std::string_view content);
// Write via a temporary file + rename so readers never see half a file.
void write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0600);
// mkdir -p; existing directories are fine.
void make_directories(const std::string& path, unsigned mode = 0755);
// rm -r of a directory we own (state dirs); missing is fine.
void remove_tree(const std::string& path);
// Absolute, lexically normalised form of path relative to base.
std::string absolute_path(const std::string& path, const std::string& base);
bool path_exists(const std::string& path);

}  // namespace skiff
