// Argument normalization: make CLI11 parse a command line the way runc's
// (urfave/cli + Go flag) does before handing it over.
//
// Two things differ. Go flags may be spelled with one dash (-bundle, -pid-file),
// which CLI11 would read as a cluster of short flags. And `exec ID sh -c x` /
// `ps ID -ef` end with a command line of their own whose flags are not ours:
// CLI11 would happily parse `-c` as --cap. So we walk argv once, knowing which
// of our options take a value, and cut argv where the foreign command line
// starts (or at "--"). A subcommand's operands never go through CLI11 at all:
// it would take a container named "list" for the list command, and its "--"
// inside a subcommand returns to the parent app. main() appends them to the
// command's positional after parsing.
#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace skiff::cli {
namespace {

bool is_flag_token(const std::string& token) { return token.size() > 1 && token[0] == '-'; }

// CLI11 flags expect no value (their type size is not 0, so ask this).
bool takes_value(const CLI::Option* option) { return option != nullptr && option->get_expected_min() > 0; }

// Copies one option token (and its separate value, if any) from args[i] on,
// advancing i past what it consumed.
void copy_option(CLI::App& command, const std::vector<std::string>& args, std::size_t& i,
                 std::vector<std::string>& out) {
  std::string token = args[i++];
  const auto eq = token.find('=');
  const bool inline_value = eq != std::string::npos;
  const std::string name = token.substr(0, eq);

  // Go-style "-long-name": rewrite to "--long-name" when that option exists.
  if (name.size() > 2 && name[1] != '-' && command.get_option_no_throw("-" + name) != nullptr) {
    token.insert(0, "-");
  }

  if (token.starts_with("--")) {
    out.push_back(token);
    if (!inline_value && i < args.size() && takes_value(command.get_option_no_throw(token))) {
      out.push_back(args[i++]);
    }
    return;
  }

  // A cluster of short flags ("-dt", "-uroot"): a value-taking letter eats the
  // rest of the token, or the next argument when it is last.
  out.push_back(token);
  for (std::size_t k = 1; k < token.size(); ++k) {
    if (!takes_value(command.get_option_no_throw(std::string{'-', token[k]}))) continue;
    if (k + 1 == token.size() && i < args.size()) out.push_back(args[i++]);
    return;
  }
}

CLI::App* find_subcommand(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->check_name(name)) return sub;
  }
  return nullptr;
}

void copy_rest(const std::vector<std::string>& args, std::size_t i, std::vector<std::string>& out) {
  out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
}

// The subcommand's own arguments, from args[i] on.
void normalize_subcommand(CLI::App& command, Trailing trailing, const std::vector<std::string>& args,
                          std::size_t i, NormalizedArgs& out) {
  std::size_t operands = 0;
  while (i < args.size()) {
    const std::string& token = args[i];
    if (token == "--") return copy_rest(args, i + 1, out.operands);
    const bool foreign_starts = trailing != Trailing::None && operands == 1 &&
                                (trailing == Trailing::AfterFirst || !is_flag_token(token));
    if (foreign_starts) return copy_rest(args, i, out.operands);
    if (is_flag_token(token)) {
      copy_option(command, args, i, out.parse);
      continue;
    }
    out.operands.push_back(token);
    ++operands;
    ++i;
  }
}

}  // namespace

std::string command_name(CLI::App& app, const std::vector<std::string>& argv) {
  std::vector<std::string> skipped;
  for (std::size_t i = 1; i < argv.size();) {
    if (argv[i] == "--") return "";
    if (!is_flag_token(argv[i])) return argv[i];
    copy_option(app, argv, i, skipped);
  }
  return "";
}

NormalizedArgs normalize_args(CLI::App& app, const std::vector<std::string>& argv,
                              const std::function<Trailing(const std::string&)>& trailing_of) {
  NormalizedArgs out;
  std::size_t i = 1;
  while (i < argv.size()) {
    const std::string& token = argv[i];
    if (token == "--") {
      copy_rest(argv, i, out.parse);
      break;
    }
    if (is_flag_token(token)) {
      copy_option(app, argv, i, out.parse);
      continue;
    }
    out.parse.push_back(token);
    out.command = token;
    ++i;
    if (CLI::App* sub = find_subcommand(app, token)) {
      normalize_subcommand(*sub, trailing_of(sub->get_name()), argv, i, out);
    } else {
      copy_rest(argv, i, out.parse);
    }
    break;
  }
  return out;
}

}  // namespace skiff::cli
