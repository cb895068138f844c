#include "wasm/runner_config.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/fs.hpp"
#include "wasm/compiler.hpp"

namespace skiff::wasm {

namespace {

using nlohmann::json;

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

json hook_json(const oci::Hook& hook) {
  json out{{"path", hook.path}, {"args", hook.args}, {"env", hook.env}};
  if (hook.timeout) out["timeout"] = *hook.timeout;
  return out;
}

oci::Hook hook_of(const json& in) {
  oci::Hook hook;
  in.at("path").get_to(hook.path);
  in.at("args").get_to(hook.args);
  in.at("env").get_to(hook.env);
  if (in.contains("timeout")) hook.timeout = in["timeout"].get<int>();
  return hook;
}

// The filter's instructions travel as raw bytes after the JSON and a NUL
// (JSON text has none): ~340 instructions of a default profile as JSON
// numbers, or even as hex in a JSON string, cost the runner more to parse
// than all of the rest of its config.
json seccomp_json(const security::SeccompProgram& program) {
  return {{"instructions", program.instructions.size()}, {"flags", program.flags}, {"notify", program.notify}};
}

security::SeccompProgram seccomp_of(const json& in, std::string_view instructions) {
  security::SeccompProgram program;
  size_t count = in.at("instructions").get<size_t>();
  if (instructions.size() != count * sizeof(sock_filter))
    throw Error("wasm runner config: seccomp.instructions: " + std::to_string(count) + " announced, " +
                std::to_string(instructions.size()) + " bytes follow");
  program.instructions.resize(count);
  if (count) std::memcpy(program.instructions.data(), instructions.data(), instructions.size());
  in.at("flags").get_to(program.flags);
  in.at("notify").get_to(program.notify);
  return program;
}

}  // namespace

std::string serialize_runner_config(const RunnerConfig& config) {
  json preopens = json::array();
  for (const auto& preopen : config.run.preopens)
    preopens.push_back({{"host", preopen.host_path}, {"guest", preopen.guest_path}, {"writable", preopen.writable}});
  json hooks = json::array();
  for (const auto& hook : config.start_container) hooks.push_back(hook_json(hook));
  json out{{"module", config.module},
           {"compiler", compiler_name(config.compiler)},
           {"compileCache", config.compile_cache},
           {"compiledAhead", config.compiled_ahead},
           {"pushedKey", config.pushed_key},
           {"args", config.run.args},
           {"env", config.run.env},
           {"preopens", preopens},
           {"memoryLimit", config.run.memory_limit},
           {"startContainer", hooks},
           {"hookState", config.hook_state},
           {"syncFd", config.sync_fd},
           {"fifoFd", config.fifo_fd},
           {"noNewPrivileges", config.no_new_privileges}};
  if (!config.seccomp) return out.dump();
  out["seccomp"] = seccomp_json(*config.seccomp);
  std::string text = out.dump();
  text.push_back('\0');
  const auto& instructions = config.seccomp->instructions;
  text.append(reinterpret_cast<const char*>(instructions.data()), instructions.size() * sizeof(sock_filter));
  return text;
}

RunnerConfig parse_runner_config(std::string_view text) {
  size_t end_of_json = std::min(text.find('\0'), text.size());
  std::string_view instructions = text.substr(std::min(end_of_json + 1, text.size()));
  try {
    json in = json::parse(text.substr(0, end_of_json));
    RunnerConfig config;
    in.at("module").get_to(config.module);
    std::optional<WasmCompiler> compiler = compiler_named(in.at("compiler").get_ref<const std::string&>());
    if (!compiler) throw Error("wasm runner config: compiler: unknown");
    config.compiler = *compiler;
    in.at("compileCache").get_to(config.compile_cache);
    in.at("compiledAhead").get_to(config.compiled_ahead);
    in.at("pushedKey").get_to(config.pushed_key);
    in.at("args").get_to(config.run.args);
    in.at("env").get_to(config.run.env);
    for (const json& preopen : in.at("preopens"))
      config.run.preopens.push_back({preopen.at("host").get<std::string>(), preopen.at("guest").get<std::string>(),
                                     preopen.at("writable").get<bool>()});
    in.at("memoryLimit").get_to(config.run.memory_limit);
    for (const json& hook : in.at("startContainer")) config.start_container.push_back(hook_of(hook));
    in.at("hookState").get_to(config.hook_state);
    in.at("syncFd").get_to(config.sync_fd);
    in.at("fifoFd").get_to(config.fifo_fd);
    in.at("noNewPrivileges").get_to(config.no_new_privileges);
    if (in.contains("seccomp")) config.seccomp = seccomp_of(in["seccomp"], instructions);
    else if (end_of_json < text.size()) throw Error("wasm runner config: bytes after the JSON, but no seccomp filter");
    return config;
  } catch (const json::exception& e) {
    throw Error(std::string("wasm runner config: ") + e.what());
  }
}

UniqueFd sealed_config_memfd(const std::string& text) {
  UniqueFd fd(::memfd_create("skiff-wasm-config", MFD_ALLOW_SEALING));
  if (!fd) throw_errno("wasm runner config: memfd_create");
  if (!write_all(fd.get(), text)) throw_errno("wasm runner config: writing");
  if (::fcntl(fd.get(), F_ADD_SEALS, kSeals) != 0) throw_errno("wasm runner config: sealing");
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw_errno("wasm runner config: rewinding");
  return fd;
}

}  // namespace skiff::wasm
