// The default seccomp profile (data/seccomp-default.json -> linux.seccomp)
// and the profile -> BPF translation.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "oci/seccomp_default.hpp"
#include "oci/spec.hpp"
#include "seccomp_interpreter.hpp"
#include "security/seccomp.hpp"
#include "skiff/skiff.hpp"

using nlohmann::json;
using skiff::oci::default_seccomp;
using skiff::security::compile_seccomp;

namespace {

const std::vector<std::string> kDockerCaps = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

// The rules naming `name`, in order.
std::vector<json> rules_for(const json& profile, const std::string& name) {
  std::vector<json> out;
  for (const auto& rule : profile["syscalls"]) {
    const auto& names = rule["names"];
    if (std::find(names.begin(), names.end(), name) != names.end()) out.push_back(rule);
  }
  return out;
}

bool allowed(const json& profile, const std::string& name) {
  for (const auto& rule : rules_for(profile, name))
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) return true;
  return false;
}

skiff::oci::Seccomp parsed(const json& seccomp) {
  json doc = {
      {"ociVersion", "1.2.0"}, {"root", {{"path", "rootfs"}}}, {"linux", {{"seccomp", seccomp}}}};
  return *skiff::oci::parse_spec(doc.dump()).linux->seccomp;
}

}  // namespace

TEST_CASE("the default profile denies by default and allows the common syscalls", "[seccomp]") {
  json profile = default_seccomp(kDockerCaps, "SCMP_ARCH_X86_64");
  CHECK(profile["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(profile["defaultErrnoRet"] == 1);
  CHECK(profile["architectures"] == json({"SCMP_ARCH_X86_64"}));  // native only: see the data file
  for (const char* name :
       {"read", "write", "openat", "execve", "mmap", "futex", "exit_group", "chroot", "arch_prctl"})
    CHECK(allowed(profile, name));
  for (const char* name : {"mount", "unshare", "setns", "init_module", "finit_module", "bpf",
                           "reboot", "acct", "sysfs"})
    CHECK_FALSE(allowed(profile, name));
}

TEST_CASE("the default profile filters clone, clone3, socket and personality by argument",
          "[seccomp]") {
  json profile = default_seccomp(kDockerCaps, "SCMP_ARCH_X86_64");
  auto clone = rules_for(profile, "clone");
  REQUIRE(clone.size() == 1);
  CHECK(clone[0]["args"][0]["op"] == "SCMP_CMP_MASKED_EQ");
  CHECK(clone[0]["args"][0]["index"] == 0);
  CHECK(clone[0]["args"][0]["value"] == 0x7e020000);  // every CLONE_NEW* flag
  auto clone3 = rules_for(profile, "clone3");
  REQUIRE(clone3.size() == 1);
  CHECK(clone3[0]["action"] == "SCMP_ACT_ERRNO");
  CHECK(clone3[0]["errnoRet"] == 38);
  auto socket = rules_for(profile, "socket");
  REQUIRE(socket.size() == 1);
  CHECK(socket[0]["args"][0] == json({{"index", 0}, {"value", 40}, {"op", "SCMP_CMP_NE"}}));
  auto personality = rules_for(profile, "personality");
  CHECK(personality.size() == 5);
  for (const auto& rule : personality) CHECK(rule["args"][0]["op"] == "SCMP_CMP_EQ");
}

TEST_CASE("capability-gated groups follow the spec's capabilities", "[seccomp]") {
  auto caps = kDockerCaps;
  caps.push_back("CAP_SYS_ADMIN");
  caps.push_back("CAP_SYS_MODULE");
  json profile = default_seccomp(caps, "SCMP_ARCH_X86_64");
  for (const char* name : {"mount", "unshare", "setns", "clone", "clone3", "finit_module"})
    CHECK(allowed(profile, name));
  CHECK(rules_for(profile, "clone3").size() == 1);  // only the allow rule, no ENOSYS
  CHECK_FALSE(allowed(profile, "reboot"));

  json without_chroot = default_seccomp({"CAP_KILL"}, "SCMP_ARCH_X86_64");
  CHECK_FALSE(allowed(without_chroot, "chroot"));
}

TEST_CASE("architecture-specific groups follow the native architecture", "[seccomp]") {
  json arm = default_seccomp(kDockerCaps, "SCMP_ARCH_AARCH64");
  CHECK(arm["architectures"] == json({"SCMP_ARCH_AARCH64"}));
  CHECK_FALSE(allowed(arm, "arch_prctl"));
  CHECK(allowed(arm, "set_tls"));
  json s390 = default_seccomp(kDockerCaps, "SCMP_ARCH_S390X");
  auto clone = rules_for(s390, "clone");
  REQUIRE(clone.size() == 1);
  CHECK(clone[0]["args"][0]["index"] == 1);  // s390 passes the flags second
}

TEST_CASE("skiff spec embeds the default profile and it compiles without warnings",
          "[seccomp][spec]") {
  json spec = json::parse(skiff::default_spec_json(false));
  REQUIRE(spec["linux"].contains("seccomp"));
  auto program = compile_seccomp(parsed(spec["linux"]["seccomp"]));
  CHECK(program.warnings.empty());
  CHECK_FALSE(program.notify);
  CHECK(program.instructions.size() > 10);
  CHECK(program.instructions.size() <= BPF_MAXINSNS);
}

TEST_CASE("the default profile's filter answers any syscall in a few instructions", "[seccomp]") {
  json spec = json::parse(skiff::default_spec_json(false));
  auto program = compile_seccomp(parsed(spec["linux"]["seccomp"]));
  auto verdict_for = [&](const char* name) {
    int nr = seccomp_syscall_resolve_name(name);
    REQUIRE(nr >= 0);
    return skiff::test::run_seccomp(program.instructions, seccomp_arch_native(), static_cast<uint32_t>(nr));
  };
  // The interpreter runs the real program: allowed and denied calls differ.
  CHECK(verdict_for("read").action == SECCOMP_RET_ALLOW);
  CHECK(verdict_for("reboot").action == (SECCOMP_RET_ERRNO | EPERM));
  // A chain of compares would take up to one per name (~370): a search tree
  // takes about log2 of that, plus the architecture and argument checks.
  size_t longest = 0;
  for (uint32_t nr = 0; nr < 512; ++nr) {
    auto verdict = skiff::test::run_seccomp(program.instructions, seccomp_arch_native(), nr);
    REQUIRE(verdict.returned);
    longest = std::max(longest, verdict.steps);
  }
  CHECK(longest <= 40);
}

TEST_CASE("compile_seccomp: unknown syscall names are warnings, not errors", "[seccomp]") {
  json profile = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls",
       {{{"names", {"mkdir", "no_such_call", "also_missing"}}, {"action", "SCMP_ACT_ERRNO"}},
        {{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}}}}};  // same as the default: skipped
  auto program = compile_seccomp(parsed(profile));
  REQUIRE(program.warnings.size() == 1);
  CHECK(program.warnings[0] ==
        "linux.seccomp: ignoring syscalls unknown to libseccomp: no_such_call, also_missing");
}

TEST_CASE("compile_seccomp: the ENOSYS stub only in front of deny-by-default filters",
          "[seccomp]") {
  json rules = {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}}};
  auto deny = compile_seccomp(parsed({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", rules}}));
  auto enosys_default = compile_seccomp(
      parsed({{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 38}, {"syscalls", rules}}));
  // The stub ends with ret ERRNO(ENOSYS); the filter's own default is ERRNO(EPERM).
  auto returns_enosys = [](const skiff::security::SeccompProgram& p) {
    return std::any_of(p.instructions.begin(), p.instructions.end(), [](const sock_filter& insn) {
      return insn.code == (BPF_RET | BPF_K) && insn.k == (SECCOMP_RET_ERRNO | ENOSYS);
    });
  };
  CHECK(returns_enosys(deny));
  CHECK(deny.instructions.size() > enosys_default.instructions.size());
}

TEST_CASE("compile_seccomp: notify rules ask for a listener, flags map to the kernel's",
          "[seccomp]") {
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"listenerPath", "/run/agent.sock"},
                  {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"}},
                  {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  auto program = compile_seccomp(parsed(profile));
  CHECK(program.notify);
  CHECK(program.flags == SECCOMP_FILTER_FLAG_LOG);
}

TEST_CASE("compile_seccomp: errors name the field", "[seccomp][badinput]") {
  json profile = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 70000}}}}};
  CHECK_THROWS_WITH(compile_seccomp(parsed(profile)),
                    "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range");
}
