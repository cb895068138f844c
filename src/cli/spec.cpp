// skiff spec: write a starter config.json into the bundle, never over an
// existing one.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "cli/cli.hpp"
#include "util/error.hpp"

namespace skiff::cli {
namespace {

void write_new_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0 && errno == EEXIST) throw_error("spec", "File config.json exists. Remove it first");
  if (fd < 0) throw_errno("creating " + path);
  const UniqueFd file(fd);
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(file.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("writing " + path);
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Action add_spec(CLI::App& app) {
  struct Args {
    std::string bundle = ".";
    bool rootless = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("spec", "create a new specification file");
  cmd->add_option("-b,--bundle", a->bundle, "path to the root of the bundle directory");
  cmd->add_flag("--rootless", a->rootless, "generate a configuration for a rootless container");
  cmd->footer("The spec is a starter file: edit process.args (\"sh\") and the rest to suit the bundle.");
  return [a](Context&) {
    std::string text = default_spec_json(a->rootless);
    if (text.empty() || text.back() != '\n') text += '\n';
    write_new_file(a->bundle + "/config.json", text);
    return 0;
  };
}

}  // namespace skiff::cli
