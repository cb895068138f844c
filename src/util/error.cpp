#include "util/error.hpp"

#include <cstring>

namespace skiff {

void throw_errno(std::string_view context, int err) {
  std::string message(context);
  message += ": ";
  message += std::strerror(err);
  throw Error(message, err);
}

void throw_error(std::string_view context, std::string_view message) {
  std::string text(context);
  text += ": ";
  text += message;
  throw Error(text);
}

}  // namespace skiff
