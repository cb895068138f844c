// Error handling policy for libskiff.
//
// Every fallible operation throws skiff::Error. The message always names the
// object (a JSON field, a path, a container id) and the cause; errno values are
// rendered with strerror, never bare. Callers add context by catching and
// rethrowing with Error::wrap. Nothing in the library prints or exits: the CLI
// and the shim catch at their top level.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>

#include "skiff/error.hpp"

namespace skiff {

// "context: strerror(err)".
[[noreturn]] void throw_errno(std::string_view context, int err = errno);

// "context: message".
[[noreturn]] void throw_error(std::string_view context, std::string_view message);

}  // namespace skiff
