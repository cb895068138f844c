// Name tables shared by validation (spec.cpp), `skiff features` and the
// modules that enforce the spec (mounts/, security/). One place, so what we
// accept, what we advertise and what we apply never drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace skiff::oci {

// What a mount option means to the mount code.
enum class MountOptionKind {
  Flag,         // MS_* flag set (clear=false) or cleared (clear=true) on mount(2)
  Propagation,  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (+MS_REC), applied after mounting
  Recursive,    // mount_setattr(AT_RECURSIVE) attribute set or cleared (MOUNT_ATTR_*)
  Extension,    // handled by the runtime itself (tmpcopyup, idmap)
  Data,         // passed to the filesystem in the data string
};

struct MountOption {
  std::string_view name;
  MountOptionKind kind;
  bool clear;           // the option clears `flag` instead of setting it
  unsigned long flag;   // MS_* (Flag/Propagation) or MOUNT_ATTR_* (Recursive)
};

// Every bare-word mount option we accept. Anything of the form key=value is
// filesystem data and is accepted without lookup.
std::span<const MountOption> mount_options();
const MountOption* find_mount_option(std::string_view name);
// True for "key=value" options (passed to the filesystem as data).
bool is_mount_data_option(std::string_view option);

// rootfsPropagation values and their MS_* flags (MS_REC included for r*).
std::optional<unsigned long> propagation_flags(std::string_view name);
std::span<const std::string_view> propagation_names();

struct NamedValue {
  std::string_view name;
  int value;
};

// CAP_CHOWN .. CAP_CHECKPOINT_RESTORE with their numbers.
std::span<const NamedValue> capabilities();
std::optional<int> capability_from_name(std::string_view name);

// RLIMIT_* names and resource numbers.
std::span<const NamedValue> rlimits();
std::optional<int> rlimit_from_name(std::string_view name);

// Seccomp vocabulary of the runtime-spec.
std::span<const std::string_view> seccomp_actions();
std::span<const std::string_view> seccomp_operators();
std::span<const std::string_view> seccomp_flags();
struct SeccompArch {
  std::string_view name;       // "SCMP_ARCH_X86_64"
  std::string_view libseccomp; // "x86_64", for seccomp_arch_resolve_name()
};
std::span<const SeccompArch> seccomp_archs();
const SeccompArch* find_seccomp_arch(std::string_view name);
bool contains(std::span<const std::string_view> names, std::string_view name);

// The six hook kinds, in the order they run.
std::span<const std::string_view> hook_names();

}  // namespace skiff::oci
