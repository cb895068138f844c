// A blocking one-call ttrpc client: the start action asks a running shim
// (its pod's) for its pid with Connect before handing out its address.
#pragma once

#include <string>

#include "shim/ttrpc.hpp"

namespace skiff::shim {

// Call service/method on the shim listening at socket_path and return the
// response payload. Throws skiff::Error when the socket cannot be reached or
// the answer does not come within timeout_ms, and ttrpc::RpcError with the
// shim's status code when the call fails.
std::string call(const std::string& socket_path, const std::string& service, const std::string& method,
                 const std::string& payload, int timeout_ms = 2000);

}  // namespace skiff::shim
