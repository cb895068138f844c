// The one exception type libskiff throws.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace skiff {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int err = 0)
      : std::runtime_error(message), errno_(err) {}

  // Prefix this error with more context: "creating container x: <message>".
  [[nodiscard]] Error wrap(std::string_view context) const {
    return Error(std::string(context) + ": " + what(), errno_);
  }

  // The errno behind the failure, 0 when it did not come from a system call.
  [[nodiscard]] int err() const noexcept { return errno_; }

 private:
  int errno_;
};

}  // namespace skiff
