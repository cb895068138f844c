#include "wasm/detect.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "util/fd.hpp"

namespace skiff::wasm {

namespace {

constexpr std::string_view kHandlerAnnotation = "run.oci.handler";
constexpr std::string_view kVariantAnnotation = "module.wasm.image/variant";
constexpr std::string_view kWasmMagic{"\0asm", 4};

struct HandlerName {
  std::string_view annotation;
  std::string_view value;
  Handler handler;
};

constexpr HandlerName kHandlerNames[] = {
    {kHandlerAnnotation, "wasm", Handler::Wasm},
    {kHandlerAnnotation, "wasm-smart", Handler::Smart},
    {kVariantAnnotation, "compat", Handler::Wasm},
    {kVariantAnnotation, "compat-smart", Handler::Smart},
};

Handler handler_named(std::string_view annotation, const std::string& value) {
  for (const auto& name : kHandlerNames)
    if (name.annotation == annotation && name.value == value) return name.handler;
  return Handler::None;  // another runtime's handler (crun's krun...): not ours
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool native_head(std::string_view head) {
  return head.starts_with("\x7f" "ELF") || head.starts_with("#!");
}

}  // namespace

Handler handler_from_annotations(const std::map<std::string, std::string>& annotations) {
  for (auto key : {kHandlerAnnotation, kVariantAnnotation}) {
    auto it = annotations.find(std::string(key));
    if (it != annotations.end()) return handler_named(key, it->second);
  }
  return Handler::None;
}

bool is_pod_sandbox(const std::map<std::string, std::string>& annotations) {
  auto it = annotations.find("io.kubernetes.cri.container-type");
  return it != annotations.end() && it->second == "sandbox";
}

bool wasm_by_annotation(Handler handler, std::string_view args0) {
  if (handler == Handler::Wasm) return true;
  return handler == Handler::Smart && (ends_with(args0, ".wasm") || ends_with(args0, ".wat"));
}

bool runs_as_wasm(Handler handler, std::string_view args0, std::string_view head) {
  if (native_head(head)) return false;
  return wasm_by_annotation(handler, args0) || head.starts_with(kWasmMagic);
}

bool looks_like_wasm(Handler handler, std::string_view args0) {
  return handler == Handler::Wasm || ends_with(args0, ".wasm") || ends_with(args0, ".wat");
}

std::string read_head(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return {};
  char buffer[4];
  ssize_t n;
  do {
    n = ::read(fd.get(), buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

}  // namespace skiff::wasm
