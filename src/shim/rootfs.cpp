#include "shim/rootfs.hpp"

#include <sys/mount.h>

#include <string_view>

#include "util/error.hpp"

namespace skiff::shim {

namespace {

struct FlagWord {
  std::string_view word;
  unsigned long flag;
  bool clear;
};

// fstab words mount(2) takes as flags; everything else is filesystem data.
constexpr FlagWord kFlagWords[] = {
    {"ro", MS_RDONLY, false},      {"rw", MS_RDONLY, true},       {"nosuid", MS_NOSUID, false},
    {"suid", MS_NOSUID, true},     {"nodev", MS_NODEV, false},    {"dev", MS_NODEV, true},
    {"noexec", MS_NOEXEC, false},  {"exec", MS_NOEXEC, true},     {"sync", MS_SYNCHRONOUS, false},
    {"async", MS_SYNCHRONOUS, true}, {"noatime", MS_NOATIME, false}, {"relatime", MS_RELATIME, false},
    {"nodiratime", MS_NODIRATIME, false}, {"bind", MS_BIND, false}, {"rbind", MS_BIND | MS_REC, false},
    {"remount", MS_REMOUNT, false}, {"defaults", 0, false},
};

void mount_one(const RootfsMount& mount, const std::string& target) {
  unsigned long flags = 0;
  std::string data;
  for (const auto& option : mount.options) {
    bool known = false;
    for (const auto& word : kFlagWords) {
      if (option != word.word) continue;
      flags = word.clear ? flags & ~word.flag : flags | word.flag;
      known = true;
      break;
    }
    if (known) continue;
    if (!data.empty()) data += ',';
    data += option;
  }
  const char* type = mount.type == "bind" ? nullptr : mount.type.c_str();
  if (mount.type == "bind") flags |= MS_BIND;
  unsigned long first = (flags & MS_BIND) ? flags & ~MS_RDONLY : flags;
  if (::mount(mount.source.c_str(), target.c_str(), type, first, data.empty() ? nullptr : data.c_str()) != 0)
    throw_errno("rootfs mount " + mount.type + " " + mount.source + " on " + target);
  // A bind mount only takes its read-only flag on a remount.
  if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
      ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
    throw_errno("rootfs mount " + mount.source + ": read-only remount of " + target);
}

}  // namespace

void mount_rootfs(const std::vector<RootfsMount>& mounts, const std::string& target) {
  size_t done = 0;
  try {
    for (const auto& mount : mounts) {
      mount_one(mount, target);
      ++done;
    }
  } catch (...) {
    for (; done > 0; --done) ::umount2(target.c_str(), MNT_DETACH);
    throw;
  }
}

void unmount_rootfs(const std::string& target) {
  while (::umount2(target.c_str(), MNT_DETACH) == 0) {
  }
}

}  // namespace skiff::shim
