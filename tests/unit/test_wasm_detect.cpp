// Which entrypoints run on the wasm engine (src/wasm/detect.hpp).
#include <catch2/catch.hpp>

#include "wasm/detect.hpp"

using skiff::wasm::Handler;
using skiff::wasm::handler_from_annotations;
using skiff::wasm::is_pod_sandbox;
using skiff::wasm::runs_as_wasm;

namespace {
const std::string kWasm("\0asm", 4);
const std::string kElf("\x7f" "ELF", 4);
}  // namespace

TEST_CASE("crun's handler annotations", "[wasm]") {
  CHECK(handler_from_annotations({}) == Handler::None);
  CHECK(handler_from_annotations({{"run.oci.handler", "wasm"}}) == Handler::Wasm);
  CHECK(handler_from_annotations({{"run.oci.handler", "wasm-smart"}}) == Handler::Smart);
  CHECK(handler_from_annotations({{"module.wasm.image/variant", "compat"}}) == Handler::Wasm);
  CHECK(handler_from_annotations({{"module.wasm.image/variant", "compat-smart"}}) == Handler::Smart);
  // Another runtime's handler is not ours.
  CHECK(handler_from_annotations({{"run.oci.handler", "krun"}}) == Handler::None);
  CHECK(handler_from_annotations({{"org.example", "wasm"}}) == Handler::None);
}

TEST_CASE("without annotations the magic bytes decide", "[wasm]") {
  CHECK(runs_as_wasm(Handler::None, "/app", kWasm + "\1\0"));
  CHECK_FALSE(runs_as_wasm(Handler::None, "/app.wasm", kElf));
  CHECK_FALSE(runs_as_wasm(Handler::None, "/app.wasm", "#!/bin/sh"));
  CHECK_FALSE(runs_as_wasm(Handler::None, "/app.wat", "(module)"));
  CHECK_FALSE(runs_as_wasm(Handler::None, "/app", ""));
  CHECK_FALSE(runs_as_wasm(Handler::None, "/app", std::string("\0as", 3)));
}

TEST_CASE("wasm handlers: -smart only for .wasm/.wat, ELF and #! always native", "[wasm]") {
  CHECK(runs_as_wasm(Handler::Wasm, "/app", "(mod"));
  CHECK(runs_as_wasm(Handler::Wasm, "/app", kWasm));
  CHECK_FALSE(runs_as_wasm(Handler::Wasm, "/app", kElf));
  CHECK_FALSE(runs_as_wasm(Handler::Wasm, "/app", "#!/b"));
  CHECK(runs_as_wasm(Handler::Smart, "/app.wasm", kWasm));
  CHECK(runs_as_wasm(Handler::Smart, "hello.wat", "(mod"));
  CHECK_FALSE(runs_as_wasm(Handler::Smart, "sh", kElf));
  CHECK_FALSE(runs_as_wasm(Handler::Smart, "/app", "(mod"));
  // The magic alone still counts, as without annotations.
  CHECK(runs_as_wasm(Handler::Smart, "/app", kWasm));
}

TEST_CASE("a CRI pod sandbox is recognised", "[wasm]") {
  CHECK(is_pod_sandbox({{"io.kubernetes.cri.container-type", "sandbox"}}));
  CHECK_FALSE(is_pod_sandbox({{"io.kubernetes.cri.container-type", "container"}}));
  CHECK_FALSE(is_pod_sandbox({}));
}
