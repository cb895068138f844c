// The seccomp agent hand-off (SCMP_ACT_NOTIFY): the runtime, not the
// container, talks to the listener socket.
#include "security/seccomp.hpp"
#include "util/error.hpp"
#include "util/unix_socket.hpp"

namespace skiff::security {

void send_to_listener(const oci::Seccomp& profile, int notify_fd, pid_t pid,
                      const nlohmann::json& state) {
  nlohmann::json message = {
      {"ociVersion", oci::kSpecVersion}, {"fds", {"seccompFd"}}, {"pid", pid}, {"state", state}};
  if (!profile.listener_metadata.empty()) message["metadata"] = profile.listener_metadata;
  UniqueFd socket = connect_unix(profile.listener_path, "linux.seccomp.listenerPath");
  send_with_fd(socket.get(), message.dump(), notify_fd,
               "linux.seccomp.listenerPath " + profile.listener_path + ": sending the notify fd");
}

}  // namespace skiff::security
