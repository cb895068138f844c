// The build information the Go linker puts in every Go binary (section
// .go.buildinfo, Go 1.18+ layout): the shim reads containerd's, named by
// -publish-binary, to tell containerd 2.0-2.2 (which take a JSON start answer
// with task API v3) from 1.6/1.7 (which refuse version 3), since both send
// the same start input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff::shim {

// The main package path ("github.com/containerd/containerd/v2/cmd/containerd")
// from the contents of a .go.buildinfo section; nullopt when it is not one
// (or the pre-1.18 pointer layout).
std::optional<std::string> go_main_package_from_section(std::string_view section);

// The same from an ELF file; nullopt when the file cannot be read, is not an
// ELF file or has no Go build information.
std::optional<std::string> go_main_package(const std::string& path);

}  // namespace skiff::shim
