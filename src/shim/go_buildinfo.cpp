#include "shim/go_buildinfo.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "util/fd.hpp"

namespace skiff::shim {

namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr size_t kHeaderSize = 32;
constexpr uint8_t kFlagsVersionInline = 0x2;
constexpr size_t kMaxSection = 1 << 20;

// A uvarint-prefixed string at data[pos]; advances pos.
std::optional<std::string_view> length_prefixed(std::string_view data, size_t& pos) {
  uint64_t length = 0;
  for (int shift = 0; pos < data.size() && shift < 64; shift += 7) {
    auto byte = static_cast<uint8_t>(data[pos++]);
    length |= uint64_t{byte & 0x7fu} << shift;
    if (byte < 0x80) {
      if (length > data.size() - pos) return std::nullopt;
      std::string_view value = data.substr(pos, length);
      pos += length;
      return value;
    }
  }
  return std::nullopt;
}

bool read_at(int fd, void* buffer, size_t size, uint64_t offset) {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

// The bytes of the 64-bit ELF section called `name`.
std::optional<std::string> elf_section(int fd, const char* name) {
  Elf64_Ehdr header{};
  if (!read_at(fd, &header, sizeof header, 0) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_shentsize != sizeof(Elf64_Shdr) ||
      header.e_shstrndx >= header.e_shnum)
    return std::nullopt;
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!read_at(fd, sections.data(), sections.size() * sizeof(Elf64_Shdr), header.e_shoff)) return std::nullopt;
  const Elf64_Shdr& names = sections[header.e_shstrndx];
  if (names.sh_size > kMaxSection) return std::nullopt;
  std::string table(names.sh_size, '\0');
  if (!read_at(fd, table.data(), table.size(), names.sh_offset)) return std::nullopt;
  for (const Elf64_Shdr& section : sections) {
    if (section.sh_name >= table.size() || std::strcmp(table.c_str() + section.sh_name, name) != 0) continue;
    if (section.sh_type == SHT_NOBITS || section.sh_size > kMaxSection) return std::nullopt;
    std::string bytes(section.sh_size, '\0');
    if (!read_at(fd, bytes.data(), bytes.size(), section.sh_offset)) return std::nullopt;
    return bytes;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> go_main_package_from_section(std::string_view section) {
  if (section.size() < kHeaderSize || section.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  if ((static_cast<uint8_t>(section[15]) & kFlagsVersionInline) == 0) return std::nullopt;
  size_t pos = kHeaderSize;
  auto go_version = length_prefixed(section, pos);
  auto modinfo = go_version ? length_prefixed(section, pos) : std::nullopt;
  if (!modinfo) return std::nullopt;
  // Lines "path\t<main package>", "mod\t...", "dep\t..." between 16-byte sentinels.
  std::string_view text = *modinfo;
  if (text.size() >= 33 && text[text.size() - 17] == '\n') text = text.substr(16, text.size() - 32);
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.substr(0, 5) == "path\t") return std::string(line.substr(5));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::optional<std::string> go_main_package(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  auto section = elf_section(fd.get(), ".go.buildinfo");
  return section ? go_main_package_from_section(*section) : std::nullopt;
}

}  // namespace skiff::shim
