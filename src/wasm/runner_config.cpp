#include "wasm/runner_config.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

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

// The filter as one hex string, 16 digits an instruction (code, jt, jf, k):
// a JSON array of arrays costs the init and the runner ~0.3 ms to write and
// parse for a default profile's ~340 instructions, this a few microseconds.
constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& out, uint32_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHexDigits[(value >> shift) & 0xf]);
}

uint32_t hex_field(std::string_view text, size_t offset, int digits) {
  uint32_t value = 0;
  for (int i = 0; i < digits; ++i) {
    char c = text[offset + i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) throw Error("wasm runner config: seccomp.instructions: not a hex digit");
    value = (value << 4) | static_cast<uint32_t>(digit);
  }
  return value;
}

constexpr size_t kHexPerInstruction = 16;

std::string instructions_hex(const std::vector<sock_filter>& instructions) {
  std::string hex;
  hex.reserve(instructions.size() * kHexPerInstruction);
  for (const sock_filter& insn : instructions) {
    append_hex(hex, insn.code, 4);
    append_hex(hex, insn.jt, 2);
    append_hex(hex, insn.jf, 2);
    append_hex(hex, insn.k, 8);
  }
  return hex;
}

std::vector<sock_filter> instructions_of(std::string_view hex) {
  if (hex.size() % kHexPerInstruction != 0)
    throw Error("wasm runner config: seccomp.instructions: not whole instructions");
  std::vector<sock_filter> instructions;
  instructions.reserve(hex.size() / kHexPerInstruction);
  for (size_t at = 0; at < hex.size(); at += kHexPerInstruction)
    instructions.push_back(sock_filter{static_cast<uint16_t>(hex_field(hex, at, 4)),
                                       static_cast<uint8_t>(hex_field(hex, at + 4, 2)),
                                       static_cast<uint8_t>(hex_field(hex, at + 6, 2)), hex_field(hex, at + 8, 8)});
  return instructions;
}

json seccomp_json(const security::SeccompProgram& program) {
  return {{"instructions", instructions_hex(program.instructions)},
          {"flags", program.flags},
          {"notify", program.notify}};
}

security::SeccompProgram seccomp_of(const json& in) {
  security::SeccompProgram program;
  program.instructions = instructions_of(in.at("instructions").get_ref<const std::string&>());
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
           {"compiler", compiler_name(config.compiler)},
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
    std::optional<WasmCompiler> compiler = compiler_named(in.at("compiler").get_ref<const std::string&>());
    if (!compiler) throw Error("wasm runner config: compiler: unknown");
    config.compiler = *compiler;
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
