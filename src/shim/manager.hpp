// The runtime v2 shim protocol's binary actions: `start` (create the socket,
// fork the serving shim, print its address) and `delete` (clean up after a
// shim that died), plus the serving loop itself.
#pragma once

#include <optional>
#include <string>

#include "containerd/bootstrap.pb.h"

namespace skiff::shim {

// containerd's flags (-namespace -address -publish-binary -id -bundle -debug).
struct ShimFlags {
  std::string ns;
  std::string address;          // containerd's gRPC socket
  std::string publish_binary;
  std::string id;
  std::string bundle;           // default: the working directory
  bool debug = false;
  std::string action;           // "start", "delete", or empty (serve)
};

// Parse Go-style flags ("-id x", "-id=x", "--id x"); throws on unknown ones.
ShimFlags parse_flags(int argc, char** argv);

// Containers whose config.json carries one of these annotations (the first
// found wins) share one shim, as containerd-shim-runc-v2 groups a pod:
// ours, then CRI's sandbox id (set on a pod's sandbox and on its containers).
inline constexpr const char* kGroupAnnotations[] = {"io.containerd.skiff.v2.group", "io.kubernetes.cri.sandbox-id"};

// The group of container `id` from its config.json text: the value of the
// first group annotation, else `id` itself (a shim of its own). Throws when
// the JSON or the annotation is malformed, naming the field.
std::string shim_group(const std::string& config_json, const std::string& id);

// unix://DIR/<sha256(address/ns/group)>, as containerd-shim-runc-v2 names it,
// so containerd finds and cleans it the same way and a pod's containers find
// its shim. DIR: containerd 2.3+'s socket_dir when it gives one.
inline constexpr const char* kDefaultSocketDir = "/run/containerd/s";
std::string socket_address(const ShimFlags& flags, const std::string& group, const std::string& dir = kDefaultSocketDir);

// containerd 2.3+'s BootstrapParams from the start action's stdin; nullopt for
// the legacy input (empty, or runtime options), or params for another shim.
std::optional<::containerd::runtime::bootstrap::v1::BootstrapParams> parse_bootstrap(const std::string& input,
                                                                                       const ShimFlags& flags);

// Where libskiff keeps the state of this namespace's containers.
std::string runtime_root(const std::string& ns);

int start_action(const ShimFlags& flags);
int delete_action(const ShimFlags& flags);

}  // namespace skiff::shim
