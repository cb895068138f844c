// A module that only prints has its WASI calls answered by skiff-wasm itself
// (src/wasm/wasmtime_direct_wasi.hpp), exactly as Wasmtime's WASI answers
// them, and runs without Wasmtime's tokio runtime. The module is
// tests/integration/wasm/printer.c, built as is (WASM_PRINTER) and with one
// import more (WASM_PRINTER_WASMTIME_FDS), which leaves all its calls to
// Wasmtime.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

Bundle printer_bundle(Sandbox& sb, const char* module, std::vector<std::string> printer_args) {
  std::vector<std::string> args{"/bin/printer.wasm"};
  args.insert(args.end(), printer_args.begin(), printer_args.end());
  Bundle b = sb.bundle(args);
  fs::copy_file(module, b.rootfs / "bin/printer.wasm", fs::copy_options::overwrite_existing);
  return b;
}

// The Threads: line of /proc/<pid>/status, 0 when it cannot be read.
int threads_of(int pid) {
  std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("\nThreads:");
  return at == std::string::npos ? 0 : std::atoi(status.c_str() + at + 9);
}

}  // namespace

TEST_CASE("a module that only prints gets the answers Wasmtime's WASI gives", "[wasm][stdio]") {
  Sandbox sb;
  std::string preopens = GENERATE(std::string(), std::string("guest=/,guest=/tmp:ro"));
  CAPTURE(preopens);
  std::vector<Output> outputs;
  for (const char* module : {WASM_PRINTER, WASM_PRINTER_WASMTIME_FDS}) {
    Bundle b = printer_bundle(sb, module, {"report", "two words", "ünïcode"});
    if (!preopens.empty()) b.config["annotations"]["run.skiff.wasm/preopens"] = preopens;
    // Wasmtime's WASI holds an entry without "=" as NAME and "".
    b.config["process"]["env"] = {"PATH=/bin", "NO_EQUALS", "A=b=c", "EMPTY="};
    outputs.push_back(sb.run(b));
    INFO(outputs.back().describe());
    REQUIRE(outputs.back().exit_code == 0);
  }
  const Output& ours = outputs[0];
  const Output& wasmtime = outputs[1];
  CHECK(ours.out == wasmtime.out);
  CHECK(ours.err == wasmtime.err);

  // What both say (stdio here is pipes, not a tty).
  CHECK(ours.out.find("fdstat 1: errno 0 filetype 0 flags 0 rights 40/40\n") != std::string::npos);
  CHECK(ours.out.find("fdstat 3: errno 0 filetype 3 flags 0 rights 7b7fe00/ff7ffff\n") != std::string::npos);
  const char* fd_4 = preopens.empty() ? "fdstat 4: errno 8 " : "fdstat 4: errno 0 filetype 3 ";
  CHECK(ours.out.find(fd_4) != std::string::npos);
  CHECK(ours.out.find("write 0: errno 8\nwrite 3: errno 8\nab\nthree buffers: errno 0 written 2\n") !=
        std::string::npos);
  CHECK(ours.out.find("seek 1: errno 70 ") != std::string::npos);
  CHECK(ours.out.find("args: errno 0 count 4 bytes 45\n  [0] at +0: /bin/printer.wasm\n  [1] at +18: report\n"
                      "  [2] at +25: two words\n  [3] at +35: ünïcode\n") != std::string::npos);
  CHECK(ours.out.find("environ: errno 0 count 4 bytes 34\n  [0] at +0: PATH=/bin\n  [1] at +10: NO_EQUALS=\n"
                      "  [2] at +21: A=b=c\n  [3] at +27: EMPTY=\n") != std::string::npos);
  CHECK(ours.out.find("clock 0: res errno 0 res 1, time errno 0 since 2020 1 under a minute 0\n"
                      "clock 1: res errno 0 res 1, time errno 0 since 2020 0 under a minute 1\n"
                      "clock 2: res errno 8 res 0, time errno 8 since 2020 0 under a minute 1\n"
                      "clock 3: res errno 8 res 0, time errno 8 since 2020 0 under a minute 1\n") !=
        std::string::npos);
  CHECK(ours.out.find("random: errno 0 nonzero 1\nsched_yield: errno 0, proc_raise: errno 58\n") !=
        std::string::npos);
  CHECK(ours.out.find("close 4: errno " + std::string(preopens.empty() ? "8" : "0") + ", close 0: errno 0\n") !=
        std::string::npos);
  CHECK(ours.err == "to stderr\nafter closing 1: write errno 8, fdstat errno 8\n");
}

TEST_CASE("a module that only prints exits and traps as with Wasmtime's WASI", "[wasm][stdio]") {
  Sandbox sb;
  struct Case {
    std::vector<std::string> args;
    int exit_code;
  };
  for (const Case& c : {Case{{"exit", "0"}, 0}, Case{{"exit", "3"}, 3}, Case{{"exit", "125"}, 125},
                        Case{{"exit", "126"}, 134}, Case{{"bad-clock"}, 134}, Case{{"bad-pointer"}, 134}}) {
    CAPTURE(c.args);
    for (const char* module : {WASM_PRINTER, WASM_PRINTER_WASMTIME_FDS}) {
      CAPTURE(module);
      Output out = sb.run(printer_bundle(sb, module, c.args));
      INFO(out.describe());
      CHECK(out.exit_code == c.exit_code);
      CHECK(out.out.empty());
      // A trap names the module; a proc_exit says nothing.
      CHECK((c.exit_code == 134) == (out.err.find("wasm module /bin/printer.wasm: ") != std::string::npos));
    }
  }
}

TEST_CASE("a module that only prints runs without Wasmtime's worker thread", "[wasm][stdio]") {
  Sandbox sb;
  std::vector<std::string> ids;
  std::vector<int> pids;
  for (const char* module : {WASM_PRINTER, WASM_PRINTER_WASMTIME_FDS}) {
    Bundle b = printer_bundle(sb, module, {"spin", "30"});
    b.save();
    ids.push_back(sb.new_id("printer"));
    Output create = sb.skiff({"create", "--bundle", b.dir.string(), ids.back()});
    INFO(create.describe());
    REQUIRE(create.exit_code == 0);
    REQUIRE(sb.skiff({"start", ids.back()}).exit_code == 0);
    pids.push_back(sb.state(ids.back()).value("pid", 0));
    REQUIRE(pids.back() > 0);
  }
  // Wasmtime's WASI starts its worker at the first fd call (fd_fdstat_get).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (threads_of(pids[1]) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(threads_of(pids[1]) == 2);
  CHECK(threads_of(pids[0]) == 1);
  for (const auto& id : ids) {
    CHECK(sb.skiff({"kill", id, "KILL"}).exit_code == 0);
    CHECK(sb.wait_for_status(id, "stopped"));
    CHECK(sb.skiff({"delete", id}).exit_code == 0);
  }
  for (const auto& id : ids) CHECK_NO_LEFTOVERS(sb, id);
}
