// linux.seccomp -> libseccomp -> BPF (in the runtime), and loading it (in the
// container process).
#include "security/seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string_view>

#include "oci/tables.hpp"
#include "util/error.hpp"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace skiff::security {

namespace {

constexpr const char* kField = "linux.seccomp";
constexpr uint32_t kDefaultErrno = EPERM;
constexpr size_t kMaxInstructions = BPF_MAXINSNS;

using Context = std::unique_ptr<void, decltype(&seccomp_release)>;

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string indexed(std::string_view base, size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

[[noreturn]] void fail_libseccomp(const std::string& field, int rc) { throw_errno(field, -rc); }

// OCI action name (+ errnoRet) -> libseccomp action. SCMP_ACT_KILL kills the
// thread, as in runc.
uint32_t action_value(const std::string& name, std::optional<uint32_t> errno_ret,
                      const std::string& field, const std::string& errno_field) {
  uint32_t data = errno_ret.value_or(kDefaultErrno);
  if (errno_ret && *errno_ret > SECCOMP_RET_DATA)
    throw_error(errno_field, std::to_string(*errno_ret) + " is out of range");
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(data);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(data);
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  throw_error(field, "unknown seccomp action " + in_quotes(name));
}

struct Operator {
  std::string_view name;
  scmp_compare op;
};
constexpr std::array<Operator, 7> kOperators = {{
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
}};

scmp_arg_cmp condition(const oci::SeccompArg& arg, const std::string& field) {
  for (const auto& entry : kOperators)
    if (entry.name == arg.op) return {arg.index, entry.op, arg.value, arg.value_two};
  throw_error(field + ".op", "unknown seccomp operator " + in_quotes(arg.op));
}

struct Flag {
  std::string_view name;
  unsigned value;
};
// TSYNC is accepted and ignored: the process loading the filter is single-threaded.
constexpr std::array<Flag, 4> kFlags = {{
    {"SECCOMP_FILTER_FLAG_TSYNC", 0},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
}};

// The kernel's own answer: seccomp(2) with a NULL program fails with EFAULT
// when it accepts the flags and EINVAL when it does not (libseccomp probes the same way).
bool kernel_accepts_flags(unsigned flags) {
  return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr) < 0 && errno == EFAULT;
}

unsigned filter_flags(const oci::Seccomp& profile, bool notify) {
  unsigned flags = 0;
  for (size_t i = 0; i < profile.flags.size(); ++i) {
    const auto* flag = std::find_if(kFlags.begin(), kFlags.end(),
                                    [&](const Flag& f) { return f.name == profile.flags[i]; });
    std::string field = indexed(std::string(kField) + ".flags", i);
    if (flag == kFlags.end())
      throw_error(field, "unknown seccomp flag " + in_quotes(profile.flags[i]));
    // Only meaningful (and only accepted by the kernel) with a listener.
    if (flag->value == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !notify) continue;
    unsigned probe = flag->value | (notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
    if (flag->value != 0 && !kernel_accepts_flags(probe))
      throw_error(field, in_quotes(profile.flags[i]) + " is not supported by this kernel");
    flags |= flag->value;
  }
  return flags;
}

void add_architectures(void* ctx, const oci::Seccomp& profile) {
  for (size_t i = 0; i < profile.architectures.size(); ++i) {
    std::string field = indexed(std::string(kField) + ".architectures", i);
    const auto* arch = oci::find_seccomp_arch(profile.architectures[i]);
    if (!arch)
      throw_error(field, "unknown seccomp architecture " + in_quotes(profile.architectures[i]));
    uint32_t token = seccomp_arch_resolve_name(std::string(arch->libseccomp).c_str());
    if (token == 0)
      throw_error(field, "libseccomp does not know architecture " + in_quotes(arch->name));
    int rc = seccomp_arch_add(ctx, token);
    if (rc != 0 && rc != -EEXIST) fail_libseccomp(field, rc);
  }
}

// Conditions on the same argument cannot be ANDed by libseccomp: like runc,
// such a rule becomes one rule per condition.
bool repeats_an_argument(const std::vector<scmp_arg_cmp>& conditions) {
  std::array<int, 6> seen{};
  for (const auto& c : conditions)
    if (++seen.at(c.arg) > 1) return true;
  return false;
}

void add_rule(void* ctx, uint32_t action, int nr, const std::vector<scmp_arg_cmp>& conditions,
              const std::string& field, const std::string& name) {
  auto add = [&](unsigned count, const scmp_arg_cmp* args) {
    int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
    if (rc != 0) fail_libseccomp(field + ": adding the rule for " + in_quotes(name), rc);
  };
  if (!repeats_an_argument(conditions))
    add(static_cast<unsigned>(conditions.size()), conditions.data());
  else
    for (const auto& c : conditions) add(1, &c);
}

void add_syscalls(void* ctx, const oci::Seccomp& profile, uint32_t default_action,
                  SeccompProgram& program) {
  std::vector<std::string> unknown;
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const auto& rule = profile.syscalls[i];
    std::string field = indexed(std::string(kField) + ".syscalls", i);
    uint32_t action =
        action_value(rule.action, rule.errno_ret, field + ".action", field + ".errnoRet");
    std::vector<scmp_arg_cmp> conditions;
    for (size_t k = 0; k < rule.args.size(); ++k)
      conditions.push_back(condition(rule.args[k], indexed(field + ".args", k)));
    if (action == SCMP_ACT_NOTIFY) program.notify = true;
    // libseccomp refuses rules that repeat the default action; they change nothing.
    if (action == default_action) continue;
    for (const auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        unknown.push_back(name);
        continue;
      }
      add_rule(ctx, action, nr, conditions, field, name);
    }
  }
  if (unknown.empty()) return;
  std::string list;
  for (const auto& name : unknown) list += (list.empty() ? "" : ", ") + name;
  program.warnings.push_back(std::string(kField) +
                             ": ignoring syscalls unknown to libseccomp: " + list);
}

// Default actions that let anything through need no ENOSYS stub; nor does a
// default that already answers ENOSYS.
bool needs_enosys_stub(uint32_t default_action) {
  return default_action != SCMP_ACT_ALLOW && default_action != SCMP_ACT_LOG &&
         (default_action & SECCOMP_RET_ACTION_FULL) != SCMP_ACT_TRACE(0) &&
         default_action != SCMP_ACT_ERRNO(ENOSYS);
}

// The highest syscall number the profile names on each architecture of the filter.
std::vector<ArchLimit> arch_limits(const oci::Seccomp& profile) {
  std::vector<uint32_t> archs = {seccomp_arch_native()};
  for (const auto& name : profile.architectures)
    if (const auto* arch = oci::find_seccomp_arch(name))
      archs.push_back(seccomp_arch_resolve_name(std::string(arch->libseccomp).c_str()));
  std::vector<ArchLimit> limits;
  for (uint32_t arch : archs) {
    ArchLimit limit{arch, -1};
    for (const auto& rule : profile.syscalls)
      for (const auto& name : rule.names)
        limit.max_syscall =
            std::max(limit.max_syscall, seccomp_syscall_resolve_name_arch(arch, name.c_str()));
    limits.push_back(limit);
  }
  return limits;
}

// libseccomp 2.5 exports only to an fd: a memfd, read back.
std::vector<sock_filter> export_bpf(void* ctx) {
  UniqueFd memfd(::memfd_create("skiff-seccomp", MFD_CLOEXEC));
  if (!memfd) throw_errno(std::string(kField) + ": memfd_create");
  int rc = seccomp_export_bpf(ctx, memfd.get());
  if (rc != 0) fail_libseccomp(std::string(kField) + ": exporting the filter", rc);
  off_t size = ::lseek(memfd.get(), 0, SEEK_END);
  if (size < 0 || size % sizeof(sock_filter) != 0)
    throw Error(std::string(kField) + ": exported filter is malformed");
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(memfd.get(), program.data(), static_cast<size_t>(size), 0) != size)
    throw_errno(std::string(kField) + ": reading the exported filter");
  return program;
}

// Up to this many names, a chain of compares is as short as a search tree.
constexpr size_t kLinearSearchNames = 32;

size_t syscall_name_count(const oci::Seccomp& profile) {
  size_t count = 0;
  for (const auto& rule : profile.syscalls) count += rule.names.size();
  return count;
}

}  // namespace

SeccompProgram compile_seccomp(const oci::Seccomp& profile) {
  SeccompProgram program;
  uint32_t default_action = action_value(profile.default_action, profile.default_errno_ret,
                                         std::string(kField) + ".defaultAction",
                                         std::string(kField) + ".defaultErrnoRet");
  Context ctx(seccomp_init(default_action), &seccomp_release);
  if (!ctx)
    throw_error(std::string(kField) + ".defaultAction",
                "libseccomp rejected " + in_quotes(profile.default_action));
  // We load the program ourselves (with our flags) and set no_new_privs ourselves.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  // A profile naming many syscalls (Docker's names ~370) becomes a binary
  // search on the syscall number rather than a chain of compares: a
  // syscall's verdict takes ~10 instructions instead of up to one per name,
  // and the kernel, which runs the program for every syscall number when it
  // loads it (to cache the allowed ones), loads it in half the time.
  if (syscall_name_count(profile) > kLinearSearchNames) seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  add_architectures(ctx.get(), profile);
  add_syscalls(ctx.get(), profile, default_action, program);
  program.flags = filter_flags(profile, program.notify);

  program.instructions = needs_enosys_stub(default_action) ? enosys_stub(arch_limits(profile))
                                                           : std::vector<sock_filter>{};
  auto filter = export_bpf(ctx.get());
  program.instructions.insert(program.instructions.end(), filter.begin(), filter.end());
  if (program.instructions.size() > kMaxInstructions)
    throw Error(std::string(kField) + ": the filter has " +
                std::to_string(program.instructions.size()) +
                " instructions, more than the kernel's " + std::to_string(kMaxInstructions));
  return program;
}

UniqueFd load_seccomp(const SeccompProgram& program) {
  sock_fprog prog{static_cast<unsigned short>(program.instructions.size()),
                  const_cast<sock_filter*>(program.instructions.data())};
  unsigned flags = program.flags | (program.notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) throw_errno(std::string(kField) + ": loading the filter");
  return program.notify ? UniqueFd(static_cast<int>(rc)) : UniqueFd();
}

SeccompStage seccomp_stage(const SeccompProgram& program, bool no_new_privileges) {
  if (!no_new_privileges) return SeccompStage::BeforeCapabilities;
  return program.notify ? SeccompStage::EndOfSetup : SeccompStage::BeforeExec;
}

UniqueFd load_seccomp_at(const SeccompProgram* program, bool no_new_privileges,
                         SeccompStage stage) {
  if (!program || seccomp_stage(*program, no_new_privileges) != stage) return UniqueFd();
  return load_seccomp(*program);
}

}  // namespace skiff::security
