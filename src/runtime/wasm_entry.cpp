#include "runtime/wasm_entry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/process_setup.hpp"
#include "runtime/wasm_runner.hpp"
#include "util/error.hpp"
#include "wasm/detect.hpp"
#include "wasm/preopens.hpp"
#include "wasm/runner_config.hpp"

namespace skiff::runtime {

namespace {

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// args[0] as the init will see it once in process.cwd, without asking for
// the exec bit (a module needs none); "" when there is no such file.
std::string locate_entrypoint(const oci::Process& process) {
  const std::string& name = process.args.at(0);
  if (name.find('/') == std::string::npos) return find_on_path(process, is_regular_file);
  if (name.front() == '/') return name;
  return process.cwd + "/" + name;
}

void keep_across_exec(int fd, const std::string& what) {
  if (::fcntl(fd, F_SETFD, 0) != 0) throw_errno("wasm runner: keeping " + what + " open");
}

// The BeforeExec filter goes to the runner, which loads it right before the
// module runs; filters of the earlier stages the init has loaded itself.
std::optional<security::SeccompProgram> filter_for_runner(const security::SeccompProgram* seccomp,
                                                          bool no_new_privileges) {
  if (!seccomp || security::seccomp_stage(*seccomp, no_new_privileges) != security::SeccompStage::BeforeExec)
    return std::nullopt;
  return *seccomp;
}

// linux.resources.memory.limit, which bounds the module's linear memory too
// (a memory.grow past it fails) rather than only the cgroup (an OOM kill
// once the pages are touched); 0 without a limit.
uint64_t memory_limit(const oci::Spec& spec) {
  if (!spec.linux || !spec.linux->resources.is_object()) return 0;
  const auto& memory = spec.linux->resources.value("memory", nlohmann::json::object());
  const auto limit = memory.is_object() ? memory.value("limit", nlohmann::json()) : nlohmann::json();
  return limit.is_number_integer() && limit.get<int64_t>() > 0 ? limit.get<uint64_t>() : 0;
}

wasm::RunnerConfig runner_config(const std::string& module, const WasmRunnerInputs& inputs,
                                 const std::vector<WasmPreopen>& preopens, const WasmRunnerSettings& settings,
                                 const std::string& pushed_key) {
  const oci::Process& process = *inputs.spec->process;
  wasm::RunnerConfig config;
  config.module = module;
  config.compiler = settings.compiler;
  config.compile_cache = settings.compile_cache;
  config.compiled_ahead = settings.compiled_ahead;
  config.pushed_key = pushed_key;
  config.run.args = process.args;
  config.run.env = process.env;
  // Paths in the container (its rootfs, nothing of the host).
  for (const auto& preopen : preopens) config.run.preopens.push_back({preopen.dir, preopen.guest, !preopen.read_only});
  config.run.memory_limit = memory_limit(*inputs.spec);
  config.start_container = inputs.spec->hooks.start_container;
  if (!config.start_container.empty()) {
    auto state = nlohmann::json::parse(inputs.hook_state);
    state["status"] = "running";
    config.hook_state = state.dump();
  }
  config.sync_fd = inputs.sync_fd;
  config.fifo_fd = inputs.fifo_fd;
  config.no_new_privileges = process.no_new_privileges;
  config.seccomp = filter_for_runner(inputs.seccomp, process.no_new_privileges);
  return config;
}

}  // namespace

std::string wasm_module_path(const oci::Spec& spec) {
  if (!spec.process || spec.process->args.empty() || wasm::is_pod_sandbox(spec.annotations)) return {};
  wasm::Handler handler = wasm::handler_from_annotations(spec.annotations);
  const std::string& args0 = spec.process->args.front();
  std::string path = locate_entrypoint(*spec.process);
  if (path.empty() || !wasm::runs_as_wasm(handler, args0, wasm::read_head(path))) return {};
  return path;
}

void request_wasm_runner(const std::string& module, const SyncSocket& sync) {
  sync.send(SyncType::WasmRunner, 0, module);
}

WasmRunnerOffer receive_wasm_runner(const SyncSocket& sync) {
  SyncMessage reply = sync.expect(SyncType::WasmRunner);
  return {std::move(reply.fd), std::move(reply.text), reply.value};
}

UniqueFd write_wasm_runner_config(const std::string& module, const std::string& preopens, int64_t settings,
                                  const WasmRunnerInputs& inputs, const std::string& pushed_key) {
  wasm::RunnerConfig config = runner_config(module, inputs, wasm::preopens_from_json(preopens),
                                            WasmRunnerSettings::decode(settings), pushed_key);
  return wasm::sealed_config_memfd(wasm::serialize_runner_config(config));
}

namespace {

int64_t config_descriptors(const WasmRunnerInputs& inputs) {
  return int64_t{inputs.sync_fd} << 32 | static_cast<uint32_t>(inputs.fifo_fd);
}

// The runtime's config and the cache entry it names, when it is for this
// module and these descriptors; both messages are read either way.
void take_config_from_runtime(const std::string& module, const SyncSocket& sync, const WasmRunnerInputs& inputs,
                              WasmRunnerLaunch& launch) {
  SyncMessage config = sync.expect(SyncType::WasmRunnerConfig);
  SyncMessage entry = sync.expect(SyncType::WasmCacheEntry);
  if (!config.fd || config.text != module || config.value != config_descriptors(inputs)) return;
  keep_across_exec(config.fd.get(), "the runner's config");
  launch.config = std::move(config.fd);
  if (!entry.fd) return;
  keep_across_exec(entry.fd.get(), "a compiled module");
  launch.cache_entry = std::move(entry.fd);
}

}  // namespace

void send_wasm_runner_config(const SyncSocket& sync, const std::string& module, UniqueFd config,
                             const WasmRunnerInputs& inputs, UniqueFd cache_entry) {
  if (config) sync.send_fd(SyncType::WasmRunnerConfig, config.get(), module, config_descriptors(inputs));
  else sync.send(SyncType::WasmRunnerConfig);
  if (config && cache_entry) sync.send_fd(SyncType::WasmCacheEntry, cache_entry.get());
  else sync.send(SyncType::WasmCacheEntry);
}

WasmRunnerLaunch prepare_wasm_runner(const std::string& module, WasmRunnerOffer offer, bool offered,
                                     const SyncSocket& sync, const WasmRunnerInputs& inputs) {
  WasmRunnerLaunch launch;
  launch.module = module;
  launch.runner = std::move(offer.runner);
  if (!launch.runner) throw Error("wasm module " + module + ": the runtime sent no runner");
  if (offered) take_config_from_runtime(module, sync, inputs, launch);
  if (!launch.config) launch.config = write_wasm_runner_config(module, offer.preopens, offer.settings, inputs);
  keep_across_exec(inputs.sync_fd, "the sync socket");
  keep_across_exec(inputs.fifo_fd, "exec.fifo");
  return launch;
}

void exec_wasm_runner(const WasmRunnerLaunch& launch) {
  std::string config_fd = std::to_string(launch.config.get());
  std::string entry_fd = std::to_string(launch.cache_entry.get());
  char name[] = "skiff-wasm";
  char* argv[] = {name, config_fd.data(), launch.cache_entry ? entry_fd.data() : nullptr, nullptr};
  char* envp[] = {nullptr};  // the module's environment is in the config
  ::syscall(SYS_execveat, launch.runner.get(), "", argv, envp, AT_EMPTY_PATH);
  throw_errno("wasm module " + launch.module + ": executing the runner");
}

}  // namespace skiff::runtime
