// The start action's input: containerd 2.3+'s BootstrapParams against the
// legacy stdin (nothing, or runtime options as a google.protobuf.Any).
#include <catch2/catch.hpp>
#include <string>

#include "shim/go_buildinfo.hpp"
#include "shim/manager.hpp"

using skiff::shim::ShimFlags;

namespace {

ShimFlags flags_for(const std::string& id, const std::string& ns) {
  ShimFlags flags;
  flags.address = "/run/containerd/containerd.sock";
  flags.id = id;
  flags.ns = ns;
  return flags;
}

std::string length_delimited(int field, const std::string& data) {
  return std::string(1, static_cast<char>(field << 3 | 2)) + static_cast<char>(data.size()) + data;
}

}  // namespace

TEST_CASE("start reads containerd 2.3's BootstrapParams by containerd's field numbers") {
  // Built by hand as containerd encodes it: instance_id=1, namespace=2,
  // log_level=3 (DEBUG = -4: a ten-byte varint), ttrpc address=5, socket_dir=9.
  std::string wire = length_delimited(1, "c1") + length_delimited(2, "k8s.io") +
                     std::string("\x18\xfc\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11) +
                     length_delimited(5, "/run/containerd/containerd.sock.ttrpc") + length_delimited(9, "/tmp/s");
  auto params = skiff::shim::parse_bootstrap(wire, flags_for("c1", "k8s.io"));
  REQUIRE(params);
  CHECK(params->log_level() == -4);
  CHECK(params->containerd_ttrpc_address() == "/run/containerd/containerd.sock.ttrpc");
  CHECK(params->socket_dir() == "/tmp/s");
}

TEST_CASE("legacy start input is not taken for BootstrapParams") {
  ShimFlags flags = flags_for("c1", "default");
  CHECK_FALSE(skiff::shim::parse_bootstrap("", flags));
  // Runtime options (an Any) parse as BootstrapParams too: the type URL lands
  // in instance_id, which is not our id.
  std::string options = length_delimited(1, "containerd.runc.v1.Options") + length_delimited(2, "\x08\x01");
  CHECK_FALSE(skiff::shim::parse_bootstrap(options, flags));
  CHECK_FALSE(skiff::shim::parse_bootstrap("\xff\xff garbage", flags));
  // Params for another task or namespace are not ours either.
  CHECK_FALSE(skiff::shim::parse_bootstrap(length_delimited(1, "c1") + length_delimited(2, "other"), flags));
}

TEST_CASE("the socket goes to containerd's socket_dir when it names one") {
  ShimFlags flags = flags_for("c1", "default");
  std::string address = skiff::shim::socket_address(flags, "c1", "/tmp/s");
  CHECK(address.rfind("unix:///tmp/s/", 0) == 0);
  CHECK(address.substr(address.rfind('/') + 1) ==
        skiff::shim::socket_address(flags, "c1").substr(std::string("unix:///run/containerd/s/").size()));
}

TEST_CASE("a pod's containers are grouped by CRI's sandbox id, ours first") {
  using skiff::shim::shim_group;
  CHECK(shim_group(R"({"ociVersion": "1.2.0"})", "c1") == "c1");
  CHECK(shim_group(R"({"annotations": {"other": "x"}})", "c1") == "c1");
  CHECK(shim_group(R"({"annotations": {"io.kubernetes.cri.sandbox-id": "pod1"}})", "c1") == "pod1");
  CHECK(shim_group(R"({"annotations": {"io.kubernetes.cri.sandbox-id": "pod1",
                                        "io.containerd.skiff.v2.group": "g"}})", "c1") == "g");
  // The pod's containers get one socket: its address follows the group, not the id.
  ShimFlags c1 = flags_for("c1", "k8s.io");
  ShimFlags c2 = flags_for("c2", "k8s.io");
  CHECK(skiff::shim::socket_address(c1, "pod1") == skiff::shim::socket_address(c2, "pod1"));
  CHECK(skiff::shim::socket_address(c1, "c1") != skiff::shim::socket_address(c2, "c2"));
}

TEST_CASE("a malformed group annotation fails start, naming the field") {
  using skiff::shim::shim_group;
  CHECK_THROWS_WITH(shim_group("{", "c1"), Catch::Contains("config.json: invalid JSON"));
  CHECK_THROWS_WITH(shim_group(R"({"annotations": []})", "c1"), Catch::Contains("annotations: not an object"));
  CHECK_THROWS_WITH(shim_group(R"({"annotations": {"io.kubernetes.cri.sandbox-id": 7}})", "c1"),
                    Catch::Contains("annotations.io.kubernetes.cri.sandbox-id: not a non-empty string"));
  CHECK_THROWS_WITH(shim_group(R"({"annotations": {"io.kubernetes.cri.sandbox-id": ""}})", "c1"),
                    Catch::Contains("io.kubernetes.cri.sandbox-id"));
}

namespace {

// A .go.buildinfo section as the Go 1.18+ linker lays it out: the 14-byte
// magic, pointer size, flags (2: strings inline), padding to 32 bytes, then
// the Go version and the module information, each uvarint-length-prefixed,
// the latter between 16-byte sentinels.
std::string buildinfo_section(const std::string& modinfo_lines) {
  std::string header = std::string("\xff Go buildinf:", 14) + '\x08' + '\x02' + std::string(16, '\0');
  std::string modinfo = std::string(16, 'S') + modinfo_lines + std::string(16, 'E');
  auto prefixed = [](const std::string& s) {
    std::string out;
    for (size_t n = s.size(); ; n >>= 7) {
      out += static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      if (n <= 0x7f) break;
    }
    return out + s;
  };
  return header + prefixed("go1.26.8") + prefixed(modinfo);
}

}  // namespace

TEST_CASE("containerd's Go build information names its main package (2.x: .../containerd/v2/...)") {
  using skiff::shim::go_main_package_from_section;
  std::string deps;
  for (int i = 0; i < 20; ++i) deps += "dep\texample.com/m" + std::to_string(i) + "\tv1.0.0\th1:x=\n";  // > 127 bytes
  auto v2 = go_main_package_from_section(buildinfo_section(
      "path\tgithub.com/containerd/containerd/v2/cmd/containerd\nmod\tgithub.com/containerd/containerd/v2\tv2.2.10\n" +
      deps));
  REQUIRE(v2);
  CHECK(*v2 == "github.com/containerd/containerd/v2/cmd/containerd");
  auto v1 = go_main_package_from_section(buildinfo_section("path\tgithub.com/containerd/containerd/cmd/containerd\n"));
  REQUIRE(v1);
  CHECK(*v1 == "github.com/containerd/containerd/cmd/containerd");
}

TEST_CASE("anything but Go build information gives no package") {
  using skiff::shim::go_main_package_from_section;
  CHECK_FALSE(go_main_package_from_section(""));
  CHECK_FALSE(go_main_package_from_section(std::string(64, 'x')));
  std::string truncated = buildinfo_section("path\tx\n");
  CHECK_FALSE(go_main_package_from_section(truncated.substr(0, truncated.size() - 20)));
  std::string pointer_layout = buildinfo_section("path\tx\n");
  pointer_layout[15] = 0;  // Go < 1.18: pointers, not inline strings
  CHECK_FALSE(go_main_package_from_section(pointer_layout));
  // Our own (C++) test binary and a missing file.
  CHECK_FALSE(skiff::shim::go_main_package("/proc/self/exe"));
  CHECK_FALSE(skiff::shim::go_main_package("/nonexistent/containerd"));
}
