// config.json -> oci::Spec. Each parse_* function reads one object of the
// runtime-spec, checks types and per-field values (names from tables.hpp)
// and throws with the JSON path. Rules that span several fields live in
// validate.cpp and run once the whole model is built.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string_view>

#include "oci/json_read.hpp"
#include "oci/process_attributes.hpp"
#include "oci/spec.hpp"
#include "oci/tables.hpp"
#include "oci/validate.hpp"
#include "util/fs.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace skiff::oci {
namespace {

using detail::Node;

std::string in_quotes(std::string_view text) {
  std::string out = "\"";
  out += text;
  out += '"';
  return out;
}

bool is_absolute(std::string_view path) { return !path.empty() && path.front() == '/'; }

void require_absolute(const Node& node, const std::string& path) {
  if (!is_absolute(path)) node.fail("must be an absolute path, got " + in_quotes(path));
}

IdMapping parse_id_mapping(const Node& node) {
  node.require();
  node.expect_object();
  IdMapping mapping;
  node["containerID"].read_required(mapping.container_id);
  node["hostID"].read_required(mapping.host_id);
  node["size"].read_required(mapping.size);
  if (mapping.size == 0) node["size"].fail("must be greater than zero");
  return mapping;
}

std::vector<IdMapping> parse_id_mappings(const Node& node) {
  std::vector<IdMapping> out;
  for (const auto& element : node.elements()) out.push_back(parse_id_mapping(element));
  return out;
}

// ---- process ---------------------------------------------------------------

User parse_user(const Node& node) {
  node.expect_object();
  User user;
  node["uid"].read(user.uid);
  node["gid"].read(user.gid);
  node["umask"].read(user.umask);
  node["additionalGids"].read(user.additional_gids);
  node["username"].read(user.username);
  return user;
}

std::vector<std::string> parse_capability_set(const Node& node) {
  std::vector<std::string> out;
  for (const auto& element : node.elements()) {
    std::string name;
    if (!element.present()) element.fail("expected a string");
    element.read(name);
    if (!capability_from_name(name)) element.fail("unknown capability " + in_quotes(name));
    out.push_back(std::move(name));
  }
  return out;
}

Capabilities parse_capabilities(const Node& node) {
  node.expect_object();
  Capabilities caps;
  caps.bounding = parse_capability_set(node["bounding"]);
  caps.effective = parse_capability_set(node["effective"]);
  caps.inheritable = parse_capability_set(node["inheritable"]);
  caps.permitted = parse_capability_set(node["permitted"]);
  caps.ambient = parse_capability_set(node["ambient"]);
  return caps;
}

Rlimit parse_rlimit(const Node& node) {
  node.require();
  node.expect_object();
  Rlimit rlimit;
  node["type"].read_required(rlimit.type);
  auto resource = rlimit_from_name(rlimit.type);
  if (!resource) node["type"].fail("unknown rlimit " + in_quotes(rlimit.type));
  rlimit.resource = *resource;
  node["hard"].read_required(rlimit.hard);
  node["soft"].read_required(rlimit.soft);
  if (rlimit.soft > rlimit.hard)
    node.fail("soft limit " + std::to_string(rlimit.soft) + " is greater than hard limit " +
              std::to_string(rlimit.hard));
  return rlimit;
}

std::vector<Rlimit> parse_rlimits(const Node& node) {
  std::vector<Rlimit> out;
  std::set<std::string> seen;
  for (const auto& element : node.elements()) {
    Rlimit rlimit = parse_rlimit(element);
    if (!seen.insert(rlimit.type).second)
      element["type"].fail("duplicate rlimit " + in_quotes(rlimit.type));
    out.push_back(std::move(rlimit));
  }
  return out;
}

ConsoleSize parse_console_size(const Node& node) {
  node.expect_object();
  ConsoleSize size;
  node["height"].read_required(size.height);
  node["width"].read_required(size.width);
  return size;
}

Process parse_process_node(const Node& node) {
  node.require();
  if (!node.value().is_object()) node.fail("expected an object");
  Process process;
  node["terminal"].read(process.terminal);
  if (node["consoleSize"].present()) process.console_size = parse_console_size(node["consoleSize"]);
  process.user = parse_user(node["user"]);
  node["args"].read(process.args);
  if (process.args.empty()) node["args"].fail("must contain at least one entry");
  node["env"].read(process.env);
  node["cwd"].read(process.cwd);
  require_absolute(node["cwd"], process.cwd);
  if (node["capabilities"].present())
    process.capabilities = parse_capabilities(node["capabilities"]);
  process.rlimits = parse_rlimits(node["rlimits"]);
  node["noNewPrivileges"].read(process.no_new_privileges);
  node["apparmorProfile"].read(process.apparmor_profile);
  node["oomScoreAdj"].read(process.oom_score_adj);
  if (process.oom_score_adj && (*process.oom_score_adj < -1000 || *process.oom_score_adj > 1000))
    node["oomScoreAdj"].fail("must be between -1000 and 1000");
  node["selinuxLabel"].read(process.selinux_label);
  process.scheduler = detail::parse_scheduler(node["scheduler"]);
  process.io_priority = detail::parse_io_priority(node["ioPriority"]);
  return process;
}

// ---- root, mounts, hooks ------------------------------------------------------

Root parse_root(const Node& node) {
  node.expect_object();
  Root root;
  node["path"].read(root.path);
  if (root.path.empty()) node["path"].fail("required");
  node["readonly"].read(root.readonly);
  return root;
}

void check_mount_option(const Node& node, const std::string& option) {
  if (is_mount_data_option(option) || find_mount_option(option)) return;
  node.fail("unknown mount option " + in_quotes(option));
}

Mount parse_mount(const Node& node) {
  node.require();
  node.expect_object();
  Mount mount;
  node["destination"].read(mount.destination);
  if (mount.destination.empty()) node["destination"].fail("required");
  // runc accepts relative destinations and puts them under "/"; so do we.
  if (!is_absolute(mount.destination)) mount.destination.insert(0, "/");
  node["type"].read(mount.type);
  node["source"].read(mount.source);
  node["options"].read(mount.options);
  auto options = node["options"].elements();
  for (size_t i = 0; i < options.size(); ++i) check_mount_option(options[i], mount.options[i]);
  mount.uid_mappings = parse_id_mappings(node["uidMappings"]);
  mount.gid_mappings = parse_id_mappings(node["gidMappings"]);
  return mount;
}

std::vector<Mount> parse_mounts(const Node& node) {
  std::vector<Mount> out;
  for (const auto& element : node.elements()) out.push_back(parse_mount(element));
  return out;
}

Hook parse_hook(const Node& node) {
  node.require();
  node.expect_object();
  Hook hook;
  node["path"].read_required(hook.path);
  require_absolute(node["path"], hook.path);
  node["args"].read(hook.args);
  node["env"].read(hook.env);
  node["timeout"].read(hook.timeout);
  if (hook.timeout && *hook.timeout <= 0) node["timeout"].fail("must be greater than zero");
  return hook;
}

constexpr std::pair<std::string_view, std::vector<Hook> Hooks::*> kHookMembers[] = {
    {"prestart", &Hooks::prestart},
    {"createRuntime", &Hooks::create_runtime},
    {"createContainer", &Hooks::create_container},
    {"startContainer", &Hooks::start_container},
    {"poststart", &Hooks::poststart},
    {"poststop", &Hooks::poststop},
};

Hooks parse_hooks(const Node& node) {
  node.expect_object();
  Hooks hooks;
  for (const auto& [name, member] : kHookMembers)
    for (const auto& element : node[name].elements()) (hooks.*member).push_back(parse_hook(element));
  return hooks;
}

// ---- linux -------------------------------------------------------------------

std::vector<Namespace> parse_namespaces(const Node& node) {
  std::vector<Namespace> out;
  std::set<NamespaceType> seen;
  for (const auto& element : node.elements()) {
    element.require();
    element.expect_object();
    std::string name;
    element["type"].read_required(name);
    auto type = namespace_from_name(name);
    if (!type) element["type"].fail("unknown namespace " + in_quotes(name));
    if (!seen.insert(*type).second) element["type"].fail("duplicate namespace " + in_quotes(name));
    Namespace ns{*type, {}};
    element["path"].read(ns.path);
    if (!ns.path.empty()) require_absolute(element["path"], ns.path);
    out.push_back(std::move(ns));
  }
  return out;
}

Device parse_device(const Node& node) {
  node.require();
  node.expect_object();
  Device device;
  std::string type;
  node["type"].read_required(type);
  if (type.size() != 1 || std::string_view("cbup").find(type[0]) == std::string_view::npos)
    node["type"].fail("invalid device type " + in_quotes(type) + " (want c, b, u or p)");
  device.type = type[0];
  node["path"].read_required(device.path);
  require_absolute(node["path"], device.path);
  if (device.type != 'p') {
    node["major"].read_required(device.major);
    node["minor"].read_required(device.minor);
  }
  node["fileMode"].read(device.file_mode);
  node["uid"].read(device.uid);
  node["gid"].read(device.gid);
  return device;
}

std::string parse_seccomp_action(const Node& node) {
  std::string action;
  node.read_required(action);
  if (!contains(seccomp_actions(), action)) node.fail("unknown seccomp action " + in_quotes(action));
  return action;
}

SeccompArg parse_seccomp_arg(const Node& node) {
  node.require();
  node.expect_object();
  SeccompArg arg;
  node["index"].read_required(arg.index);
  if (arg.index >= 6) node["index"].fail("must be less than 6");
  node["value"].read_required(arg.value);
  node["valueTwo"].read(arg.value_two);
  node["op"].read_required(arg.op);
  if (!contains(seccomp_operators(), arg.op))
    node["op"].fail("unknown seccomp operator " + in_quotes(arg.op));
  return arg;
}

SeccompSyscall parse_seccomp_syscall(const Node& node) {
  node.require();
  node.expect_object();
  SeccompSyscall syscall;
  node["names"].read(syscall.names);
  if (syscall.names.empty()) node["names"].fail("must contain at least one entry");
  syscall.action = parse_seccomp_action(node["action"]);
  node["errnoRet"].read(syscall.errno_ret);
  for (const auto& element : node["args"].elements())
    syscall.args.push_back(parse_seccomp_arg(element));
  return syscall;
}

void check_names(const Node& node, bool (*known)(std::string_view), std::string_view what) {
  for (const auto& element : node.elements()) {
    std::string name;
    if (!element.present()) element.fail("expected a string");
    element.read(name);
    if (!known(name)) element.fail("unknown " + std::string(what) + " " + in_quotes(name));
  }
}

Seccomp parse_seccomp(const Node& node) {
  node.expect_object();
  Seccomp seccomp;
  seccomp.default_action = parse_seccomp_action(node["defaultAction"]);
  node["defaultErrnoRet"].read(seccomp.default_errno_ret);
  node["architectures"].read(seccomp.architectures);
  check_names(node["architectures"], [](std::string_view n) { return find_seccomp_arch(n) != nullptr; },
              "seccomp architecture");
  node["flags"].read(seccomp.flags);
  check_names(node["flags"], [](std::string_view n) { return contains(seccomp_flags(), n); },
              "seccomp flag");
  node["listenerPath"].read(seccomp.listener_path);
  node["listenerMetadata"].read(seccomp.listener_metadata);
  for (const auto& element : node["syscalls"].elements())
    seccomp.syscalls.push_back(parse_seccomp_syscall(element));
  return seccomp;
}

std::map<std::string, TimeOffset> parse_time_offsets(const Node& node) {
  std::map<std::string, TimeOffset> out;
  for (const auto& [clock, member] : node.members()) {
    if (clock != "monotonic" && clock != "boottime")
      member.fail("unknown clock " + in_quotes(clock) + " (want monotonic or boottime)");
    member.require();
    member.expect_object();
    TimeOffset offset;
    member["secs"].read(offset.secs);
    member["nanosecs"].read(offset.nanosecs);
    if (offset.nanosecs >= 1000000000u) member["nanosecs"].fail("must be less than 1000000000");
    out.emplace(clock, offset);
  }
  return out;
}

void read_paths(const Node& node, std::vector<std::string>& out) {
  node.read(out);
  auto elements = node.elements();
  for (size_t i = 0; i < elements.size(); ++i) require_absolute(elements[i], out[i]);
}

Linux parse_linux(const Node& node) {
  node.expect_object();
  Linux linux_;
  linux_.uid_mappings = parse_id_mappings(node["uidMappings"]);
  linux_.gid_mappings = parse_id_mappings(node["gidMappings"]);
  node["sysctl"].read(linux_.sysctl);
  node["resources"].expect_object();
  node["resources"].read(linux_.resources);
  node["cgroupsPath"].read(linux_.cgroups_path);
  linux_.namespaces = parse_namespaces(node["namespaces"]);
  for (const auto& element : node["devices"].elements())
    linux_.devices.push_back(parse_device(element));
  if (node["seccomp"].present()) linux_.seccomp = parse_seccomp(node["seccomp"]);
  node["rootfsPropagation"].read(linux_.rootfs_propagation);
  if (!linux_.rootfs_propagation.empty() && !propagation_flags(linux_.rootfs_propagation))
    node["rootfsPropagation"].fail("unknown propagation " + in_quotes(linux_.rootfs_propagation));
  read_paths(node["maskedPaths"], linux_.masked_paths);
  read_paths(node["readonlyPaths"], linux_.readonly_paths);
  node["mountLabel"].read(linux_.mount_label);
  linux_.time_offsets = parse_time_offsets(node["timeOffsets"]);
  linux_.personality = detail::parse_personality(node["personality"]);
  node["intelRdt"].expect_object();
  node["intelRdt"].read(linux_.intel_rdt);
  return linux_;
}

Spec parse_document(nlohmann::json document) {
  Node root(&document, "");
  if (!document.is_object()) root.fail("expected a JSON object");
  Spec spec;
  root["ociVersion"].read(spec.oci_version);
  if (spec.oci_version.empty()) root["ociVersion"].fail("required");
  if (root["process"].present()) spec.process = parse_process_node(root["process"]);
  if (!root["root"].present()) root["root"]["path"].fail("required");
  spec.root = parse_root(root["root"]);
  root["hostname"].read(spec.hostname);
  root["domainname"].read(spec.domainname);
  spec.mounts = parse_mounts(root["mounts"]);
  spec.hooks = parse_hooks(root["hooks"]);
  root["annotations"].read(spec.annotations);
  if (root["linux"].present()) spec.linux = parse_linux(root["linux"]);
  detail::validate_spec(spec);
  spec.raw = std::move(document);
  return spec;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; drop it.
std::string parse_error_detail(const char* what) {
  std::string_view text(what);
  if (text.starts_with("[json.exception.")) {
    auto end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

}  // namespace

Spec parse_spec(const std::string& json_text) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw_error("config.json", "invalid JSON: " + parse_error_detail(e.what()));
  }
  return parse_document(std::move(document));
}

Spec parse_spec_document(nlohmann::json document) { return parse_document(std::move(document)); }

Hooks parse_hooks(const nlohmann::json& document) {
  if (!document.is_object()) return {};
  return parse_hooks(Node(&document, "")["hooks"]);
}

Process parse_process(const nlohmann::json& json, const std::string& json_path) {
  return parse_process_node(Node(&json, json_path));
}

Spec load_spec(const std::string& bundle_dir) {
  std::string path = bundle_dir;
  if (path.empty()) path = ".";
  if (path.back() != '/') path += '/';
  path += "config.json";
  return parse_spec(read_file(path));
}

}  // namespace skiff::oci
