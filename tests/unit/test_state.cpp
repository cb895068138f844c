// The container state store: what save writes, load reads back.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <regex>

#include "runtime/state.hpp"

namespace fs = std::filesystem;
using skiff::runtime::SavedState;
using skiff::runtime::StateStore;

namespace {

struct TempRoot {
  fs::path path = fs::temp_directory_path() / ("skiff-state-test-" + std::to_string(::getpid()));
  TempRoot() { fs::create_directories(path); }
  ~TempRoot() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("rfc3339_now is the current UTC time with nanoseconds", "[state]") {
  std::time_t before = std::time(nullptr);
  std::string now = skiff::runtime::rfc3339_now();
  std::time_t after = std::time(nullptr);
  INFO(now);
  REQUIRE(std::regex_match(now, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z)")));
  std::tm utc{};
  ::strptime(now.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::time_t parsed = ::timegm(&utc);
  CHECK(parsed >= before);
  CHECK(parsed <= after);
}

TEST_CASE("a saved state loads back with its config and cgroup", "[state]") {
  TempRoot root;
  StateStore store(root.path.string());
  store.create_dir("c1");
  SavedState saved;
  saved.id = "c1";
  saved.pid = 42;
  saved.start_time = 1234;
  saved.bundle = "/b";
  saved.rootfs = "/b/rootfs";
  saved.created = skiff::runtime::rfc3339_now();
  saved.owner = "root";
  saved.annotations = {{"a", "\"quoted\""}};
  saved.cgroup = {{"driver", "cgroup2"}, {"dir", "/sys/fs/cgroup/c1"}};
  saved.config = {{"ociVersion", "1.2.0"}, {"process", {{"args", {"sh", "-c", "echo \"}\""}}}}};
  saved.use_terminal = true;
  store.save(saved);

  SavedState loaded = store.load("c1");
  CHECK(loaded.pid == 42);
  CHECK(loaded.start_time == 1234);
  CHECK(loaded.bundle == "/b");
  CHECK(loaded.created == saved.created);
  CHECK(loaded.annotations == saved.annotations);
  CHECK(loaded.cgroup == saved.cgroup);
  CHECK(loaded.config == saved.config);
  CHECK(loaded.use_terminal);
  store.remove_dir("c1");
  CHECK_FALSE(fs::exists(root.path / "c1"));
}
