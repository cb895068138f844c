// Stats for containerd: libskiff's cgroup counters (runc's stats shape) as
// io.containerd.cgroups.v1.Metrics or .v2.Metrics inside a google.protobuf.Any.
#pragma once

#include "google/protobuf/any.pb.h"
#include "skiff/skiff.hpp"

namespace skiff::shim {

google::protobuf::Any metrics_any(const ContainerStats& stats);

}  // namespace skiff::shim
