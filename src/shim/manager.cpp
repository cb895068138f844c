#include "shim/manager.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "containerd/bootstrap.pb.h"
#include "containerd/shim.pb.h"
#include "shim/client.hpp"
#include "shim/go_buildinfo.hpp"
#include "shim/rootfs.hpp"
#include "shim/serve.hpp"
#include "shim/timestamps.hpp"
#include "skiff/skiff.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"
#include "util/sha256.hpp"

namespace skiff::shim {

namespace {

constexpr std::string_view kUnixScheme = "unix://";
constexpr size_t kMaxStartInput = 10 << 20;

std::string socket_path(const std::string& address) { return address.substr(kUnixScheme.size()); }

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw Error("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

bool someone_listens(const std::string& path) {
  sockaddr_un addr = unix_address(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// A filesystem socket (never abstract) only our uid may connect to.
UniqueFd listen_on(const std::string& path) {
  sockaddr_un addr = unix_address(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw_errno("socket");
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (rc != 0) throw_errno("bind " + path);
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 64) != 0) throw_errno("listen " + path);
  return fd;
}

std::string value_of(int& i, int argc, char** argv, const std::string& name, const char* inline_value) {
  if (inline_value) return inline_value;
  if (i + 1 >= argc) throw Error("flag -" + name + " needs a value");
  return argv[++i];
}

}  // namespace

ShimFlags parse_flags(int argc, char** argv) {
  ShimFlags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') {
      flags.action = arg;
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    const char* inline_value = nullptr;
    size_t eq = name.find('=');
    if (eq != std::string::npos) {
      inline_value = argv[i] + (arg[1] == '-' ? 2 : 1) + eq + 1;
      name.resize(eq);
    }
    if (name == "namespace") flags.ns = value_of(i, argc, argv, name, inline_value);
    else if (name == "address") flags.address = value_of(i, argc, argv, name, inline_value);
    else if (name == "publish-binary") flags.publish_binary = value_of(i, argc, argv, name, inline_value);
    else if (name == "id") flags.id = value_of(i, argc, argv, name, inline_value);
    else if (name == "bundle") flags.bundle = value_of(i, argc, argv, name, inline_value);
    else if (name == "debug") flags.debug = !inline_value || std::string(inline_value) != "false";
    else if (name == "v") flags.action = "version";  // containerd's shims print their version with -v
    else if (name == "socket" || name == "ttrpc-address") value_of(i, argc, argv, name, inline_value);
    else throw Error("unknown flag -" + name);
  }
  if (flags.bundle.empty()) flags.bundle = std::filesystem::current_path().string();
  return flags;
}

std::string shim_group(const std::string& config_json, const std::string& id) {
  nlohmann::json config = nlohmann::json::parse(config_json, nullptr, false);
  if (config.is_discarded() || !config.is_object()) throw Error("config.json: invalid JSON");
  auto annotations = config.find("annotations");
  if (annotations == config.end() || annotations->is_null()) return id;
  if (!annotations->is_object()) throw Error("config.json: annotations: not an object");
  for (const char* key : kGroupAnnotations) {
    auto value = annotations->find(key);
    if (value == annotations->end()) continue;
    if (!value->is_string() || value->get_ref<const std::string&>().empty())
      throw Error(std::string("config.json: annotations.") + key + ": not a non-empty string");
    return value->get<std::string>();
  }
  return id;
}

std::string socket_address(const ShimFlags& flags, const std::string& group, const std::string& dir) {
  std::string name = flags.address + "/" + flags.ns + "/" + group;
  return std::string(kUnixScheme) + dir + "/" + sha256_hex(name);
}

std::string runtime_root(const std::string& ns) { return "/run/containerd/skiff/" + (ns.empty() ? "default" : ns); }

namespace {

using ::containerd::runtime::bootstrap::v1::BootstrapParams;

// What containerd wrote to the start action's stdin (nothing from a terminal).
std::string read_start_input() {
  std::string input;
  if (::isatty(STDIN_FILENO)) return input;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    input.append(buffer, static_cast<size_t>(n));
    if (input.size() > kMaxStartInput) throw Error("start: stdin larger than 10 MiB");
  }
  return input;
}

// containerd 2.x (its main package is .../containerd/v2/...), by the build
// information of the binary it names in -publish-binary.
bool caller_is_containerd2(const ShimFlags& flags) {
  if (flags.publish_binary.empty()) return false;
  std::optional<std::string> package = go_main_package(flags.publish_binary);
  return package && package->rfind("github.com/containerd/containerd/v2/", 0) == 0;
}

// Answer in the caller's form, advertising task API v3 wherever the caller
// takes it: 2.3+ sent BootstrapParams and reads a BootstrapResult; 2.0-2.2
// send the legacy input but read a JSON answer with a version; 1.6 and 1.7
// read a plain address as task API v2 (1.7 refuses a JSON answer that says
// version 3, and its input is the same as 2.0-2.2's: the binary tells them apart).
void answer_start(const std::optional<BootstrapParams>& params, const ShimFlags& flags, const std::string& address) {
  std::string out;
  if (params) {
    ::containerd::runtime::bootstrap::v1::BootstrapResult result;
    result.set_version(3);
    result.set_address(address);
    result.set_protocol("ttrpc");
    out = result.SerializeAsString();
  } else if (caller_is_containerd2(flags)) {
    out = nlohmann::json{{"version", 3}, {"address", address}, {"protocol", "ttrpc"}}.dump();
  } else {
    out = address;
  }
  std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  std::cout.flush();
}

// The group of the container in flags.bundle (its config.json, which
// containerd writes before it runs the start action).
std::string group_of(const ShimFlags& flags) {
  std::string text = read_file(flags.bundle + "/config.json");  // names the path when it fails
  try {
    return shim_group(text, flags.id);
  } catch (const Error& e) {
    throw Error(flags.bundle + "/" + e.what());
  }
}

// The pid of the shim serving at path (its Connect answer); nullopt when no
// shim answers there.
std::optional<pid_t> running_shim(const std::string& path, const std::string& id) {
  ::containerd::task::v2::ConnectRequest request;
  request.set_id(id);
  try {
    ::containerd::task::v2::ConnectResponse response;
    if (!response.ParseFromString(call(path, "containerd.task.v2.Task", "Connect", request.SerializeAsString())))
      return std::nullopt;
    return static_cast<pid_t>(response.shim_pid());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Where containerd (and our delete action, and the tests) look for the shim
// of the container in flags.bundle.
void record_shim(const ShimFlags& flags, pid_t pid, const std::string& address) {
  write_file_atomic(flags.bundle + "/shim.pid", std::to_string(pid), 0644);
  write_file_atomic(flags.bundle + "/address", address, 0644);
}

}  // namespace

std::optional<BootstrapParams> parse_bootstrap(const std::string& input, const ShimFlags& flags) {
  // Legacy stdin (empty, or runtime options as an Any) can parse as
  // BootstrapParams too: only our own id and namespace make it the real thing.
  BootstrapParams params;
  if (input.empty() || !params.ParseFromString(input)) return std::nullopt;
  if (params.instance_id() != flags.id || params.namespace_() != flags.ns) return std::nullopt;
  return params;
}

namespace {

// Start actions for one group may run at once (a pod's containers): under
// the socket directory's lock, finding the group's live shim or binding a
// new socket is one step. Returns the listener, or nothing with *joined set
// to the pid of the shim already serving. The lock goes with its fd on
// return, before the serving shim is forked (a child would keep it).
UniqueFd claim_socket(const std::string& dir, const std::string& path, const std::string& id, pid_t* joined) {
  make_directories(dir, 0711);
  UniqueFd lock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock) throw_errno("open " + dir);
  while (::flock(lock.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_errno("lock " + dir);
  if (path_exists(path)) {
    // A live shim already serves this group (the pod's sandbox and its other
    // containers) or this id: the container joins it.
    if (std::optional<pid_t> pid = running_shim(path, id)) {
      *joined = *pid;
      return {};
    }
    ::unlink(path.c_str());
  }
  return listen_on(path);
}

}  // namespace

int start_action(const ShimFlags& flags) {
  if (flags.id.empty() || flags.ns.empty()) throw Error("start: -id and -namespace are required");
  std::optional<BootstrapParams> params = parse_bootstrap(read_start_input(), flags);
  std::string dir = params && !params->socket_dir().empty() ? params->socket_dir() : kDefaultSocketDir;
  if (params && !params->containerd_ttrpc_address().empty())
    ::setenv("TTRPC_ADDRESS", params->containerd_ttrpc_address().c_str(), 0);  // the env wins
  std::string address = socket_address(flags, group_of(flags), dir);
  std::string path = socket_path(address);
  pid_t joined = 0;
  UniqueFd listener = claim_socket(dir, path, flags.id, &joined);
  if (!listener) {
    record_shim(flags, joined, address);
    answer_start(params, flags, address);
    return 0;
  }
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // The serving shim: its own session, away from containerd's pipes.
    ::setsid();
    ::_exit(serve(flags, std::move(listener), path));
  }
  record_shim(flags, pid, address);
  answer_start(params, flags, address);
  return 0;
}

int delete_action(const ShimFlags& flags) {
  Runtime runtime({.root = runtime_root(flags.ns)});
  pid_t pid = 0;
  try {
    pid = runtime.state(flags.id).pid;
  } catch (const Error&) {
  }
  runtime.remove(flags.id, true);  // kills what is left; a gone container is fine
  unmount_rootfs(flags.bundle + "/rootfs");
  // The address file names the socket wherever start put it (2.3+'s socket_dir).
  std::string address_file = flags.bundle + "/address";
  std::string path;
  if (path_exists(address_file)) {
    path = socket_path(read_file(address_file));
  } else {
    std::string group = flags.id;
    try {
      group = group_of(flags);
    } catch (const Error&) {  // no readable config.json: the shim was the container's own
    }
    path = socket_path(socket_address(flags, group));
  }
  if (path_exists(path) && !someone_listens(path)) ::unlink(path.c_str());

  ::containerd::task::v2::DeleteResponse response;
  response.set_pid(static_cast<uint32_t>(pid));
  response.set_exit_status(128 + 9);  // killed, as containerd expects of a dead shim's task
  *response.mutable_exited_at() = now_timestamp();
  std::string out = response.SerializeAsString();
  std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  std::cout.flush();
  return 0;
}

}  // namespace skiff::shim
