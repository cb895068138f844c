// Run an OCI bundle in the foreground with libskiff and print its exit code.
//
//   skiff-example BUNDLE [ID] [--root DIR]
//
// The same as `skiff run --bundle BUNDLE ID`, minus the CLI: create + start +
// wait + remove, all through skiff::Runtime.
#include <sys/prctl.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "skiff/skiff.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " BUNDLE [ID] [--root DIR]\n";
    return 2;
  }
  skiff::RuntimeOptions options;
  std::string bundle = argv[1];
  std::string id = "example-" + std::to_string(getpid());
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--root" && i + 1 < argc)
      options.root = argv[++i];
    else
      id = arg;
  }

  // The container's init is our child; become its reaper even if it daemonizes.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  try {
    skiff::Runtime runtime(options);
    skiff::ProcessInfo info = runtime.run(id, {.bundle = bundle}, {});
    std::cout << "container " << id << " exited with code " << info.exit_code << "\n";
    return info.exit_code;
  } catch (const skiff::Error& e) {
    std::cerr << "skiff-example: " << e.what() << "\n";
    return 1;
  }
}
