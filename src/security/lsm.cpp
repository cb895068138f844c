#include "security/lsm.hpp"

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace skiff::security {
namespace {

#ifndef SYS_lsm_list_modules
#define SYS_lsm_list_modules 461
#endif
constexpr uint64_t kLsmIdSelinux = 101;   // LSM_ID_SELINUX (linux/lsm.h)
constexpr uint64_t kLsmIdApparmor = 104;  // LSM_ID_APPARMOR
constexpr long kSelinuxMagic = 0xf97cff8c;

// The kernel's list of active LSMs (Linux 6.8+); nullopt on older kernels.
std::optional<std::vector<uint64_t>> active_lsms() {
  std::vector<uint64_t> ids(32);
  uint32_t size = static_cast<uint32_t>(ids.size() * sizeof(uint64_t));
  long n = ::syscall(SYS_lsm_list_modules, ids.data(), &size, 0);
  if (n < 0) return std::nullopt;
  ids.resize(static_cast<size_t>(n));
  return ids;
}

bool contains(const std::vector<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

bool apparmor_enabled() {
  if (auto ids = active_lsms()) return contains(*ids, kLsmIdApparmor);
  try {
    return read_file("/sys/module/apparmor/parameters/enabled").starts_with("Y");
  } catch (const Error&) {
    return false;
  }
}

bool selinux_enabled() {
  if (auto ids = active_lsms()) return contains(*ids, kLsmIdSelinux);
  struct statfs fs {};
  return ::statfs("/sys/fs/selinux", &fs) == 0 && fs.f_type == kSelinuxMagic;
}

void apply_lsm_labels(const Procfs& procfs, const oci::Process& process) {
  if (!process.apparmor_profile.empty() && apparmor_enabled()) {
    std::string value = "exec " + process.apparmor_profile;
    try {
      procfs.write_self("attr/apparmor/exec", value, "process.apparmorProfile");
    } catch (const Error&) {
      procfs.write_self("attr/exec", value, "process.apparmorProfile");  // before Linux 5.8
    }
  }
  if (!process.selinux_label.empty() && selinux_enabled())
    procfs.write_self("attr/exec", process.selinux_label, "process.selinuxLabel");
}

}  // namespace skiff::security
