#include "wasm/runner_config.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/fs.hpp"

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

json seccomp_json(const security::SeccompProgram& program) {
  json instructions = json::array();
  for (const sock_filter& insn : program.instructions)
    instructions.push_back({insn.code, insn.jt, insn.jf, insn.k});
  return {{"instructions", instructions}, {"flags", program.flags}, {"notify", program.notify}};
}

security::SeccompProgram seccomp_of(const json& in) {
  security::SeccompProgram program;
  for (const json& insn : in.at("instructions"))
    program.instructions.push_back(sock_filter{insn.at(0).get<uint16_t>(), insn.at(1).get<uint8_t>(),
                                               insn.at(2).get<uint8_t>(), insn.at(3).get<uint32_t>()});
  in.at("flags").get_to(program.flags);
  in.at("notify").get_to(program.notify);
  return program;
}

}  // namespace

std::string to_json(const RunnerConfig& config) {
  json preopens = json::array();
  for (const auto& preopen : config.run.preopens)
    preopens.push_back({{"host", preopen.host_path}, {"guest", preopen.guest_path}, {"writable", preopen.writable}});
  json hooks = json::array();
  for (const auto& hook : config.start_container) hooks.push_back(hook_json(hook));
  json out{{"module", config.module},
           {"args", config.run.args},
           {"env", config.run.env},
           {"preopens", preopens},
           {"memoryLimit", config.run.memory_limit},
           {"startContainer", hooks},
           {"hookState", config.hook_state},
           {"syncFd", config.sync_fd},
           {"fifoFd", config.fifo_fd},
           {"noNewPrivileges", config.no_new_privileges}};
  if (config.seccomp) out["seccomp"] = seccomp_json(*config.seccomp);
  return out.dump();
}

RunnerConfig runner_config_from_json(const std::string& text) {
  try {
    json in = json::parse(text);
    RunnerConfig config;
    in.at("module").get_to(config.module);
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
    if (in.contains("seccomp")) config.seccomp = seccomp_of(in["seccomp"]);
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
