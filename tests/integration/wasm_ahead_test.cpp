// The compile ahead (src/runtime/wasm_ahead.hpp): without a compile cache the
// runtime compiles the module of the bundle's rootfs beside the container's
// setup, in a sandboxed `skiff-wasm --compile-ahead`, and the runner takes
// that compile only for the very bytes it finds in the container.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "integration/harness.hpp"
#include "integration/wasm_probe.hpp"

using namespace skiff_test;

namespace {

constexpr std::string_view kAheadLog = "wasm module compiled ahead: wasmtime48-";

// `skiff run` without a compile cache, logging at debug level into log.
Output run_uncached(Sandbox& sb, const Bundle& b, const fs::path& log, const std::string& id) {
  b.save();
  return sb.skiff({"--wasm-cache", "", "--log", log.string(), "--debug", "run", "--bundle", b.dir.string(), id});
}

std::string status_field(pid_t pid, const std::string& name) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind(name + ":", 0) == 0) return trim(line.substr(name.size() + 1));
  return {};
}

bool compile_ahead_running() {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string cmdline;
    try {
      cmdline = read_file(entry.path() / "cmdline");
    } catch (const std::exception&) {
      continue;
    }
    if (cmdline.find("--compile-ahead") != std::string::npos && cmdline.rfind("skiff-wasm", 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("without a compile cache the module is compiled ahead, beside the setup", "[wasm][ahead]") {
  Sandbox sb;
  const fs::path log = sb.dir / "log.json";
  SECTION("the runner takes the compile of the same module") {
    Bundle b = probe_bundle(sb, {"args", "x"});
    Output out = run_uncached(sb, b, log, sb.new_id("ahead"));
    INFO(out.describe() << read_file(log));
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=3\n/bin/probe.wasm\nargs\nx\n");
    CHECK(read_file(log).find(kAheadLog) != std::string::npos);
  }
  SECTION("found on PATH as the init finds it") {
    Bundle b = probe_bundle(sb, {"exit", "7"});
    b.config["process"]["args"][0] = "probe.wasm";
    Output out = run_uncached(sb, b, log, sb.new_id("path"));
    INFO(out.describe() << read_file(log));
    CHECK(out.exit_code == 7);
    CHECK(read_file(log).find(kAheadLog) != std::string::npos);
  }
  SECTION("a module mounted over the rootfs's is compiled by the runner, not taken from the compile ahead") {
    Bundle b = probe_bundle(sb, {"args"});
    // The same code plus a custom section: other bytes, another key.
    const fs::path other = sb.dir / "other.wasm";
    write_file(other, read_file(WASM_PROBE) + std::string("\0\x04\x03" "abc", 6));
    b.config["mounts"].push_back(
        {{"destination", "/bin/probe.wasm"}, {"type", "bind"}, {"source", other.string()}, {"options", {"bind", "ro"}}});
    Output out = run_uncached(sb, b, log, sb.new_id("mounted"));
    INFO(out.describe() << read_file(log));
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=2\n/bin/probe.wasm\nargs\n");
    CHECK(read_file(log).find(kAheadLog) == std::string::npos);
  }
  SECTION("a module that does not compile fails the create as before, and no compile outlives it") {
    Bundle b = probe_bundle(sb, {"args"});
    write_file(b.rootfs / "bin/probe.wasm", std::string("\0asm\x01\0\0\0\x01\xff", 10));
    const std::string id = sb.new_id("bad");
    Output out = run_uncached(sb, b, log, id);
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    CHECK(out.err.find("wasm module /bin/probe.wasm: ") != std::string::npos);
    CHECK_FALSE(compile_ahead_running());
    CHECK_NO_LEFTOVERS(sb, id);
  }
}

TEST_CASE("the runtime writes the runner's config ahead for the module in the rootfs; the init's view wins",
          "[wasm][ahead]") {
  Sandbox sb;
  const fs::path log = sb.dir / "log.json";
  // Each case with and without a compile cache (and so a compile ahead).
  const std::string cache = GENERATE(std::string(), std::string("cache"));
  auto run = [&](const Bundle& b, const std::string& id) {
    b.save();
    return sb.skiff({"--wasm-cache", cache.empty() ? "" : (sb.dir / cache).string(), "--log", log.string(),
                     "--debug", "run", "--bundle", b.dir.string(), id});
  };
  SECTION("a module the rootfs does not have, mounted into the container") {
    Bundle b = probe_bundle(sb, {"args"});
    fs::remove(b.rootfs / "bin/probe.wasm");
    b.config["process"]["args"][0] = "/app/probe.wasm";
    b.config["mounts"].push_back({{"destination", "/app/probe.wasm"},
                                  {"type", "bind"},
                                  {"source", WASM_PROBE},
                                  {"options", {"bind", "ro"}}});
    Output out = run(b, sb.new_id("mounted"));
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=2\n/app/probe.wasm\nargs\n");
  }
  SECTION("PATH finds another module in the container than in the rootfs") {
    // The rootfs has /bin/probe.wasm; a mount puts the printer first on PATH.
    Bundle b = probe_bundle(sb, {"args"});
    b.config["process"]["args"][0] = "probe.wasm";
    b.config["process"]["env"] = {"PATH=/opt/bin:/bin"};
    b.config["mounts"].push_back({{"destination", "/opt/bin/probe.wasm"},
                                  {"type", "bind"},
                                  {"source", WASM_PRINTER},
                                  {"options", {"bind", "ro"}}});
    Output out = run(b, sb.new_id("path"));
    INFO(out.describe());
    CHECK(out.exit_code == 2);
    CHECK(out.err.find("printer: report | exit STATUS") != std::string::npos);
    CHECK(read_file(log).find(kAheadLog) == std::string::npos);
  }
}

TEST_CASE("the compile ahead runs sandboxed before it reads the module", "[wasm][ahead][security]") {
  int module_pipe[2], key_pipe[2];
  REQUIRE(pipe2(module_pipe, O_CLOEXEC) == 0);
  REQUIRE(pipe2(key_pipe, O_CLOEXEC) == 0);
  FILE* entry = tmpfile();
  REQUIRE(entry != nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(module_pipe[0], 0);
    dup2(fileno(entry), 1);
    dup2(key_pipe[1], 3);
    execl(wasm_runner().c_str(), "skiff-wasm", "--compile-ahead", "cranelift", nullptr);
    _exit(127);
  }
  close(module_pipe[0]);
  close(key_pipe[1]);
  // It waits for the module (stdin still open) with its sandbox in place.
  std::string seccomp;
  for (int i = 0; i < 500 && seccomp != "2"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seccomp = status_field(pid, "Seccomp");
  }
  CHECK(seccomp == "2");
  CHECK(status_field(pid, "NoNewPrivs") == "1");
  CHECK(status_field(pid, "CapEff") == "0000000000000000");
  CHECK(status_field(pid, "CapPrm") == "0000000000000000");
  const std::string module = read_file(WASM_PROBE);
  CHECK(write(module_pipe[1], module.data(), module.size()) == static_cast<ssize_t>(module.size()));
  close(module_pipe[1]);
  std::string key;
  char buffer[256];
  for (ssize_t n; (n = read(key_pipe[0], buffer, sizeof buffer)) > 0;) key.append(buffer, static_cast<size_t>(n));
  close(key_pipe[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(key.rfind("wasmtime48-", 0) == 0);
  CHECK(key.back() == '\n');
  // The entry: the compiled program's SHA-256 in hex, then the program.
  fflush(entry);
  CHECK(lseek(fileno(entry), 0, SEEK_END) > 64);
  fclose(entry);
}
