// containerd-shim-skiff-v2: containerd's runtime v2 shim over libskiff.
//   containerd-shim-skiff-v2 -namespace NS -address ADDR -id ID [-bundle DIR] start|delete
#include <iostream>

#include "shim/manager.hpp"
#include "skiff/skiff.hpp"

int main(int argc, char** argv) {
  try {
    skiff::shim::ShimFlags flags = skiff::shim::parse_flags(argc, argv);
    if (flags.action == "start") return skiff::shim::start_action(flags);
    if (flags.action == "delete") return skiff::shim::delete_action(flags);
    if (flags.action == "version") {
      std::cout << skiff::version_text();
      return 0;
    }
    std::cerr << "containerd-shim-skiff-v2: unknown action \"" << flags.action << "\" (start or delete)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "containerd-shim-skiff-v2: " << e.what() << "\n";
    return 1;
  }
}
