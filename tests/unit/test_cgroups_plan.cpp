// cgroups, logic only (no cgroup is touched): mountinfo layouts, resource
// plans over fixed file contents, cgroupsPath and saved-state checks, and the
// parsing of stats files.
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroups/cgroup.hpp"
#include "cgroups/files.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/stats.hpp"
#include "skiff/error.hpp"

using namespace skiff::cgroups;
using nlohmann::json;

namespace {

struct FixedProbe : Probe {
  std::map<std::string, std::string> files;
  bool v1_hugetlb = true;
  std::optional<std::string> read(std::string_view, std::string_view file) const override {
    auto it = files.find(std::string(file));
    if (it == files.end()) return std::nullopt;
    return it->second;
  }
  bool has_v1(std::string_view controller) const override {
    return controller != "hugetlb" || v1_hugetlb;
  }
};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// ---- layout ----------------------------------------------------------------

TEST_CASE("mountinfo of a hybrid host gives v1 hierarchies plus cgroup2", "[cgroups]") {
  const char* text =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
      "50 23 0:32 / /mnt/my\\040mem rw,relatime - cgroup cgroup rw,memory\n";
  Layout layout = parse_mountinfo(text);
  CHECK(layout.mode == Mode::Hybrid);
  CHECK(layout.unified.mountpoint == "/sys/fs/cgroup/unified");
  REQUIRE(layout.v1.size() == 3);  // the second memory mount is the same hierarchy
  CHECK(layout.find_v1("cpuacct")->mountpoint == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(layout.find_v1("name=systemd")->mountpoint == "/sys/fs/cgroup/systemd");
  CHECK(layout.find_v1("memory")->controllers == std::vector<std::string>{"memory"});
  CHECK(layout.find_v1("pids") == nullptr);
}

TEST_CASE("mountinfo of unified and legacy hosts, and a host without cgroups", "[cgroups]") {
  Layout unified =
      parse_mountinfo("29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
  CHECK(unified.mode == Mode::Unified);
  CHECK(unified.unified.mountpoint == "/sys/fs/cgroup");
  Layout legacy = parse_mountinfo("32 31 0:29 /x /cg/pids rw - cgroup cgroup rw,pids\n");
  CHECK(legacy.mode == Mode::Legacy);
  CHECK(legacy.v1.at(0).root == "/x");
  CHECK_THROWS_WITH(parse_mountinfo("1 0 0:1 / / rw - ext4 /dev/sda rw\n"),
                    Catch::Contains("no cgroup filesystem is mounted"));
}

TEST_CASE("mountinfo: cgroup mounts hidden by a later mount on them or above are ignored",
          "[cgroups]") {
  const std::string host =
      "23 1 0:21 / /sys rw - sysfs sysfs rw\n"
      "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
  // bench/run: an empty tmpfs over the cgroup2 mount (its parent is the cgroup2 mount).
  Layout covered = parse_mountinfo(host + "90 41 0:90 / /sys/fs/cgroup/unified rw - tmpfs none rw\n");
  CHECK(covered.mode == Mode::Legacy);
  CHECK_FALSE(covered.has_unified);
  CHECK(covered.find_v1("memory") != nullptr);
  // A tmpfs over /sys/fs/cgroup hides every hierarchy below it.
  CHECK_THROWS_WITH(parse_mountinfo(host + "91 31 0:91 / /sys/fs/cgroup rw - tmpfs none rw\n"),
                    Catch::Contains("no cgroup filesystem is mounted"));
  // A cgroup2 mounted on top of the hidden one is what is seen.
  Layout remounted = parse_mountinfo(
      host + "91 31 0:91 / /sys/fs/cgroup rw - tmpfs none rw\n"
             "92 91 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  CHECK(remounted.mode == Mode::Unified);
  CHECK(remounted.unified.mountpoint == "/sys/fs/cgroup");
  // A mount beside the cgroup (not above it) hides nothing.
  Layout beside = parse_mountinfo(host + "93 31 0:93 / /sys/fs/cgroup/other rw - tmpfs none rw\n");
  CHECK(beside.mode == Mode::Hybrid);
}

TEST_CASE("/proc/<pid>/cgroup lines are split into controllers and path", "[cgroups]") {
  auto lines =
      parse_proc_cgroup("4:memory:/a/b\n2:cpuacct,cpu:/\n1:name=systemd:/s\n0::/user.slice\n");
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].path == "/a/b");
  CHECK(lines[1].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(lines[3].controllers.empty());
  CHECK(lines[3].path == "/user.slice");
}

// ---- planning ----------------------------------------------------------------

TEST_CASE("v2 plan: swap is memory+swap minus memory, shares become weight", "[cgroups]") {
  FixedProbe probe;
  json r = {{"memory", {{"limit", 1 << 20}, {"swap", 3 << 20}, {"reservation", -1}}},
            {"cpu", {{"shares", 1024}, {"quota", 50000}, {"period", 100000}}},
            {"pids", {{"limit", -1}}}};
  auto writes = plan_v2(r, probe);
  auto value_of = [&](const std::string& file) {
    for (const auto& w : writes)
      if (w.file == file) return w.value;
    return std::string("(absent)");
  };
  CHECK(value_of("memory.swap.max") == std::to_string(2 << 20));
  CHECK(value_of("memory.max") == std::to_string(1 << 20));
  CHECK(value_of("memory.low") == "max");
  CHECK(value_of("cpu.weight") == "39");
  CHECK(value_of("cpu.max") == "50000 100000");
  CHECK(value_of("pids.max") == "max");
  CHECK(error_of([&] {
          plan_v2({{"memory", {{"swap", 100}}}}, probe);
        }) == "linux.resources.memory.swap: needs memory.limit to be set");
  CHECK(error_of([&] {
          plan_v2({{"unified", {{"../x", "1"}}}}, probe);
        }) == "linux.resources.unified.../x: not a cgroup file the container may set");
}

TEST_CASE("v1 plan: memsw is raised before the limit when growing", "[cgroups]") {
  FixedProbe probe;
  probe.files["memory.limit_in_bytes"] = "1048576\n";
  auto writes = plan_v1({{"memory", {{"limit", 4 << 20}, {"swap", 8 << 20}}}}, probe);
  REQUIRE(writes.size() == 2);
  CHECK(writes[0].file == "memory.memsw.limit_in_bytes");
  CHECK(writes[1].file == "memory.limit_in_bytes");
  CHECK(plan_v1({{"memory", {{"swappiness", -1}}}}, probe).empty());  // unset
  CHECK(plan_v1({{"memory", {{"swappiness", UINT64_MAX}}}}, probe).empty());
  CHECK(plan_v1({{"memory", {{"swappiness", 60}}}}, probe).at(0).file == "memory.swappiness");
  CHECK(plan_v2({{"memory", {{"swappiness", -1}}}}, probe).empty());
  probe.files["memory.limit_in_bytes"] = "99999999999\n";
  writes = plan_v1({{"memory", {{"limit", 4 << 20}, {"swap", 8 << 20}}}}, probe);
  CHECK(writes[0].file == "memory.limit_in_bytes");
}

TEST_CASE("v2 plan: v1-only fields are ignored with a warning, as runc drops them", "[cgroups]") {
  FixedProbe probe;
  json r = {{"memory", {{"limit", 1 << 20}, {"swappiness", 60}}},
            {"blockIO", {{"leafWeight", 300}, {"weightDevice", {{{"major", 8}, {"minor", 0}, {"leafWeight", 10}}}}}},
            {"network", {{"classID", 1048577}}}};
  auto writes = plan_v2(r, probe);
  CHECK(ignored_warnings(writes) ==
        std::vector<std::string>{
            "linux.resources.memory.swappiness: ignored: cgroup v2 has no equivalent",
            "linux.resources.blockIO.leafWeight: ignored: cgroup v2 has no equivalent",
            "linux.resources.blockIO.weightDevice[0].leafWeight: ignored: cgroup v2 has no equivalent",
            "linux.resources.network: ignored: net_cls and net_prio do not exist on cgroup v2"});
  // The limit is still written; nothing ignored is.
  CHECK(std::count_if(writes.begin(), writes.end(), [](const Write& w) { return w.file == "memory.max"; }) == 1);
  CHECK(std::count_if(writes.begin(), writes.end(), [](const Write& w) { return w.ignored.empty(); }) == 1);
  CHECK(ignored_warnings(plan_v1({{"memory", {{"swappiness", 60}}}}, probe)).empty());
}

TEST_CASE("v1 plan: device rules, hugetlb on the hybrid cgroup2, unified refused", "[cgroups]") {
  FixedProbe probe;
  probe.v1_hugetlb = false;
  json r = {{"devices",
             {{{"allow", false}, {"access", "rwm"}},
              {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}}}},
            {"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 1 << 21}}}}};
  auto writes = plan_v1(r, probe);
  REQUIRE(writes.size() == 4);
  CHECK(writes[0].file == "devices.deny");
  CHECK(writes[0].value == "a *:* rwm");  // the spec's own: no implicit reset before it
  CHECK(writes[1].value == "c 1:3 rwm");
  CHECK(writes[2].file == "hugetlb.2MB.max");
  CHECK(writes[2].v2);
  auto only_allow =
      plan_v1({{"devices", {{{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}}}}}, probe);
  REQUIRE(only_allow.size() == 2);
  CHECK(only_allow[0].field == "linux.resources.devices");
  CHECK(only_allow[0].value == "a *:* rwm");
  CHECK(error_of([&] {
          plan_v1({{"unified", {{"memory.high", "1"}}}}, probe);
        }) == "linux.resources.unified: needs cgroup v2, but this host uses cgroup v1 controllers");
  CHECK(error_of([&] {
          plan_v1({{"devices", {{{"allow", true}, {"access", "rwx"}}}}}, probe);
        }) == "linux.resources.devices[0].access: must be letters from \"rwm\", not \"rwx\"");
  CHECK(error_of([&] {
          plan_v1({{"hugepageLimits", {{{"pageSize", "../2MB"}, {"limit", 1}}}}}, probe);
        }) ==
        "linux.resources.hugepageLimits[0].pageSize: expected a size like \"2MB\" or \"1GB\", not "
        "\"../2MB\"");
}

// ---- cgroupsPath -------------------------------------------------------------

TEST_CASE("cgroupsPath: systemd form and escapes are refused", "[cgroups]") {
  CHECK(error_of([] { make_cgroup("system.slice:skiff:abc", "abc"); }) ==
        "linux.cgroupsPath: \"system.slice:skiff:abc\": systemd cgroup driver not supported yet");
  CHECK_THROWS_WITH(make_cgroup("/a/../../b", "abc"), Catch::Contains("must not contain"));
  CHECK_THROWS_WITH(make_cgroup("/", "abc"), Catch::Contains("root cgroup"));
}

// ---- saved state and stats files ------------------------------------------

TEST_CASE("a damaged saved state is refused with the field it lacks", "[cgroups]") {
  CHECK(error_of([] { load_cgroup(json::object()); }) == "cgroup state: missing \"driver\"");
  CHECK(error_of([] { load_cgroup({{"driver", "systemd"}}); }) ==
        "cgroup state: unknown driver \"systemd\"");
  CHECK(error_of([] { load_cgroup({{"driver", "cgroup2"}, {"path", "/x"}}); }) ==
        "cgroup state: mountpoint: missing");
  CHECK_THROWS_WITH(load_cgroup({{"driver", "cgroup1"}, {"hierarchies", {{{"dir", "/x"}}}}}),
                    Catch::StartsWith("cgroup state: hierarchies: "));
}

TEST_CASE("stats: io.stat and v1 blkio lines become runc's blkio entries", "[cgroups]") {
  FixedProbe v2;
  v2.files["io.stat"] = "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n";
  json io = stats_v2(v2)["blkio"];
  INFO(io.dump());
  CHECK(io["ioServiceBytesRecursive"][0] ==
        json({{"major", 8}, {"minor", 0}, {"op", "Read"}, {"value", 4096}}));
  CHECK(io["ioServiceBytesRecursive"][1]["value"] == 8192);
  CHECK(io["ioServicedRecursive"][1] ==
        json({{"major", 8}, {"minor", 0}, {"op", "Write"}, {"value", 2}}));
  FixedProbe v1;
  v1.files["blkio.throttle.io_service_bytes_recursive"] =
      "253:1 Read 512\n253:1 Write 1024\nTotal 1536\n";
  json blkio = stats_v1(v1)["blkio"];
  INFO(blkio.dump());
  REQUIRE(blkio["ioServiceBytesRecursive"].size() == 2);
  CHECK(blkio["ioServiceBytesRecursive"][1] ==
        json({{"major", 253}, {"minor", 1}, {"op", "Write"}, {"value", 1024}}));
}

TEST_CASE("make_dirs creates the missing parents first and undoes them on failure",
          "[cgroups]") {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/skiff-make-dirs-XXXXXX";
  const fs::path base = ::mkdtemp(tmpl);
  const std::string leaf = (base / "a/b/c").string();
  CHECK(skiff::cgroups::make_dirs(leaf) ==
        std::vector<std::string>{(base / "a").string(), (base / "a/b").string(), leaf});
  CHECK(skiff::cgroups::make_dirs(leaf).empty());  // exists already: nothing created

  std::ofstream((base / "file").string()) << "x";  // a control file of that name
  CHECK_THROWS_WITH(skiff::cgroups::make_dirs((base / "file/x").string()),
                    Catch::Contains("creating cgroup") && Catch::Contains("file"));
  // The parent gets created, then the leaf fails (name too long): undone.
  CHECK_THROWS_WITH(skiff::cgroups::make_dirs((base / "new" / std::string(300, 'x')).string()),
                    Catch::Contains("File name too long"));
  CHECK_FALSE(fs::exists(base / "new"));
  fs::remove_all(base);
}
