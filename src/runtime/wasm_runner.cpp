#include "runtime/wasm_runner.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts/mount_api.hpp"
#include "security/self_protection.hpp"
#include "util/error.hpp"
#include "wasm/compiler.hpp"
#include "wasm/detect.hpp"
#include "wasm/preopens.hpp"

namespace skiff::runtime {

namespace {

constexpr std::string_view kRunnerName = "skiff-wasm";

std::string directory_of_self() {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) throw_errno("wasm runner: /proc/self/exe");
  std::string self(buffer, static_cast<size_t>(n));
  // A sealed copy (memfd) has no directory: the CLI passes the runner's path
  // along when it re-executes itself from one.
  if (self.front() != '/' || self.starts_with("/memfd:"))
    throw Error("wasm runner: no directory beside " + self + " to look in (set the runner's path)");
  return self.substr(0, self.rfind('/'));
}

}  // namespace

std::string wasm_runner_path(const RuntimeOptions& options) {
  if (!options.wasm_runner.empty()) return options.wasm_runner;
  return directory_of_self() + "/" + std::string(kRunnerName);
}

UniqueFd open_wasm_runner(const std::string& runner, const std::string& module, bool sealed_copy) {
  const std::string context = "wasm module " + module + ": runner " + runner;
  struct stat st;
  if (::stat(runner.c_str(), &st) != 0 && errno == ENOENT)
    throw Error(context + " not found (built with SKIFF_WASM=OFF?)");
  try {
    if (sealed_copy) return security::sealed_copy(runner, "the wasm runner");
    UniqueFd mount = mounts::clone_tree(AT_FDCWD, runner, false);
    mounts::set_attrs(mount.get(), {MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0}, false);
    return mount;
  } catch (const Error& e) {
    throw e.wrap(context);
  }
}

namespace {
constexpr int64_t kCompilerMask = 0xff;
constexpr int64_t kCompileCacheBit = 0x100;
constexpr int64_t kCompiledAheadBit = 0x200;
}  // namespace

int64_t WasmRunnerSettings::encode() const {
  return static_cast<int64_t>(compiler) | (compile_cache ? kCompileCacheBit : 0) |
         (compiled_ahead ? kCompiledAheadBit : 0);
}

WasmRunnerSettings WasmRunnerSettings::decode(int64_t value) {
  return {static_cast<WasmCompiler>(value & kCompilerMask), (value & kCompileCacheBit) != 0,
          (value & kCompiledAheadBit) != 0};
}

std::string WasmRequests::runner_path(const std::string& module) const {
  try {
    return wasm_runner_path(options_);
  } catch (const Error& e) {
    throw e.wrap("wasm module " + module);
  }
}

WasmRunnerOffer WasmRequests::make_offer(const std::string& module, const std::string& path) {
  // Checked before anything runs the module: a bad annotation fails the create.
  auto preopens = wasm::container_preopens(spec_.annotations, options_.wasm_preopens);
  WasmRunnerOffer offer;
  offer.runner = open_wasm_runner(path, module, security::container_can_reach_runtime(spec_));
  offer.preopens = wasm::preopens_to_json(preopens);
  WasmRunnerSettings settings{options_.wasm_compiler, !options_.wasm_cache_dir.empty()};
  offer.settings = settings.encode();
  return offer;
}

void WasmRequests::compile_ahead(const ModuleInRoot& module, const std::string& runner, WasmRunnerOffer& offer) {
  if (!options_.wasm_cache_dir.empty()) return;
  WasmRunnerSettings settings = WasmRunnerSettings::decode(offer.settings);
  ahead_ = CompileAhead::start(module, runner,
                               wasm::settled_compiler(settings.compiler, settings.compile_cache));
  if (!ahead_) return;
  cache_.answer_first_from(ahead_.get());
  settings.compiled_ahead = true;
  offer.settings = settings.encode();
}

std::optional<WasmRunnerOffer> WasmRequests::offer(const std::string& rootfs) {
  if (!spec_.process || spec_.process->args.empty() || wasm::is_pod_sandbox(spec_.annotations)) return {};
  // A sealed copy takes milliseconds (the runner is tens of MB): made here it
  // would delay the clone; asked for, it is made while the init sets up.
  if (security::container_can_reach_runtime(spec_)) return {};
  const std::string& args0 = spec_.process->args.front();
  if (!wasm::looks_like_wasm(wasm::handler_from_annotations(spec_.annotations), args0)) return {};
  try {
    const std::string runner = runner_path(args0);
    WasmRunnerOffer offer = make_offer(args0, runner);
    if (std::optional<ModuleInRoot> module = find_module_in_root(rootfs, *spec_.process)) {
      compile_ahead(*module, runner, offer);
      module_ = module->path;
      cache_.expect_module(module->stat, wasm::settled_compiler(options_.wasm_compiler, true));
    }
    preopens_ = offer.preopens;
    settings_ = offer.settings;
    return offer;
  } catch (const Error&) {
    return {};
  }
}

void WasmRequests::send_runner_config(const SyncSocket& sync, const WasmRunnerInputs& inputs) {
  UniqueFd config;
  CompileCacheServer::Pushed pushed;
  try {
    if (!module_.empty()) {
      pushed = cache_.entry_to_push();
      config = write_wasm_runner_config(module_, preopens_, settings_, inputs, pushed.entry ? pushed.key : "");
    }
  } catch (const Error&) {
    // The init writes it then, and reports what fails.
  }
  send_wasm_runner_config(sync, module_, std::move(config), inputs, std::move(pushed.entry));
}

void WasmRequests::expect_lookups() {
  if (!options_.wasm_cache_dir.empty()) cache_.expect_lookups();
}

bool WasmRequests::handle(const SyncMessage& message, const SyncSocket& sync) {
  if (message.type != SyncType::WasmRunner) return cache_.handle(message, sync);
  WasmRunnerOffer offer = make_offer(message.text, runner_path(message.text));
  sync.send_fd(SyncType::WasmRunner, offer.runner.get(), offer.preopens, offer.settings);
  expect_lookups();
  return true;
}

}  // namespace skiff::runtime
