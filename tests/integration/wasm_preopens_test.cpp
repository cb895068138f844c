// Which directories a wasm module sees: the container's "/" by default, or
// what the annotation run.skiff.wasm/preopens or config.yaml's wasm.preopens
// name (paths in the container), read-only or read-write.
#include <catch2/catch.hpp>

#include "integration/harness.hpp"

using namespace skiff_test;

namespace {

// The probe at /bin/probe.wasm with a data directory at /srv/data.
Bundle data_bundle(Sandbox& sb, std::vector<std::string> probe_args) {
  std::vector<std::string> args{"/bin/probe.wasm"};
  args.insert(args.end(), probe_args.begin(), probe_args.end());
  Bundle b = sb.bundle(args);
  fs::copy_file(WASM_PROBE, b.rootfs / "bin/probe.wasm");
  fs::create_directories(b.rootfs / "srv/data");
  write_file(b.rootfs / "srv/data/file", "data file\n");
  write_file(b.rootfs / "etc/greeting", "hello\n");
  b.config["root"]["readonly"] = false;
  return b;
}

const std::string kAnnotation = "run.skiff.wasm/preopens";

}  // namespace

TEST_CASE("the preopens annotation decides what a module sees", "[wasm][preopens]") {
  Sandbox sb;
  SECTION("a read-only directory under another name, and nothing else") {
    Bundle b = data_bundle(sb, {"cat", "/data/file"});
    b.config["annotations"][kAnnotation] = "guest=/data:dir=/srv/data:ro";
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "data file\n");

    b.set_args({"/bin/probe.wasm", "cat", "/etc/greeting"});
    Output outside = sb.run(b);
    INFO(outside.describe());
    CHECK(outside.exit_code == 1);
    CHECK(outside.err == "/etc/greeting: Capabilities insufficient\n");  // WASI's ENOTCAPABLE

    b.set_args({"/bin/probe.wasm", "write", "/data/new", "text"});
    Output write = sb.run(b);
    INFO(write.describe());
    CHECK(write.exit_code == 1);
    CHECK(write.err == "/data/new: Operation not permitted\n");
    CHECK(!fs::exists(b.rootfs / "srv/data/new"));
  }
  SECTION("read-write by default, dir defaulting to guest") {
    Bundle b = data_bundle(sb, {"write", "/srv/data/new", "written"});
    b.config["annotations"][kAnnotation] = "guest=/srv/data";
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(read_file(b.rootfs / "srv/data/new") == "written");
  }
  SECTION("an empty value preopens nothing") {
    Bundle b = data_bundle(sb, {"cat", "/etc/greeting"});
    b.config["annotations"][kAnnotation] = "";
    Output out = sb.run(b);
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    CHECK(out.err == "/etc/greeting: Capabilities insufficient\n");
  }
}

TEST_CASE("a bad preopens annotation fails the create, naming it, and leaves nothing",
          "[wasm][preopens][badinput]") {
  Sandbox sb;
  Bundle b = data_bundle(sb, {"args"});
  std::string value, expected;
  SECTION("a relative guest") {
    value = "guest=data:dir=/srv/data";
    expected = "annotation run.skiff.wasm/preopens, entry 1 \"guest=data:dir=/srv/data\": guest \"data\" is not an absolute path";
  }
  SECTION("an unknown field") {
    value = "guest=/a,guest=/data:dir=/srv/data:rx";
    expected = "annotation run.skiff.wasm/preopens, entry 2 \"guest=/data:dir=/srv/data:rx\": unknown or repeated field \"rx\" (expected guest=GUEST[:dir=DIR][:ro|:rw])";
  }
  SECTION("a guest twice") {
    value = "guest=/data,guest=/data:dir=/srv/data";
    expected = "annotation run.skiff.wasm/preopens: guest \"/data\" appears twice";
  }
  SECTION("a dir that does not exist in the container") {
    value = "guest=/data:dir=/srv/nowhere";
    expected = "wasm module /bin/probe.wasm: preopen /data: directory /srv/nowhere in the container: No such file or directory";
  }
  b.config["annotations"][kAnnotation] = value;
  b.save();
  const std::string id = sb.new_id("badpreopen");
  Output out = sb.skiff({"run", "--bundle", b.dir.string(), id});
  INFO(out.describe());
  CHECK(out.exit_code == 1);
  CHECK(trim(out.err) == "skiff: " + expected);
  CHECK(out.out.empty());
  CHECK_NO_LEFTOVERS(sb, id);
}

TEST_CASE("config.yaml sets the default preopens; the annotation and flags win over it",
          "[wasm][preopens][config]") {
  Sandbox sb;
  const fs::path config = sb.dir / "config.yaml";
  write_file(config,
             "wasm:\n"
             "  runner: /nowhere/skiff-wasm\n"
             "  preopens:\n"
             "    - guest: /data\n"
             "      dir: /srv/data\n"
             "      readonly: true\n");
  Bundle b = data_bundle(sb, {"cat", "/data/file"});
  SECTION("the file's preopens apply (its runner loses to --wasm-runner)") {
    b.save();
    Output out = sb.skiff({"--config", config.string(), "run", "--bundle", b.dir.string(), sb.new_id("cfg")});
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "data file\n");
  }
  SECTION("the annotation wins over the file") {
    b.set_args({"/bin/probe.wasm", "cat", "/etc/greeting"});
    b.config["annotations"][kAnnotation] = "guest=/";
    b.save();
    Output out = sb.skiff({"--config", config.string(), "run", "--bundle", b.dir.string(), sb.new_id("cfg")});
    INFO(out.describe());
    CHECK(out.exit_code == 0);
    CHECK(out.out == "hello\n");
  }
  SECTION("without the flag, the file's runner is used") {
    b.save();
    const std::string id = sb.new_id("cfg");
    Output out = run_command({.argv = {skiff_binary(), "--root", sb.root.string(), "--config", config.string(),
                                       "run", "--bundle", b.dir.string(), id}});
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    CHECK(trim(out.err) ==
          "skiff: wasm module /bin/probe.wasm: runner /nowhere/skiff-wasm not found (built with SKIFF_WASM=OFF?)");
    CHECK_NO_LEFTOVERS(sb, id);
  }
  SECTION("a bad file fails every command, naming the file, line and key") {
    write_file(config, "wasm:\n  preopens:\n    - guest: /data\n      mode: ro\n");
    Output out = sb.skiff({"--config", config.string(), "list"});
    INFO(out.describe());
    CHECK(out.exit_code == 1);
    CHECK(trim(out.err) == "skiff: config " + config.string() + ", line 4: wasm.preopens[0].mode: unknown key");
  }
}
