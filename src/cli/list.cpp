// skiff list: the containers under --root, as runc prints them.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

struct ListArgs {
  std::string format = "table";
  bool quiet = false;
};

std::string table(const std::vector<ContainerState>& states) {
  std::vector<std::vector<std::string>> rows{{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const ContainerState& s : states) {
    rows.push_back({s.id, std::to_string(s.pid), status_name(s.status), s.bundle, s.created, s.owner});
  }
  return format_table(rows);
}

std::string json(const std::vector<ContainerState>& states) {
  auto list = nlohmann::json::array();
  for (const ContainerState& s : states) list.push_back(nlohmann::json::parse(s.to_json()));
  return list.dump() + "\n";
}

}  // namespace

Action add_list(CLI::App& app) {
  auto a = std::make_shared<ListArgs>();
  CLI::App* cmd = app.add_subcommand("list", "lists containers started by skiff with the given root");
  cmd->add_option("-f,--format", a->format, "select one of: table or json (default: \"table\")")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", a->quiet, "display only container IDs");
  return [a](Context& ctx) {
    const std::vector<ContainerState> states = ctx.runtime().list();
    if (a->quiet) {
      for (const ContainerState& s : states) std::cout << s.id << '\n';
    } else {
      std::cout << (a->format == "json" ? json(states) : table(states));
    }
    return 0;
  };
}

}  // namespace skiff::cli
