// Small helpers shared by the commands.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {

namespace {

void check_count(const CLI::App& command, bool ok, const char* how, std::size_t n) {
  if (ok) return;
  throw UsageError("\"" + command.get_name() + "\" requires " + how + " " + std::to_string(n) + " argument(s)");
}

}  // namespace

void require_exactly(const CLI::App& command, const std::vector<std::string>& args, std::size_t n) {
  check_count(command, args.size() == n, "exactly", n);
}

void require_min(const CLI::App& command, const std::vector<std::string>& args, std::size_t n) {
  check_count(command, args.size() >= n, "a minimum of", n);
}

void require_max(const CLI::App& command, const std::vector<std::string>& args, std::size_t n) {
  check_count(command, args.size() <= n, "a maximum of", n);
}

CLI::Option* add_args(CLI::App& command, std::vector<std::string>& args, const std::string& name,
                      const std::string& description) {
  // Counts are checked by the command itself, to word errors like runc.
  return command.add_option(name, args, description)->type_name("");
}

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  // text/tabwriter.NewWriter(out, 12, 1, 3, ' ', 0) as runc uses it.
  constexpr std::size_t min_width = 12;
  constexpr std::size_t padding = 3;
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (row.size() > widths.size() + 1) widths.resize(row.size() - 1, 0);
    for (std::size_t c = 0; c + 1 < row.size(); ++c) {
      widths[c] = std::max({widths[c], min_width, row[c].size() + padding});
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out.append(widths[c] - row[c].size(), ' ');
    }
    out += '\n';
  }
  return out;
}

std::string absolute_path(const std::string& path) {
  return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace skiff::cli
