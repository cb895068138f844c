// SHA-256 (FIPS 180-4), for content digests (the wasm compile cache, shim
// socket names), from OpenSSL's libcrypto. Binaries that never digest (the
// static skiff CLI) do not link it.
#pragma once

#include <string>
#include <string_view>

namespace skiff {

// Lower-case hex digest of data.
std::string sha256_hex(std::string_view data);

}  // namespace skiff
