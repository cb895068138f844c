// The command line's parsing rules, which scripts written for runc rely on:
// flags before or after the container id, "--", and a command line of its
// own after `exec ID` / `ps ID` whose flags are never taken for ours.
//
// The CLI sources are not part of libskiff, so the two pure ones under test
// are compiled into this file.
#include <catch2/catch.hpp>

#include "cli/args.cpp"    // NOLINT(bugprone-suspicious-include)
#include "cli/common.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

using skiff::cli::NormalizedArgs;
using skiff::cli::Trailing;
using Args = std::vector<std::string>;

// An app with the global flags and the exec/ps/kill/create flags that matter.
struct TestApp {
  CLI::App app{"test", "skiff"};
  std::string root, user, bundle, format;
  std::vector<std::string> env, caps, exec_args, ps_args, kill_args, create_args;
  bool all = false, tty = false;

  TestApp() {
    app.add_option("--root", root);
    app.add_flag("--debug");
    CLI::App* exec = app.add_subcommand("exec");
    exec->add_option("args", exec_args);
    exec->add_option("-u,--user", user);
    exec->add_option("-e,--env", env)->allow_extra_args(false);
    exec->add_option("-c,--cap", caps)->allow_extra_args(false);
    exec->add_flag("-t,--tty", tty);
    CLI::App* ps = app.add_subcommand("ps");
    ps->add_option("args", ps_args);
    ps->add_option("-f,--format", format);
    CLI::App* kill = app.add_subcommand("kill");
    kill->add_option("args", kill_args);
    kill->add_flag("-a,--all", all);
    CLI::App* create = app.add_subcommand("create");
    create->add_option("args", create_args);
    create->add_option("-b,--bundle", bundle);
  }

  NormalizedArgs normalize(Args argv) {
    argv.insert(argv.begin(), "skiff");
    return skiff::cli::normalize_args(app, argv, [](const std::string& name) {
      if (name == "exec") return Trailing::AtSecondOperand;
      if (name == "ps") return Trailing::AfterFirst;
      return Trailing::None;
    });
  }

  // Parses like main() does: CLI11 on the flags, then the operands appended
  // to the command's positional.
  NormalizedArgs parse(Args argv) {
    NormalizedArgs normalized = normalize(std::move(argv));
    Args reversed(normalized.parse.rbegin(), normalized.parse.rend());
    app.parse(reversed);
    for (CLI::App* sub : app.get_subcommands()) {
      CLI::Option* positional = sub->get_option("args");
      for (const auto& operand : normalized.operands) positional->add_result(operand);
      positional->run_callback();
    }
    return normalized;
  }
};

}  // namespace

TEST_CASE("exec: the command line starts at the first word after the id", "[cli]") {
  TestApp t;
  const auto n = t.parse({"exec", "c1", "sh", "-c", "echo hi"});
  CHECK(n.parse == Args{"exec"});
  CHECK(n.operands == Args{"c1", "sh", "-c", "echo hi"});
  CHECK(t.exec_args == Args{"c1", "sh", "-c", "echo hi"});
  CHECK(t.caps.empty());
}

TEST_CASE("exec: our flags are taken before and after the id, not after the command", "[cli]") {
  TestApp t;
  const auto n = t.parse({"--root", "/r", "exec", "-e", "A=1", "c1", "--user", "1000", "-t", "ls", "-t", "-e"});
  CHECK(t.root == "/r");
  CHECK(t.env == Args{"A=1"});
  CHECK(t.user == "1000");
  CHECK(t.tty);
  CHECK(n.operands == Args{"c1", "ls", "-t", "-e"});
}

TEST_CASE("exec: a value-taking flag does not swallow the id, and -- ends our flags", "[cli]") {
  TestApp t;
  CHECK(t.normalize({"exec", "-e", "A", "c1", "sh"}).operands == Args{"c1", "sh"});
  TestApp u;
  const auto n = u.parse({"exec", "c1", "--", "-weird", "--cap", "x"});
  CHECK(n.operands == Args{"c1", "-weird", "--cap", "x"});
  CHECK(u.caps.empty());
  TestApp v;
  CHECK(v.normalize({"exec", "--", "c1", "sh"}).operands == Args{"c1", "sh"});
}

TEST_CASE("exec: a command named like a skiff command is still the command", "[cli]") {
  TestApp t;
  const auto n = t.parse({"exec", "c1", "ps", "aux"});
  CHECK(n.operands == Args{"c1", "ps", "aux"});
  CHECK_FALSE(t.app.get_subcommand("ps")->parsed());
}

TEST_CASE("exec: short flag clusters with a value", "[cli]") {
  TestApp t;
  const auto n = t.parse({"exec", "-tu", "0", "c1", "id"});
  CHECK(t.tty);
  CHECK(t.user == "0");
  CHECK(n.operands == Args{"c1", "id"});
}

TEST_CASE("ps: everything after the id is for ps(1)", "[cli]") {
  TestApp t;
  const auto n = t.parse({"ps", "--format", "table", "c1", "-f", "-o", "pid"});
  CHECK(t.format == "table");
  CHECK(t.ps_args == Args{"c1", "-f", "-o", "pid"});
  CHECK(n.operands == Args{"c1", "-f", "-o", "pid"});
}

TEST_CASE("kill: flags after the id and the signal", "[cli]") {
  TestApp t;
  const auto n = t.parse({"kill", "c1", "9", "--all"});
  CHECK(t.all);
  CHECK(t.kill_args == Args{"c1", "9"});
  CHECK(n.parse == Args{"kill", "--all"});
}

TEST_CASE("a container named like a command is an operand", "[cli]") {
  TestApp t;
  t.parse({"kill", "list", "KILL"});
  CHECK(t.kill_args == Args{"list", "KILL"});
  CHECK_FALSE(t.app.get_subcommand("ps")->parsed());
}

TEST_CASE("Go-style single-dash long flags are accepted", "[cli]") {
  TestApp t;
  t.parse({"-root", "/r", "create", "-bundle", "/b", "c1"});
  CHECK(t.root == "/r");
  CHECK(t.bundle == "/b");
  CHECK(t.create_args == Args{"c1"});
  TestApp u;
  u.parse({"create", "--bundle=/b2", "c1"});
  CHECK(u.bundle == "/b2");
}

TEST_CASE("list's table is aligned like runc's tabwriter", "[cli]") {
  const std::string table = skiff::cli::format_table(
      {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"},
       {"a-rather-long-id", "42", "running", "/b", "2026-01-01T00:00:00Z", "root"}});
  CHECK(table ==
        "ID                 PID         STATUS      BUNDLE      CREATED                OWNER\n"
        "a-rather-long-id   42          running     /b          2026-01-01T00:00:00Z   root\n");
  CHECK(skiff::cli::format_table({{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}}) ==
        "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n");
}
