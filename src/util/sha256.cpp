#include "util/sha256.hpp"

// libcrypto's own SHA-256 code (SHA-NI or AVX2 where the CPU has them, ~10x
// our former portable loop), through the low-level calls. Not EVP, nor the
// one-shot SHA256(), which is EVP in OpenSSL 3: that path initialises the
// library context, which reads openssl.cnf (in a container, the
// container's), may load providers, and cost the runner ~140 page faults.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace skiff {

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, data.data(), data.size());
  SHA256_Final(digest, &context);
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
