#include "security/capabilities.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <memory>
#include <vector>

#include "util/error.hpp"

namespace skiff::security {

namespace {

// Names this kernel does not know are skipped (runc warns and goes on); the
// parser already rejected names no kernel knows.
std::vector<cap_value_t> known_caps(const std::vector<std::string>& names) {
  std::vector<cap_value_t> values;
  const cap_value_t last = static_cast<cap_value_t>(cap_max_bits()) - 1;
  for (const auto& name : names) {
    cap_value_t value;
    if (cap_from_name(name.c_str(), &value) == 0 && value <= last) values.push_back(value);
  }
  return values;
}

bool contains(const std::vector<cap_value_t>& values, cap_value_t value) {
  for (cap_value_t v : values)
    if (v == value) return true;
  return false;
}

void set_flag(cap_t caps, cap_flag_t flag, const std::vector<cap_value_t>& values) {
  if (!values.empty() && cap_set_flag(caps, flag, static_cast<int>(values.size()), values.data(), CAP_SET) != 0)
    throw_errno("process.capabilities");
}

}  // namespace

void prepare_capabilities(const oci::Process& process) {
  if (!process.capabilities) return;
  auto bounding = known_caps(process.capabilities->bounding);
  const int bits = static_cast<int>(cap_max_bits());
  for (cap_value_t cap = 0; cap < bits; ++cap) {
    if (contains(bounding, cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      throw_errno("process.capabilities.bounding: dropping " + std::string(cap_to_name(cap)));
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw_errno("process.capabilities: PR_SET_KEEPCAPS");
}

void apply_capabilities(const oci::Process& process) {
  if (!process.capabilities) return;
  const auto& spec = *process.capabilities;
  std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)> caps(cap_init(), cap_free);
  if (!caps) throw_errno("process.capabilities");
  set_flag(caps.get(), CAP_EFFECTIVE, known_caps(spec.effective));
  set_flag(caps.get(), CAP_PERMITTED, known_caps(spec.permitted));
  set_flag(caps.get(), CAP_INHERITABLE, known_caps(spec.inheritable));
  if (cap_set_proc(caps.get()) != 0) throw_errno("process.capabilities: setting effective/permitted/inheritable");
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (cap_value_t cap : known_caps(spec.ambient)) {
    // Ambient needs the cap in permitted and inheritable; runc ignores failures.
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
}

}  // namespace skiff::security
