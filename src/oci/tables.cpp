#include "oci/tables.hpp"

#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>

namespace skiff::oci {
namespace {

using K = MountOptionKind;

// runc's tables (libcontainer/specconv), plus the id-mapped mount extensions
// and the bare-word filesystem options that real configs carry (devpts
// "newinstance" is in every `runc spec`).
constexpr MountOption kMountOptions[] = {
    {"acl", K::Flag, false, MS_POSIXACL},
    {"async", K::Flag, true, MS_SYNCHRONOUS},
    {"atime", K::Flag, true, MS_NOATIME},
    {"bind", K::Flag, false, MS_BIND},
    {"defaults", K::Flag, false, 0},
    {"dev", K::Flag, true, MS_NODEV},
    {"diratime", K::Flag, true, MS_NODIRATIME},
    {"dirsync", K::Flag, false, MS_DIRSYNC},
    {"exec", K::Flag, true, MS_NOEXEC},
    {"iversion", K::Flag, false, MS_I_VERSION},
    {"lazytime", K::Flag, false, MS_LAZYTIME},
    {"loud", K::Flag, true, MS_SILENT},
    {"mand", K::Flag, false, MS_MANDLOCK},
    {"noacl", K::Flag, true, MS_POSIXACL},
    {"noatime", K::Flag, false, MS_NOATIME},
    {"nodev", K::Flag, false, MS_NODEV},
    {"nodiratime", K::Flag, false, MS_NODIRATIME},
    {"noexec", K::Flag, false, MS_NOEXEC},
    {"noiversion", K::Flag, true, MS_I_VERSION},
    {"nolazytime", K::Flag, true, MS_LAZYTIME},
    {"nomand", K::Flag, true, MS_MANDLOCK},
    {"norelatime", K::Flag, true, MS_RELATIME},
    {"nostrictatime", K::Flag, true, MS_STRICTATIME},
    {"nosuid", K::Flag, false, MS_NOSUID},
    {"nosymfollow", K::Flag, false, MS_NOSYMFOLLOW},
    {"rbind", K::Flag, false, MS_BIND | MS_REC},
    {"relatime", K::Flag, false, MS_RELATIME},
    {"remount", K::Flag, false, MS_REMOUNT},
    {"ro", K::Flag, false, MS_RDONLY},
    {"rw", K::Flag, true, MS_RDONLY},
    {"silent", K::Flag, false, MS_SILENT},
    {"strictatime", K::Flag, false, MS_STRICTATIME},
    {"suid", K::Flag, true, MS_NOSUID},
    {"symfollow", K::Flag, true, MS_NOSYMFOLLOW},
    {"sync", K::Flag, false, MS_SYNCHRONOUS},

    {"private", K::Propagation, false, MS_PRIVATE},
    {"shared", K::Propagation, false, MS_SHARED},
    {"slave", K::Propagation, false, MS_SLAVE},
    {"unbindable", K::Propagation, false, MS_UNBINDABLE},
    {"rprivate", K::Propagation, false, MS_PRIVATE | MS_REC},
    {"rshared", K::Propagation, false, MS_SHARED | MS_REC},
    {"rslave", K::Propagation, false, MS_SLAVE | MS_REC},
    {"runbindable", K::Propagation, false, MS_UNBINDABLE | MS_REC},

    {"rro", K::Recursive, false, MOUNT_ATTR_RDONLY},
    {"rrw", K::Recursive, true, MOUNT_ATTR_RDONLY},
    {"rnosuid", K::Recursive, false, MOUNT_ATTR_NOSUID},
    {"rsuid", K::Recursive, true, MOUNT_ATTR_NOSUID},
    {"rnodev", K::Recursive, false, MOUNT_ATTR_NODEV},
    {"rdev", K::Recursive, true, MOUNT_ATTR_NODEV},
    {"rnoexec", K::Recursive, false, MOUNT_ATTR_NOEXEC},
    {"rexec", K::Recursive, true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", K::Recursive, false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", K::Recursive, true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", K::Recursive, false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", K::Recursive, true, MOUNT_ATTR_RELATIME},
    {"rnoatime", K::Recursive, false, MOUNT_ATTR_NOATIME},
    {"ratime", K::Recursive, true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", K::Recursive, false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", K::Recursive, true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", K::Recursive, false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", K::Recursive, true, MOUNT_ATTR_NOSYMFOLLOW},

    {"tmpcopyup", K::Extension, false, 0},
    {"idmap", K::Extension, false, MOUNT_ATTR_IDMAP},
    {"ridmap", K::Extension, false, MOUNT_ATTR_IDMAP},

    {"newinstance", K::Data, false, 0},   // devpts
    {"inode64", K::Data, false, 0},       // tmpfs
    {"inode32", K::Data, false, 0},
    {"noswap", K::Data, false, 0},
    {"userxattr", K::Data, false, 0},     // overlay
    {"volatile", K::Data, false, 0},
    {"user_xattr", K::Data, false, 0},    // ext4
    {"nouser_xattr", K::Data, false, 0},
    {"nouuid", K::Data, false, 0},        // xfs
    {"usrquota", K::Data, false, 0},
    {"grpquota", K::Data, false, 0},
    {"prjquota", K::Data, false, 0},
    {"quota", K::Data, false, 0},
    {"noquota", K::Data, false, 0},
    {"discard", K::Data, false, 0},
    {"nodiscard", K::Data, false, 0},
    {"barrier", K::Data, false, 0},
    {"nobarrier", K::Data, false, 0},
    {"norecovery", K::Data, false, 0},
    {"nolock", K::Data, false, 0},        // nfs
    {"hard", K::Data, false, 0},
    {"soft", K::Data, false, 0},
};

struct Propagation {
  std::string_view name;
  unsigned long flags;
};

constexpr Propagation kPropagations[] = {
    {"shared", MS_SHARED},
    {"slave", MS_SLAVE},
    {"private", MS_PRIVATE},
    {"unbindable", MS_UNBINDABLE},
    {"rshared", MS_SHARED | MS_REC},
    {"rslave", MS_SLAVE | MS_REC},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"runbindable", MS_UNBINDABLE | MS_REC},
};

constexpr std::string_view kPropagationNames[] = {
    "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"};

// linux/capability.h; numbers are fixed by the kernel ABI.
constexpr NamedValue kCapabilities[] = {
    {"CAP_CHOWN", 0},
    {"CAP_DAC_OVERRIDE", 1},
    {"CAP_DAC_READ_SEARCH", 2},
    {"CAP_FOWNER", 3},
    {"CAP_FSETID", 4},
    {"CAP_KILL", 5},
    {"CAP_SETGID", 6},
    {"CAP_SETUID", 7},
    {"CAP_SETPCAP", 8},
    {"CAP_LINUX_IMMUTABLE", 9},
    {"CAP_NET_BIND_SERVICE", 10},
    {"CAP_NET_BROADCAST", 11},
    {"CAP_NET_ADMIN", 12},
    {"CAP_NET_RAW", 13},
    {"CAP_IPC_LOCK", 14},
    {"CAP_IPC_OWNER", 15},
    {"CAP_SYS_MODULE", 16},
    {"CAP_SYS_RAWIO", 17},
    {"CAP_SYS_CHROOT", 18},
    {"CAP_SYS_PTRACE", 19},
    {"CAP_SYS_PACCT", 20},
    {"CAP_SYS_ADMIN", 21},
    {"CAP_SYS_BOOT", 22},
    {"CAP_SYS_NICE", 23},
    {"CAP_SYS_RESOURCE", 24},
    {"CAP_SYS_TIME", 25},
    {"CAP_SYS_TTY_CONFIG", 26},
    {"CAP_MKNOD", 27},
    {"CAP_LEASE", 28},
    {"CAP_AUDIT_WRITE", 29},
    {"CAP_AUDIT_CONTROL", 30},
    {"CAP_SETFCAP", 31},
    {"CAP_MAC_OVERRIDE", 32},
    {"CAP_MAC_ADMIN", 33},
    {"CAP_SYSLOG", 34},
    {"CAP_WAKE_ALARM", 35},
    {"CAP_BLOCK_SUSPEND", 36},
    {"CAP_AUDIT_READ", 37},
    {"CAP_PERFMON", 38},
    {"CAP_BPF", 39},
    {"CAP_CHECKPOINT_RESTORE", 40},
};

constexpr NamedValue kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

constexpr std::string_view kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

constexpr std::string_view kSeccompOperators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

constexpr std::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

constexpr SeccompArch kSeccompArchs[] = {
    {"SCMP_ARCH_X86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64"},
    {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64"},
    {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
    {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k"},
    {"SCMP_ARCH_SH", "sh"},
    {"SCMP_ARCH_SHEB", "sheb"},
};

constexpr std::string_view kHooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

template <typename Table>
std::optional<int> lookup_value(const Table& table, std::string_view name) {
  for (const auto& entry : table)
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

}  // namespace

std::span<const MountOption> mount_options() { return kMountOptions; }

const MountOption* find_mount_option(std::string_view name) {
  for (const auto& option : kMountOptions)
    if (option.name == name) return &option;
  return nullptr;
}

bool is_mount_data_option(std::string_view option) {
  auto eq = option.find('=');
  return eq != std::string_view::npos && eq > 0;
}

std::optional<unsigned long> propagation_flags(std::string_view name) {
  for (const auto& p : kPropagations)
    if (p.name == name) return p.flags;
  return std::nullopt;
}

std::span<const std::string_view> propagation_names() { return kPropagationNames; }

std::span<const NamedValue> capabilities() { return kCapabilities; }
std::optional<int> capability_from_name(std::string_view name) {
  return lookup_value(kCapabilities, name);
}

std::span<const NamedValue> rlimits() { return kRlimits; }
std::optional<int> rlimit_from_name(std::string_view name) { return lookup_value(kRlimits, name); }

std::span<const std::string_view> seccomp_actions() { return kSeccompActions; }
std::span<const std::string_view> seccomp_operators() { return kSeccompOperators; }
std::span<const std::string_view> seccomp_flags() { return kSeccompFlags; }
std::span<const SeccompArch> seccomp_archs() { return kSeccompArchs; }

const SeccompArch* find_seccomp_arch(std::string_view name) {
  for (const auto& arch : kSeccompArchs)
    if (arch.name == name) return &arch;
  return nullptr;
}

bool contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::span<const std::string_view> hook_names() { return kHooks; }

}  // namespace skiff::oci
