#include "shim/manager.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include "containerd/shim.pb.h"
#include "shim/rootfs.hpp"
#include "shim/serve.hpp"
#include "shim/timestamps.hpp"
#include "skiff/skiff.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/fs.hpp"

namespace skiff::shim {

namespace {

constexpr const char* kSocketDir = "/run/containerd/s";
constexpr std::string_view kUnixScheme = "unix://";

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw Error("sha256 of the socket name failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

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
  make_directories(kSocketDir, 0711);
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
    else if (name == "socket" || name == "ttrpc-address") value_of(i, argc, argv, name, inline_value);
    else throw Error("unknown flag -" + name);
  }
  if (flags.bundle.empty()) flags.bundle = std::filesystem::current_path().string();
  return flags;
}

std::string socket_address(const ShimFlags& flags) {
  std::string name = flags.address + "/" + flags.ns + "/" + flags.id;
  return std::string(kUnixScheme) + kSocketDir + "/" + sha256_hex(name);
}

std::string runtime_root(const std::string& ns) { return "/run/containerd/skiff/" + (ns.empty() ? "default" : ns); }

int start_action(const ShimFlags& flags) {
  if (flags.id.empty() || flags.ns.empty()) throw Error("start: -id and -namespace are required");
  std::string address = socket_address(flags);
  std::string path = socket_path(address);
  if (path_exists(path)) {
    // A live shim already serves this id (or its group): hand it out again.
    if (someone_listens(path)) {
      std::cout << address << std::flush;
      return 0;
    }
    ::unlink(path.c_str());
  }
  UniqueFd listener = listen_on(path);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // The serving shim: its own session, away from containerd's pipes.
    ::setsid();
    ::_exit(serve(flags, std::move(listener), path));
  }
  write_file_atomic(flags.bundle + "/shim.pid", std::to_string(pid), 0644);
  write_file_atomic(flags.bundle + "/address", address, 0644);
  std::cout << address << std::flush;
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
  std::string path = socket_path(socket_address(flags));
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
