// Parsing of process.scheduler, process.ioPriority and linux.personality
// into the typed model (spec.hpp). Internal to oci/.
#pragma once

#include <optional>

#include "oci/json_read.hpp"
#include "oci/spec.hpp"

namespace skiff::oci::detail {

std::optional<Scheduler> parse_scheduler(const Node& node);
std::optional<IoPriority> parse_io_priority(const Node& node);
std::optional<Personality> parse_personality(const Node& node);

}  // namespace skiff::oci::detail
