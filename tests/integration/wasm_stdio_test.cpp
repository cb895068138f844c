// A module that only prints has its fd calls answered by skiff-wasm itself
// (src/wasm/wasmtime_stdio.hpp), exactly as Wasmtime's WASI answers them,
// and runs without Wasmtime's tokio runtime. The module is
// tests/integration/wasm/printer.c, built as is (WASM_PRINTER) and with one
// import more (WASM_PRINTER_WASMTIME_FDS), which leaves its fd calls to
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
    Bundle b = printer_bundle(sb, module, {"report"});
    if (!preopens.empty()) b.config["annotations"]["run.skiff.wasm/preopens"] = preopens;
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
  CHECK(ours.out.find("close 4: errno " + std::string(preopens.empty() ? "8" : "0") + ", close 0: errno 0\n") !=
        std::string::npos);
  CHECK(ours.err == "to stderr\nafter closing 1: write errno 8, fdstat errno 8\n");
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
