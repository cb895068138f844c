#include "security/seccomp_cache.hpp"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "util/fd.hpp"

namespace skiff::security {
namespace {

constexpr unsigned kEntryNames = 4096;  // bounds the cache: at most this many files

// Appends / reads fixed-size values in host byte order (the cache never
// leaves this machine).
template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
bool take(std::string_view& in, T& value) {
  if (in.size() < sizeof value) return false;
  std::memcpy(&value, in.data(), sizeof value);
  in.remove_prefix(sizeof value);
  return true;
}

void put_text(std::string& out, std::string_view text) {
  put(out, static_cast<uint64_t>(text.size()));
  out.append(text);
}

bool take_text(std::string_view& in, std::string_view& text) {
  uint64_t size = 0;
  if (!take(in, size) || in.size() < size) return false;
  text = in.substr(0, size);
  in.remove_prefix(size);
  return true;
}

// Whatever changes the compiled program besides the profile: our own binary
// (any rebuild), libseccomp and the kernel (which filter flags it accepts).
std::string cache_key(const std::string& profile_json) {
  struct stat self {};
  ::stat("/proc/self/exe", &self);
  const scmp_version* lib = seccomp_version();
  utsname kernel {};
  ::uname(&kernel);
  char header[256];
  std::snprintf(header, sizeof header, "skiff-seccomp-cache 1 exe %lu:%lu:%ld.%ld libseccomp %u.%u.%u kernel %s\n",
                static_cast<unsigned long>(self.st_dev), static_cast<unsigned long>(self.st_ino),
                static_cast<long>(self.st_mtim.tv_sec), self.st_mtim.tv_nsec, lib ? lib->major : 0,
                lib ? lib->minor : 0, lib ? lib->micro : 0, kernel.release);
  return header + profile_json;
}

std::string entry_path(const std::string& cache_dir, const std::string& key) {
  uint64_t hash = 1469598103934665603ULL;  // FNV-1a: only picks the file name
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ULL;
  char name[16];
  std::snprintf(name, sizeof name, "/%03x", static_cast<unsigned>(hash % kEntryNames));
  return cache_dir + name;
}

bool owned_by_us_only(const struct stat& st) {
  return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<std::string> read_trusted(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !owned_by_us_only(st))
    return std::nullopt;
  std::string content(static_cast<size_t>(st.st_size), '\0');
  if (::pread(fd.get(), content.data(), content.size(), 0) != st.st_size) return std::nullopt;
  return content;
}

bool trusted_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return true;
  struct stat st {};
  return errno == EEXIST && ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         owned_by_us_only(st);
}

// Temp file per process, then rename: concurrent starts never mix entries.
void write_entry(const std::string& path, const std::string& entry) {
  const std::string temp = path + "." + std::to_string(::getpid()) + ".tmp";
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return;
  bool written = ::write(fd.get(), entry.data(), entry.size()) == static_cast<ssize_t>(entry.size());
  fd.reset();
  if (!written || ::rename(temp.c_str(), path.c_str()) != 0) ::unlink(temp.c_str());
}

}  // namespace

std::string cache_entry(const std::string& key, const SeccompProgram& program) {
  std::string out;
  put_text(out, key);
  put(out, static_cast<uint32_t>(program.flags));
  put(out, static_cast<uint8_t>(program.notify));
  put(out, static_cast<uint64_t>(program.warnings.size()));
  for (const auto& warning : program.warnings) put_text(out, warning);
  put_text(out, std::string_view(reinterpret_cast<const char*>(program.instructions.data()),
                                 program.instructions.size() * sizeof(sock_filter)));
  return out;
}

std::optional<SeccompProgram> program_from_entry(std::string_view in, const std::string& key) {
  std::string_view stored_key, instructions, warning;
  SeccompProgram program;
  uint32_t flags = 0;
  uint8_t notify = 0;
  uint64_t warnings = 0;
  if (!take_text(in, stored_key) || stored_key != key || !take(in, flags) || !take(in, notify) ||
      !take(in, warnings) || warnings > in.size())
    return std::nullopt;
  for (uint64_t i = 0; i < warnings; ++i) {
    if (!take_text(in, warning)) return std::nullopt;
    program.warnings.emplace_back(warning);
  }
  if (!take_text(in, instructions) || !in.empty() || instructions.empty() ||
      instructions.size() % sizeof(sock_filter) != 0)
    return std::nullopt;
  program.flags = flags;
  program.notify = notify != 0;
  program.instructions.resize(instructions.size() / sizeof(sock_filter));
  std::memcpy(program.instructions.data(), instructions.data(), instructions.size());
  return program;
}

SeccompProgram compile_seccomp_cached(const oci::Seccomp& profile, const std::string& profile_json,
                                      const std::string& cache_dir) {
  if (cache_dir.empty() || !trusted_dir(cache_dir)) return compile_seccomp(profile);
  const std::string key = cache_key(profile_json);
  const std::string path = entry_path(cache_dir, key);
  if (auto entry = read_trusted(path))
    if (auto program = program_from_entry(*entry, key)) return std::move(*program);
  SeccompProgram program = compile_seccomp(profile);  // a bad profile throws: nothing cached
  write_entry(path, cache_entry(key, program));  // failing only costs the next start a compile
  return program;
}

}  // namespace skiff::security
