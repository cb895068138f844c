// Help: `skiff help [command]` (runc has it) and a formatter whose usage line
// reads like runc's ("skiff kill [OPTIONS] container-id [signal]").
#include <iostream>
#include <memory>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

class Formatter : public CLI::Formatter {
 public:
  // Our positionals are one collector named after what it holds.
  std::string make_option_usage(const CLI::Option* opt) const override {
    return opt->get_positional() ? opt->get_name() : CLI::Formatter::make_option_usage(opt);
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    return opt->get_positional() ? std::string() : CLI::Formatter::make_option_opts(opt);
  }
};

}  // namespace

void use_help_formatter(CLI::App& app) {
  auto formatter = std::make_shared<Formatter>();
  formatter->column_width(36);
  app.formatter(formatter);
}

Action add_help(CLI::App& app) {
  auto topic = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("help", "shows a list of commands or help for one command");
  cmd->alias("h");
  add_args(*cmd, *topic, "[command]", "the command to describe");
  return [topic, &app](Context&) {
    if (topic->empty()) {
      std::cout << app.help();
      return 0;
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      if (sub->check_name(topic->front())) {
        std::cout << sub->help(app.get_name());
        return 0;
      }
    }
    throw UsageError("No help topic for '" + topic->front() + "'");
  };
}

}  // namespace skiff::cli
