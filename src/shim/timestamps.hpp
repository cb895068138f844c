// google.protobuf.Timestamp helpers.
#pragma once

#include <time.h>

#include "google/protobuf/any.pb.h"

namespace skiff::shim {

inline google::protobuf::Timestamp to_timestamp(const timespec& when) {
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(when.tv_sec);
  stamp.set_nanos(static_cast<int32_t>(when.tv_nsec));
  return stamp;
}

inline google::protobuf::Timestamp now_timestamp() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return to_timestamp(now);
}

}  // namespace skiff::shim
