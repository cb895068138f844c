#include "cgroups/plan.hpp"

#include <algorithm>
#include <cctype>

#include "util/error.hpp"

namespace skiff::cgroups::plan {

std::string device_number(const Field& item) {
  auto major = item.int64("major");
  auto minor = item.int64("minor");
  if (!major || *major < 0) throw_error(item.path("major"), "required (a device major number)");
  if (!minor || *minor < 0) throw_error(item.path("minor"), "required (a device minor number)");
  return std::to_string(*major) + ":" + std::to_string(*minor);
}

std::string page_size(const Field& item) {
  auto size = item.string("pageSize");
  if (!size) throw_error(item.path("pageSize"), "required");
  // digits followed by KB, MB or GB: it becomes part of a file name.
  auto digits =
      std::find_if_not(size->begin(), size->end(), [](unsigned char c) { return std::isdigit(c); });
  std::string unit(digits, size->end());
  if (digits == size->begin() || (unit != "KB" && unit != "MB" && unit != "GB"))
    throw_error(item.path("pageSize"),
                "expected a size like \"2MB\" or \"1GB\", not \"" + *size + "\"");
  return *size;
}

void add_rdma(Plan& plan, const Field& resources) {
  auto rdma = resources.object("rdma");
  if (!rdma) return;
  for (const auto& device : rdma->keys()) {
    auto limits = rdma->object(device);
    if (!limits || device.empty() || device.find_first_of(" \n") != std::string::npos)
      throw_error(rdma->path(device), "expected an object for an RDMA device name");
    std::string line = device;
    for (auto [key, name] :
         {std::pair{"hcaHandles", "hca_handle"}, std::pair{"hcaObjects", "hca_object"}}) {
      auto n = limits->uint64(key);
      line += std::string(" ") + name + "=" + (n ? std::to_string(*n) : "max");
    }
    plan.add(limits->path(), "rdma", "rdma.max", line);
  }
}

}  // namespace skiff::cgroups::plan
