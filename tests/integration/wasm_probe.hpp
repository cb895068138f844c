// A bundle running the probe module (tests/integration/wasm/probe.c, built
// with clang --target=wasm32-wasi as WASM_PROBE), copied to /bin/probe.wasm
// in its rootfs, for the wasm test files.
#pragma once

#include <string>
#include <vector>

#include "integration/harness.hpp"

namespace skiff_test {

inline Bundle probe_bundle(Sandbox& sb, std::vector<std::string> probe_args, fs::perms mode = fs::perms(0755)) {
  std::vector<std::string> args{"/bin/probe.wasm"};
  args.insert(args.end(), probe_args.begin(), probe_args.end());
  Bundle b = sb.bundle(args);
  fs::copy_file(WASM_PROBE, b.rootfs / "bin/probe.wasm", fs::copy_options::overwrite_existing);
  fs::permissions(b.rootfs / "bin/probe.wasm", mode);
  return b;
}

}  // namespace skiff_test
