#include "security/self_protection.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "util/error.hpp"
#include "util/fd.hpp"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

namespace skiff::security {
namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

bool has_cap(const std::vector<std::string>& set, const char* name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

bool may_ptrace_host(const oci::Process& process) {
  return process.capabilities && has_cap(process.capabilities->bounding, "CAP_SYS_PTRACE");
}

bool new_namespace(const oci::Linux& linux, oci::NamespaceType type) {
  const auto* ns = linux.find_namespace(type);
  return ns && ns->path.empty();
}

// memfd_create with MFD_EXEC where the kernel knows it (vm.memfd_noexec).
UniqueFd make_memfd(const std::string& what) {
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  UniqueFd fd(::memfd_create("skiff", flags | MFD_EXEC));
  if (!fd && errno == EINVAL) fd.reset(::memfd_create("skiff", flags));
  if (!fd) throw_errno("sealed copy of " + what + ": memfd_create");
  return fd;
}

}  // namespace

UniqueFd sealed_copy(const std::string& path, const std::string& what) {
  UniqueFd source(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!source || ::fstat(source.get(), &st) != 0) throw_errno("sealed copy of " + what + ": " + path);
  UniqueFd copy = make_memfd(what);
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = ::sendfile(copy.get(), source.get(), nullptr, static_cast<size_t>(left));
    if (n <= 0) throw_errno("sealed copy of " + what + ": copying", n == 0 ? EIO : errno);
    left -= n;
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kSeals) != 0) throw_errno("sealed copy of " + what + ": sealing");
  return copy;
}

bool container_can_reach_runtime(const oci::Spec& spec, const oci::Process* exec_process) {
  static const oci::Linux kNoLinux;
  const oci::Linux& linux = spec.linux ? *spec.linux : kNoLinux;
  // Inside a user namespace no container process has CAP_SYS_PTRACE over
  // ours (their mm belongs to the host's user namespace).
  if (linux.find_namespace(oci::NamespaceType::User)) return false;
  if (!new_namespace(linux, oci::NamespaceType::Pid)) return true;  // shared: others may
  return (spec.process && may_ptrace_host(*spec.process)) ||
         (exec_process && may_ptrace_host(*exec_process));
}

bool running_from_sealed_copy() {
  UniqueFd self(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!self) return false;
  int seals = ::fcntl(self.get(), F_GET_SEALS);
  return seals >= 0 && (seals & kSeals) == kSeals;
}

void reexec_from_sealed_copy(const std::vector<std::string>& argv) {
  UniqueFd copy = sealed_copy("/proc/self/exe", "the runtime binary");
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::syscall(SYS_execveat, copy.get(), "", args.data(), environ, AT_EMPTY_PATH);
  throw_errno("re-executing from the sealed copy of the runtime binary");
}

void protect_runtime_binary(const oci::Spec& spec, const oci::Process* exec_process,
                            const std::vector<std::string>& argv) {
  if (argv.empty() || !container_can_reach_runtime(spec, exec_process) ||
      running_from_sealed_copy())
    return;
  reexec_from_sealed_copy(argv);
}

}  // namespace skiff::security
