// Integration test harness: real containers from a busybox rootfs.
//
// The rootfs is built once per test run from Debian's busybox-static
// (/bin/busybox, no network) into a temporary directory. Each test case owns a
// Sandbox: a temporary directory with a private state root (--root) and its
// bundles; its destructor force-deletes what the test left and removes it all.
// Bundles carry their config.json as nlohmann::json, edited by the test and
// then saved. Commands run with captured stdout/stderr, an exit code (128+signal
// when killed, as a shell reports it) and a timeout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "skiff/skiff.hpp"

namespace skiff_test {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

// The skiff binary under test (build/skiff).
const std::string& skiff_binary();

// The wasm runner under test (build/skiff-wasm; "" when not built): every
// skiff command and Runtime of a Sandbox uses it.
const std::string& wasm_runner();

// The shared busybox rootfs template (built on first use, removed at exit).
const fs::path& busybox_rootfs();

// Throws std::runtime_error("<what>: <strerror(errno)>").
[[noreturn]] void fail_errno(const std::string& what);

struct Output {
  int exit_code = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
  bool timed_out = false;

  // A description for failure messages.
  [[nodiscard]] std::string describe() const;
  // stderr without trailing newlines, split into its non-empty lines.
  [[nodiscard]] std::vector<std::string> err_lines() const;
};

struct Command {
  std::vector<std::string> argv;
  std::optional<std::string> input;  // written to stdin, then closed; none: /dev/null
  std::vector<int> fds;              // become fds 3, 4, ... in the child
  std::chrono::milliseconds timeout = 30s;
};

// A process started with captured output; wait() collects it. The destructor
// kills and reaps a process that was never waited for.
class Child {
 public:
  explicit Child(const Command& command);
  Child(Child&& other) noexcept;
  Child& operator=(Child&&) = delete;
  ~Child();

  Output wait();
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::chrono::steady_clock::time_point deadline_;
};

Output run_command(const Command& command);

// An OCI bundle: dir/config.json and its own copy of the busybox rootfs.
class Bundle {
 public:
  Bundle(fs::path dir, std::vector<std::string> args);

  fs::path dir;
  fs::path rootfs;
  json config;

  void save() const;
  void set_args(std::vector<std::string> args);
  void add_namespace(std::string_view type, std::string_view path = {});
  void remove_namespace(std::string_view type);
  [[nodiscard]] bool has_namespace(std::string_view type) const;
  void remove_mounts_of_type(std::string_view type);
  // Bind a host directory (0777) at /out in the container; returns its host path.
  fs::path bind_out();
  // A user namespace mapping container 0..size-1 to host base..; chowns the rootfs.
  void use_user_namespace(uint32_t base = 100000, uint32_t size = 65536);
};

// Per-test-case workspace: temp dir, private --root, cleanup.
class Sandbox {
 public:
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  fs::path dir;   // everything of this test lives here
  fs::path root;  // the --root state directory

  // A fresh container id, unique across concurrent test runs.
  std::string new_id(std::string_view tag = "c");
  // A bundle in dir/<name> running args.
  Bundle bundle(std::vector<std::string> args = {"true"}, std::string_view name = {});

  // `skiff --root <root> ARGS...`
  Output skiff(std::vector<std::string> args, std::optional<std::string> input = {},
               std::chrono::milliseconds timeout = 30s, std::vector<int> fds = {});
  Child skiff_async(std::vector<std::string> args, std::optional<std::string> input = {},
                    std::chrono::milliseconds timeout = 60s, std::vector<int> fds = {});
  // `skiff --root R run --bundle B ID` with stdin from input.
  Output run(const Bundle& bundle, std::optional<std::string> input = {},
             std::chrono::milliseconds timeout = 30s);

  // The state JSON of a container (the test fails if `skiff state` does).
  json state(const std::string& id);
  // Poll `skiff state` until status is reached; false on timeout.
  bool wait_for_status(const std::string& id, std::string_view status,
                       std::chrono::milliseconds timeout = 10s);

  // A Runtime bound to this sandbox's root.
  skiff::Runtime runtime() const;

  // Anything a failed command may have left: state entries, mounts under dir,
  // live processes mentioning the id or this sandbox, cgroup directories named
  // after the id. Empty when clean.
  std::vector<std::string> leftovers(const std::string& id) const;

 private:
  void cleanup();
  int counter_ = 0;
};

// Makes this process a child subreaper for its lifetime (library run/wait).
class SubreaperScope {
 public:
  SubreaperScope();
  ~SubreaperScope();
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;
};

// Small helpers.
std::string read_file(const fs::path& path);
void write_file(const fs::path& path, std::string_view text);
std::string trim(std::string_view text);
std::vector<std::string> split_words(std::string_view text);
// readlink(2), "" on failure.
std::string read_link(const fs::path& path);
// Mount points of /proc/self/mountinfo under prefix.
std::vector<std::string> mounts_under(const fs::path& prefix);
// Seconds of /proc/uptime (first field).
double host_uptime();
// The compiled modules in a wasm compile cache directory (not the
// file-... hints beside them), none when it does not exist.
std::vector<fs::path> wasm_cache_entries(const fs::path& cache);

}  // namespace skiff_test

// CHECK that a container left nothing behind, listing what it left if it did.
#define CHECK_NO_LEFTOVERS(sandbox, id)           \
  do {                                            \
    auto leftovers_ = (sandbox).leftovers(id);    \
    CAPTURE(leftovers_);                          \
    CHECK(leftovers_.empty());                    \
  } while (false)

