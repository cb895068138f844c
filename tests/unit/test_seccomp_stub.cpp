// The ENOSYS stub, run on a small cBPF interpreter: per architecture,
// numbers above the profile's highest get ENOSYS, the rest reach the filter.
#include <linux/audit.h>
#include <seccomp.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "seccomp_interpreter.hpp"
#include "security/seccomp.hpp"

using skiff::security::ArchLimit;
using skiff::security::enosys_stub;

namespace {

constexpr uint32_t kFilter = 0xffffffff;  // ran off the stub into libseccomp's program

// What the stub answers for one syscall: its return value, or kFilter.
uint32_t run(const std::vector<sock_filter>& program, uint32_t arch, uint32_t nr) {
  auto verdict = skiff::test::run_seccomp(program, arch, nr);
  return verdict.returned ? verdict.action : kFilter;
}

constexpr uint32_t kEnosys = SECCOMP_RET_ERRNO | ENOSYS;

}  // namespace

TEST_CASE("the ENOSYS stub sends numbers above the profile's highest to ENOSYS", "[seccomp]") {
  auto stub = enosys_stub({{SCMP_ARCH_X86_64, 300}, {SCMP_ARCH_AARCH64, 200}});
  CHECK(run(stub, AUDIT_ARCH_X86_64, 300) == kFilter);
  CHECK(run(stub, AUDIT_ARCH_X86_64, 301) == kEnosys);
  CHECK(run(stub, AUDIT_ARCH_X86_64, 0) == kFilter);
  CHECK(run(stub, AUDIT_ARCH_AARCH64, 201) == kEnosys);
  CHECK(run(stub, AUDIT_ARCH_AARCH64, 200) == kFilter);
  CHECK(run(stub, AUDIT_ARCH_I386, 5000) == kFilter);  // not in the filter: its bad-arch action
}

TEST_CASE("the ENOSYS stub tells x32 from x86_64 by bit 30", "[seccomp]") {
  constexpr uint32_t kX32 = 0x40000000;
  auto stub = enosys_stub({{SCMP_ARCH_X86_64, 300}, {SCMP_ARCH_X32, static_cast<int>(kX32 + 100)}});
  CHECK(run(stub, AUDIT_ARCH_X86_64, 301) == kEnosys);
  CHECK(run(stub, AUDIT_ARCH_X86_64, kX32 + 100) == kFilter);
  CHECK(run(stub, AUDIT_ARCH_X86_64, kX32 + 101) == kEnosys);
  auto native_only = enosys_stub({{SCMP_ARCH_X86_64, 300}});
  CHECK(run(native_only, AUDIT_ARCH_X86_64, kX32 + 5) == kFilter);  // libseccomp rejects x32 itself
}

TEST_CASE("the ENOSYS stub answers s390's unknown-syscall marker", "[seccomp]") {
  auto stub = enosys_stub({{SCMP_ARCH_S390X, 400}});
  CHECK(run(stub, AUDIT_ARCH_S390X, 0) == kEnosys);
  CHECK(run(stub, AUDIT_ARCH_S390X, 1) == kFilter);
  CHECK(run(stub, AUDIT_ARCH_S390X, 401) == kEnosys);
}

TEST_CASE("no names, no stub", "[seccomp]") {
  CHECK(enosys_stub({{SCMP_ARCH_X86_64, -1}}).empty());
}
