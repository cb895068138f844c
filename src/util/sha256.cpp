#include "util/sha256.hpp"

// The one-shot digest of libcrypto's own SHA-256 code (SHA-NI or AVX2 where
// the CPU has them, ~10x our former portable loop). Not EVP: that path
// initialises OpenSSL's library context, which reads openssl.cnf (inside a
// container, the container's) and may load providers.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace skiff {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof digest);
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

}  // namespace skiff
