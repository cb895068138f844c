// Helpers shared by the v1 and v2 resource planners (internal).
#pragma once

#include <string>
#include <vector>

#include "cgroups/resources.hpp"

namespace skiff::cgroups::plan {

// Collects writes in the order the kernel needs them.
class Plan {
 public:
  void add(std::string field, std::string controller, std::string file, std::string value) {
    writes_.push_back({std::move(field), std::move(controller), std::move(file), std::move(value)});
  }
  // A field this cgroup version has no file for: a warning, not an error.
  void ignore(std::string field, std::string why) {
    writes_.push_back({std::move(field), "", "", "", false, false, std::move(why)});
  }
  Write& last() { return writes_.back(); }
  std::vector<Write> take() { return std::move(writes_); }

 private:
  std::vector<Write> writes_;
};

// "-1" style limits: negative means unlimited ("max" on v2).
inline std::string limit_v2(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

// "major:minor" of a blockIO device entry; both are required.
std::string device_number(const Field& item);

// Each entry of a blockIO throttle list: field name, v1 file, v2 io.max key.
struct Throttle {
  const char* field;
  const char* v1_file;
  const char* v2_key;
};
inline constexpr Throttle kThrottles[] = {
    {"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
    {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
    {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
    {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"},
};

// hugepageLimits[i].pageSize, validated ("2MB", "1GB", "64KB").
std::string page_size(const Field& item);

// rdma: {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}} -> rdma.max lines.
void add_rdma(Plan& plan, const Field& resources);

}  // namespace skiff::cgroups::plan
