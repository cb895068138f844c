// SHA-256 (FIPS 180-4), for content digests (the wasm compile cache). Small
// and dependency-free: the static skiff binary does not link OpenSSL.
#pragma once

#include <string>
#include <string_view>

namespace skiff {

// Lower-case hex digest of data.
std::string sha256_hex(std::string_view data);

}  // namespace skiff
