// Helpers shared by the spec tests: a minimal valid document and the error
// a document or a text fails with.
#pragma once

#include <string>

#include "oci/spec.hpp"
#include "skiff/skiff.hpp"

namespace spec_test {

// A minimal valid document to mutate.
inline nlohmann::json minimal() {
  return nlohmann::json::parse(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
    "process": {"args": ["sh"], "cwd": "/"},
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}})");
}

inline std::string error_of_text(const std::string& text) {
  try {
    skiff::oci::parse_spec(text);
  } catch (const skiff::Error& e) {
    return e.what();
  }
  return "(no error)";
}

inline std::string error_of(const nlohmann::json& doc) { return error_of_text(doc.dump()); }

}  // namespace spec_test
