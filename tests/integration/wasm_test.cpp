// WebAssembly containers: a WASI command module as the entrypoint runs on the
// embedded engine inside the same namespaces, rootfs and cgroup as a native
// process. The module is tests/integration/wasm/probe.c, built with clang
// --target=wasm32-wasi (WASM_PROBE).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <thread>

#include "integration/harness.hpp"
#include "integration/wasm_probe.hpp"

using namespace skiff_test;

namespace {

std::string readlink_in_proc(int pid, const std::string& ns) {
  return read_link("/proc/" + std::to_string(pid) + "/ns/" + ns);
}

}  // namespace

TEST_CASE("a wasm module as args[0] gets its args and env from process", "[wasm]") {
  Sandbox sb;
  SECTION("args") {
    Bundle b = probe_bundle(sb, {"args", "two words", "x"});
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=4\n/bin/probe.wasm\nargs\ntwo words\nx\n");
    CHECK(out.err.empty());
  }
  SECTION("env") {
    Bundle b = probe_bundle(sb, {"env", "GREETING", "EMPTY", "MISSING"});
    b.config["process"]["env"].push_back("GREETING=ahoy there");
    b.config["process"]["env"].push_back("EMPTY=");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "GREETING=ahoy there\nEMPTY=\nMISSING unset\n");
  }
  SECTION("as a user other than root") {
    Bundle b = probe_bundle(sb, {"args"});
    b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=2\n/bin/probe.wasm\nargs\n");
  }
  SECTION("a module known by its magic bytes alone (no annotation, no .wasm name)") {
    Bundle b = probe_bundle(sb, {"args"});
    fs::rename(b.rootfs / "bin/probe.wasm", b.rootfs / "bin/probe");
    b.config["process"]["args"][0] = "/bin/probe";
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=2\n/bin/probe\nargs\n");
  }
  SECTION("args[0] found on PATH") {
    Bundle b = probe_bundle(sb, {"args"});
    b.config["process"]["args"][0] = "probe.wasm";
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=2\nprobe.wasm\nargs\n");
  }
}

TEST_CASE("a wasm module sees the container's rootfs as / and its stdio", "[wasm]") {
  Sandbox sb;
  SECTION("reads a file of the rootfs") {
    Bundle b = probe_bundle(sb, {"cat", "/etc/greeting"});
    write_file(b.rootfs / "etc/greeting", "hello from the rootfs\n");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "hello from the rootfs\n");
  }
  SECTION("cannot reach the host through ..") {
    Bundle b = probe_bundle(sb, {"cat", "/../../../../etc/hostname"});
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.out != read_file("/etc/hostname"));
  }
  SECTION("writes to /tmp") {
    Bundle b = probe_bundle(sb, {"write", "/tmp/note", "written by wasm"});
    b.config["root"]["readonly"] = false;
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "written by wasm");
    CHECK(read_file(b.rootfs / "tmp/note") == "written by wasm");
  }
  SECTION("echoes stdin") {
    Bundle b = probe_bundle(sb, {"echo"});
    Output out = sb.run(b, std::string("line one\nline two\n"));
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "line one\nline two\n");
  }
}

TEST_CASE("a wasm container exits with the module's code", "[wasm]") {
  Sandbox sb;
  SECTION("proc_exit") {
    Output out = sb.run(probe_bundle(sb, {"exit", "42"}));
    INFO(out.describe());
    CHECK(out.exit_code == 42);
  }
  SECTION("main's return value") {
    Output out = sb.run(probe_bundle(sb, {"no-such-command"}));
    INFO(out.describe());
    CHECK(out.exit_code == 2);
    CHECK(out.err == "probe: unknown command no-such-command\n");
  }
  SECTION("a trap is 134 (128 + SIGABRT) with the trap on stderr") {
    Output out = sb.run(probe_bundle(sb, {"trap"}));
    INFO(out.describe());
    CHECK(out.exit_code == 134);
    CHECK(out.err.find("/bin/probe.wasm") != std::string::npos);
    CHECK(out.err.find("unreachable") != std::string::npos);
  }
}

TEST_CASE("crun's handler annotations choose the engine", "[wasm]") {
  Sandbox sb;
  SECTION("run.oci.handler=wasm runs a module without the exec bit") {
    Bundle b = probe_bundle(sb, {"args"}, fs::perms(0644));
    b.config["annotations"] = {{"run.oci.handler", "wasm"}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "argc=2\n/bin/probe.wasm\nargs\n");
  }
  SECTION("module.wasm.image/variant=compat-smart runs a .wasm args[0]") {
    Bundle b = probe_bundle(sb, {"exit", "9"}, fs::perms(0644));
    b.config["annotations"] = {{"module.wasm.image/variant", "compat-smart"}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 9);
  }
  SECTION("wasm-smart leaves a native entrypoint native") {
    Bundle b = sb.bundle({"sh", "-c", "echo native; cat /proc/1/comm; true"});
    b.config["annotations"] = {{"run.oci.handler", "wasm-smart"}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "native\nsh\n");
  }
  SECTION("wasm leaves an ELF entrypoint native, with no runner left open") {
    // The runner was opened for the init before the clone (the spec looked
    // like wasm): a native process must not inherit it.
    Bundle b = sb.bundle({"sh", "-c", "ls /proc/$$/fd; true"});  // the shell's own fds
    b.config["annotations"] = {{"run.oci.handler", "wasm"}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "0\n1\n2\n");
  }
  SECTION("a pod sandbox container is never wasm") {
    Bundle b = probe_bundle(sb, {"args"});
    b.config["annotations"] = {{"run.oci.handler", "wasm"}, {"io.kubernetes.cri.container-type", "sandbox"}};
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code != 0);  // the kernel cannot execve a module
    CHECK(out.out.empty());
  }
}

TEST_CASE("a sleeping wasm container has its own namespaces and takes a native exec", "[wasm][lifecycle]") {
  Sandbox sb;
  Bundle b = probe_bundle(sb, {"sleep", "600"});
  write_file(b.rootfs / "etc/greeting", "seen by exec\n");
  b.save();
  const std::string id = sb.new_id("wasm");
  Output create = sb.skiff({"create", "--bundle", b.dir.string(), id});
  INFO(create.describe());
  REQUIRE(create.exit_code == 0);
  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "running"));
  const int pid = sb.state(id).value("pid", 0);
  REQUIRE(pid > 0);

  for (const char* ns : {"pid", "mnt"}) {
    CAPTURE(ns);
    CHECK(readlink_in_proc(pid, ns) != readlink_in_proc(::getpid(), ns));
  }
  // No execve closes the init's close-on-exec fds: none of the host's may be
  // left. Allowed: stdio, the preopened container root (unreachable from the
  // host's root, so it reads "/"), the engine's memfds and /dev/urandom (opened
  // in the container), pipes and anon inodes.
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::string target = read_link(fd.path());
    CAPTURE(target);
    CHECK((target.rfind('/', 0) != 0 || target == "/" || target == "/dev/null" ||
           target == "/dev/urandom" || target.rfind("/dev/pts/", 0) == 0 || target.rfind("/memfd:", 0) == 0));
  }
  Output cat = sb.skiff({"exec", id, "cat", "/etc/greeting"});
  INFO(cat.describe());
  CHECK(cat.exit_code == 0);
  CHECK(cat.out == "seen by exec\n");
  Output pid_ns = sb.skiff({"exec", id, "readlink", "/proc/self/ns/pid"});
  CHECK(trim(pid_ns.out) == readlink_in_proc(pid, "pid"));
  Output ps = sb.skiff({"ps", id});
  INFO(ps.describe());
  CHECK(ps.exit_code == 0);
  CHECK(ps.out.find(std::to_string(pid)) != std::string::npos);

  CHECK(sb.skiff({"kill", id, "KILL"}).exit_code == 0);
  CHECK(sb.wait_for_status(id, "stopped"));
  CHECK(sb.skiff({"delete", id}).exit_code == 0);
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("a bad module fails the create, naming the module, and leaves nothing", "[wasm][badinput]") {
  Sandbox sb;
  Bundle b = probe_bundle(sb, {"args"});
  std::string module = read_file(WASM_PROBE);
  SECTION("truncated") { write_file(b.rootfs / "bin/probe.wasm", module.substr(0, module.size() / 2)); }
  SECTION("corrupt") { write_file(b.rootfs / "bin/probe.wasm", std::string("\0asm\1\0\0\0garbage", 16)); }
  SECTION("only the magic") { write_file(b.rootfs / "bin/probe.wasm", std::string("\0asm", 4)); }
  b.save();
  const std::string id = sb.new_id("badwasm");
  Output out = sb.skiff({"run", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code != 0);
  CHECK(out.exit_code != 134);
  CHECK(out.err.find("wasm module /bin/probe.wasm") != std::string::npos);
  CHECK(out.out.empty());
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("compiled modules are cached by content digest", "[wasm]") {
  Sandbox sb;
  const fs::path cache = sb.dir / "wasm-cache";
  Bundle b = probe_bundle(sb, {"exit", "5"});
  b.save();
  auto run = [&] { return sb.skiff({"--wasm-cache", cache.string(), "run", "--bundle", b.dir.string(), sb.new_id("cached")}); };

  Output first = run();
  INFO(first.describe());
  CHECK(first.exit_code == 5);
  std::vector<fs::path> entries = wasm_cache_entries(cache);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].filename().string().find("wasmtime48-") == 0);
  CHECK(fs::status(cache).permissions() == fs::perms::owner_all);
  const auto stored = fs::last_write_time(entries[0]);

  SECTION("a second start loads the entry instead of compiling") {
    Output second = run();
    INFO(second.describe());
    CHECK(second.exit_code == 5);
    CHECK(fs::last_write_time(entries[0]) == stored);
  }
  SECTION("a damaged entry is compiled again and replaced") {
    write_file(entries[0], "not a compiled module");
    Output second = run();
    INFO(second.describe());
    CHECK(second.exit_code == 5);
    CHECK(read_file(entries[0]) != "not a compiled module");
  }
  SECTION("an intact entry the engine refuses is compiled again after Ready, and still runs") {
    // Its digest is right, so the runner trusts it until Wasmtime refuses it.
    const std::string bogus = "not a compiled module";
    Output digest = run_command({{"/usr/bin/sha256sum"}, bogus});
    REQUIRE(digest.exit_code == 0);
    write_file(entries[0], digest.out.substr(0, 64) + bogus);
    Output second = run();
    INFO(second.describe());
    CHECK(second.exit_code == 5);
    CHECK(read_file(entries[0]) == digest.out.substr(0, 64) + bogus);  // nobody listens to a store then
  }
  SECTION("another module gets its own entry") {
    // The same code plus a custom section "abc": other bytes, another digest.
    Bundle other = probe_bundle(sb, {"args"});
    write_file(other.rootfs / "bin/probe.wasm", read_file(WASM_PROBE) + std::string("\0\x04\x03" "abc", 6));
    other.save();
    Output out = sb.skiff({"--wasm-cache", cache.string(), "run", "--bundle", other.dir.string(), sb.new_id("other")});
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(wasm_cache_entries(cache).size() == 2);
  }
  SECTION("the next create sends the entry with the runner's config, found by the module's file") {
    // A symlink named after the module's file (device, inode, size, times)
    // and the compiler names the entry's key.
    std::vector<fs::path> hints;
    for (const auto& entry : fs::directory_iterator(cache))
      if (entry.path().filename().string().rfind("file-", 0) == 0) hints.push_back(entry.path());
    REQUIRE(hints.size() == 1);
    CHECK(hints[0].filename().string().ends_with("-cranelift"));
    CHECK(entries[0].filename().string().rfind(read_link(hints[0]) + "-", 0) == 0);
    SECTION("and the runner takes it") {
      Output second = run();
      INFO(second.describe());
      CHECK(second.exit_code == 5);
      CHECK(fs::last_write_time(entries[0]) == stored);
    }
    SECTION("a copy of the rootfs (another file, the same module) finds the entry and adds no hint") {
      Bundle copy = probe_bundle(sb, {"exit", "6"});
      copy.save();
      Output out = sb.skiff({"--wasm-cache", cache.string(), "run", "--bundle", copy.dir.string(), sb.new_id("copy")});
      INFO(out.describe());
      CHECK(out.exit_code == 6);
      CHECK(wasm_cache_entries(cache).size() == 1);
      size_t hint_count = 0;
      for (const auto& entry : fs::directory_iterator(cache))
        hint_count += entry.path().filename().string().rfind("file-", 0) == 0;
      CHECK(hint_count == 1);
    }
    SECTION("but only under the key of the module it finds: a hint naming another module's entry is not taken") {
      Bundle other = probe_bundle(sb, {"args"});
      write_file(other.rootfs / "bin/probe.wasm", read_file(WASM_PROBE) + std::string("\0\x04\x03" "abc", 6));
      other.save();
      REQUIRE(sb.skiff({"--wasm-cache", cache.string(), "run", "--bundle", other.dir.string(), sb.new_id("other")})
                  .exit_code == 0);
      std::string other_key;
      for (const auto& entry : fs::directory_iterator(cache))
        if (entry.path() != hints[0] && entry.path().filename().string().rfind("file-", 0) == 0)
          other_key = read_link(entry.path());
      REQUIRE(!other_key.empty());
      fs::remove(hints[0]);
      fs::create_symlink(other_key, hints[0]);
      Output second = run();
      INFO(second.describe());
      CHECK(second.exit_code == 5);
      CHECK(second.out.empty());
      // The runner asked for its own entry, and the hint names it again.
      CHECK(entries[0].filename().string().rfind(read_link(hints[0]) + "-", 0) == 0);
    }
  }
}

TEST_CASE("a module the create refuses is never cached, so every create refuses it", "[wasm][badinput]") {
  Sandbox sb;
  const fs::path cache = sb.dir / "wasm-cache";
  Bundle b = probe_bundle(sb, {"args"});
  // A valid, empty module: it compiles, but is no WASI command (no _start).
  write_file(b.rootfs / "bin/probe.wasm", std::string("\0asm\1\0\0\0", 8));
  b.save();
  for (int attempt = 0; attempt < 2; ++attempt) {
    CAPTURE(attempt);
    const std::string id = sb.new_id("nostart");
    Output out = sb.skiff({"--wasm-cache", cache.string(), "run", "--bundle", b.dir.string(), id});
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    CHECK(out.err.find("wasm module /bin/probe.wasm: no \"_start\" function export") != std::string::npos);
    CHECK_NO_LEFTOVERS(sb, id);
  }
  CHECK((!fs::exists(cache) || fs::is_empty(cache)));
}

TEST_CASE("a .wat module in text format runs under a wasm handler", "[wasm]") {
  Sandbox sb;
  Bundle b = sb.bundle({"/app.wat"});
  b.config["annotations"] = {{"run.oci.handler", "wasm-smart"}};
  SECTION("valid text") {
    write_file(b.rootfs / "app.wat",
               "(module\n"
               "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
               "  (memory (export \"memory\") 1)\n"
               "  (func (export \"_start\") (call $exit (i32.const 7))))\n");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 7);
  }
  SECTION("a syntax error fails the create, naming the module") {
    write_file(b.rootfs / "app.wat", "(module (func (export \"_start\") (i32.bogus)))\n");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code != 0);
    CHECK(out.err.find("wasm module /app.wat") != std::string::npos);
  }
  SECTION("a \"_start\" that is no function fails the create, naming the module") {
    write_file(b.rootfs / "app.wat", "(module (global (export \"_start\") i32 (i32.const 0)))\n");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    CHECK(out.err.find("wasm module /app.wat: no \"_start\" function export") != std::string::npos);
  }
  SECTION("an import WASI does not provide fails the create, naming the module") {
    write_file(b.rootfs / "app.wat",
               "(module (import \"env\" \"nowhere\" (func)) (func (export \"_start\")))\n");
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code != 0);
    CHECK(out.err.find("wasm module /app.wat") != std::string::npos);
    CHECK(out.err.find("nowhere") != std::string::npos);
  }
}

TEST_CASE("without its runner a wasm container fails the create, naming both, and leaves nothing",
          "[wasm][badinput]") {
  Sandbox sb;
  Bundle b = probe_bundle(sb, {"args"});
  b.save();
  const std::string id = sb.new_id("norunner");
  const std::string missing = (sb.dir / "nowhere/skiff-wasm").string();
  Output out = sb.skiff({"--wasm-runner", missing, "run", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(trim(out.err) == "skiff: wasm module /bin/probe.wasm: runner " + missing +
                             " not found (built with SKIFF_WASM=OFF?)");
  CHECK(out.out.empty());
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("the wasm runner is the container's pid 1, named after the module, and skiff carries no engine",
          "[wasm]") {
  Sandbox sb;
  Bundle b = probe_bundle(sb, {"sleep", "600"});
  b.save();
  const std::string id = sb.new_id("comm");
  REQUIRE(sb.skiff({"run", "-d", "--bundle", b.dir.string(), id}).exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "running"));
  Output comm = sb.skiff({"exec", id, "cat", "/proc/1/comm"});
  INFO(comm.describe());
  CHECK(comm.out == "probe.wasm\n");
  CHECK(sb.skiff({"kill", id, "KILL"}).exit_code == 0);
  CHECK(sb.wait_for_status(id, "stopped"));
  CHECK(sb.skiff({"delete", id}).exit_code == 0);
  // Wasmtime lives in skiff-wasm only.
  CHECK(read_file(skiff_binary()).find("wasmtime") == std::string::npos);
}

TEST_CASE("the container's memory limit bounds the module's linear memory", "[wasm][memory]") {
  Sandbox sb;
  SECTION("memory.grow past the limit fails and the module carries on") {
    Bundle b = probe_bundle(sb, {"grow", "512"});
    b.config["linux"]["resources"]["memory"]["limit"] = 64 << 20;
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    REQUIRE(out.out.rfind("refused at ", 0) == 0);
    const int mib = std::stoi(out.out.substr(11));
    CHECK(mib <= 64);
    CHECK(mib >= 60);
  }
  SECTION("without a limit the same module grows to 512 MiB") {
    Bundle b = probe_bundle(sb, {"grow", "512"});
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "grew to 512 MiB\n");
  }
  SECTION("a module whose initial memory exceeds the limit fails at start, naming the module") {
    Bundle b = sb.bundle({"/app.wat"});
    b.config["annotations"] = {{"run.oci.handler", "wasm"}};
    b.config["linux"]["resources"]["memory"]["limit"] = 64 << 20;
    write_file(b.rootfs / "app.wat",
               "(module (memory (export \"memory\") 2000) (func (export \"_start\")))\n");  // 125 MiB
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 134);
    CHECK(out.err.find("wasm module /app.wat") != std::string::npos);
    CHECK(out.err.find("memory") != std::string::npos);
  }
}

namespace {

// The largest mapping of a process, in bytes: an instantiated module's linear
// memory is a reservation of 4 GiB or more.
uint64_t largest_mapping(int pid) {
  std::istringstream maps(read_file("/proc/" + std::to_string(pid) + "/maps"));
  uint64_t largest = 0;
  for (std::string line; std::getline(maps, line);) {
    uint64_t start = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    uint64_t end = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
    largest = std::max(largest, end - start);
  }
  return largest;
}

// CPU time of a process so far, in clock ticks (utime + stime).
long cpu_ticks(int pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int index = 3; fields >> field && index <= 15; ++index)
    if (index >= 14) ticks += std::stol(field);
  return ticks;
}

}  // namespace

TEST_CASE("a module is instantiated before start unless it has a start function", "[wasm][lifecycle]") {
  Sandbox sb;
  Bundle b = sb.bundle({"/app.wat"});
  b.config["annotations"] = {{"run.oci.handler", "wasm"}};
  constexpr uint64_t kFourGiB = uint64_t{4} << 30;
  const std::string spin_one_second =
      "(import \"wasi_snapshot_preview1\" \"clock_time_get\" (func $clock (param i32 i64 i32) (result i32)))\n"
      "(memory (export \"memory\") 1)\n"
      "(func $spin (local $start i64)\n"
      "  (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 0)))\n"
      "  (local.set $start (i64.load (i32.const 0)))\n"
      "  (loop $again\n"
      "    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 0)))\n"
      "    (br_if $again (i64.lt_u (i64.sub (i64.load (i32.const 0)) (local.get $start))\n"
      "                            (i64.const 1000000000)))))\n";
  bool has_start_function = GENERATE(false, true);
  CAPTURE(has_start_function);
  // With a start function, the spin runs when the module is instantiated.
  write_file(b.rootfs / "app.wat", "(module\n" + spin_one_second + (has_start_function ? "(start $spin)\n" : "") +
                                       "(func (export \"_start\") " + (has_start_function ? "" : "(call $spin)") +
                                       "))\n");
  b.save();
  const std::string id = sb.new_id("wasminst");
  REQUIRE(sb.skiff({"create", "--bundle", b.dir.string(), id}).exit_code == 0);
  const int pid = sb.state(id).value("pid", 0);
  REQUIRE(pid > 0);
  auto deadline = std::chrono::steady_clock::now() + 500ms;
  while (largest_mapping(pid) < kFourGiB && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(300ms);
  // Created, not started: the module's code has not run (no CPU spent
  // spinning), and only a module without a start function is instantiated.
  CHECK(cpu_ticks(pid) < 15);
  CHECK((largest_mapping(pid) >= kFourGiB) == !has_start_function);
  REQUIRE(sb.skiff({"start", id}).exit_code == 0);
  REQUIRE(sb.wait_for_status(id, "stopped"));
  CHECK(sb.state(id).value("status", "") == "stopped");
  CHECK(sb.skiff({"delete", id}).exit_code == 0);
}
