#include "runtime/seccomp_runtime.hpp"

#include "runtime/container.hpp"
#include "security/seccomp_cache.hpp"

namespace skiff::runtime {

std::optional<security::SeccompProgram> container_seccomp(const oci::Spec& spec,
                                                          const RuntimeOptions& options) {
  if (!spec.linux || !spec.linux->seccomp) return std::nullopt;
  const std::string profile_json = spec.raw["linux"]["seccomp"].dump();
  security::SeccompProgram program = security::compile_seccomp_cached(
      *spec.linux->seccomp, profile_json, options.root + "/.seccomp-cache");
  for (const auto& warning : program.warnings) log(options, LogLevel::Warning, warning);
  return program;
}

void load_seccomp_at(const security::SeccompProgram* seccomp, const oci::Process& process,
                     security::SeccompStage stage, const SyncSocket& sync) {
  UniqueFd listener = security::load_seccomp_at(seccomp, process.no_new_privileges, stage);
  if (listener) sync.send_fd(SyncType::SeccompFd, listener.get());
}

void forward_seccomp_listener(const oci::Spec& spec, const SavedState& saved, Status status,
                              pid_t pid, int listener) {
  if (listener < 0 || !spec.linux || !spec.linux->seccomp) return;
  auto state = nlohmann::json::parse(hook_state_json(saved, status));
  security::send_to_listener(*spec.linux->seccomp, listener, pid, state);
}

}  // namespace skiff::runtime
