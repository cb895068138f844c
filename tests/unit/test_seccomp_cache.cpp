// The compiled-seccomp cache: an entry round-trips, a different key or a
// damaged entry is a miss, and a cached compile equals a fresh one.
#include <linux/filter.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "oci/spec.hpp"
#include "security/seccomp.hpp"
#include "security/seccomp_cache.hpp"

using nlohmann::json;
namespace fs = std::filesystem;
namespace sec = skiff::security;

namespace {

const json kProfile = {
    {"defaultAction", "SCMP_ACT_ERRNO"},
    {"syscalls",
     {{{"names", {"read", "write", "exit_group", "no_such_call"}}, {"action", "SCMP_ACT_ALLOW"}},
      {{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}}}}};

skiff::oci::Seccomp parsed(const json& seccomp) {
  json doc = {
      {"ociVersion", "1.2.0"}, {"root", {{"path", "rootfs"}}}, {"linux", {{"seccomp", seccomp}}}};
  return *skiff::oci::parse_spec(doc.dump()).linux->seccomp;
}

bool same_program(const sec::SeccompProgram& a, const sec::SeccompProgram& b) {
  return a.flags == b.flags && a.notify == b.notify && a.warnings == b.warnings &&
         a.instructions.size() == b.instructions.size() &&
         std::memcmp(a.instructions.data(), b.instructions.data(),
                     a.instructions.size() * sizeof(sock_filter)) == 0;
}

struct CacheDir {
  fs::path path;
  CacheDir() {
    char tmpl[] = "/tmp/skiff-seccomp-cache-XXXXXX";
    path = fs::path(::mkdtemp(tmpl)) / ".seccomp-cache";
  }
  ~CacheDir() { fs::remove_all(path.parent_path()); }
  size_t entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(path)) ++n;
    return n;
  }
  fs::path only_entry() const { return fs::directory_iterator(path)->path(); }
};

}  // namespace

TEST_CASE("seccomp cache: an entry round-trips only under its own key", "[seccomp]") {
  sec::SeccompProgram program = sec::compile_seccomp(parsed(kProfile));
  std::string entry = sec::cache_entry("key A", program);
  auto back = sec::program_from_entry(entry, "key A");
  REQUIRE(back);
  CHECK(same_program(*back, program));
  CHECK_FALSE(sec::program_from_entry(entry, "key B"));
  CHECK_FALSE(sec::program_from_entry(entry.substr(0, entry.size() - 1), "key A"));
  CHECK_FALSE(sec::program_from_entry(entry + "x", "key A"));
  CHECK_FALSE(sec::program_from_entry("", "key A"));
}

TEST_CASE("seccomp cache: a second compile comes from the cache and equals a fresh one",
          "[seccomp]") {
  CacheDir cache;
  const auto profile = parsed(kProfile);
  auto fresh = sec::compile_seccomp(profile);
  auto first = sec::compile_seccomp_cached(profile, kProfile.dump(), cache.path);
  REQUIRE(cache.entries() == 1);
  struct stat st {};
  REQUIRE(::stat(cache.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  auto second = sec::compile_seccomp_cached(profile, kProfile.dump(), cache.path);
  CHECK(same_program(first, fresh));
  CHECK(same_program(second, fresh));
  CHECK(second.warnings.size() == 1);  // no_such_call: still reported on a hit

  // A damaged entry is a miss, compiled and rewritten.
  std::ofstream(cache.only_entry(), std::ios::binary | std::ios::trunc) << "garbage";
  CHECK(same_program(sec::compile_seccomp_cached(profile, kProfile.dump(), cache.path), fresh));
  CHECK(fs::file_size(cache.only_entry()) > 100);
}

TEST_CASE("seccomp cache: entries others can write are ignored, bad profiles not cached",
          "[seccomp]") {
  CacheDir cache;
  const auto profile = parsed(kProfile);
  auto fresh = sec::compile_seccomp(profile);
  sec::compile_seccomp_cached(profile, kProfile.dump(), cache.path);
  // Someone else's program under our key: used from a file only we can
  // write, ignored from one anyone may write.
  std::string stored = [&] {
    std::ifstream in(cache.only_entry(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  uint64_t key_size = 0;
  std::memcpy(&key_size, stored.data(), sizeof key_size);
  const std::string key = stored.substr(sizeof key_size, key_size);
  json other = kProfile;
  other["defaultAction"] = "SCMP_ACT_ALLOW";
  auto foreign = sec::compile_seccomp(parsed(other));
  std::ofstream(cache.only_entry(), std::ios::binary | std::ios::trunc)
      << sec::cache_entry(key, foreign);
  CHECK(same_program(sec::compile_seccomp_cached(profile, kProfile.dump(), cache.path), foreign));
  std::ofstream(cache.only_entry(), std::ios::binary | std::ios::trunc)
      << sec::cache_entry(key, foreign);
  REQUIRE(::chmod(cache.only_entry().c_str(), 0666) == 0);
  CHECK(same_program(sec::compile_seccomp_cached(profile, kProfile.dump(), cache.path), fresh));

  json bad = kProfile;
  bad["syscalls"][1]["errnoRet"] = 70000;  // parses; the compile refuses it
  CacheDir empty;
  const auto bad_profile = parsed(bad);
  CHECK_THROWS_WITH(sec::compile_seccomp_cached(bad_profile, bad.dump(), empty.path),
                    Catch::Contains("linux.seccomp.syscalls[1].errnoRet"));
  CHECK(empty.entries() == 0);
}
