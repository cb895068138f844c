// bench/interleave: times commands in turns, one run of each per turn (in a
// shuffled order), for bench/rounds.sh. This host's speed drifts by tens of percent within
// seconds; commands timed one after the other (hyperfine times a command's
// runs in one go) carry their window's drift into the ratios, commands
// taking turns run by run share it.
//
//   interleave --runs N [--warmup N] --export-json FILE NAME=COMMAND...
//
// COMMAND is split into words as a shell would without expanding anything
// (quotes group words, '' is an empty word) and run without a shell, its
// output to /dev/null. A command that fails stops everything (exit 1). FILE
// gets hyperfine's shape: {"results": [{"command": NAME, "times": [seconds],
// "median", "mean", "stddev", "min"}]}, in the order given.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Command {
  std::string name;
  std::vector<std::string> words;
  std::vector<double> times;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "interleave: %s\n", message.c_str());
  std::exit(2);
}

// Shell-like words: blanks separate, '...' and "..." quote (no escapes).
std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) usage_error("unterminated quote in: " + text);
  if (in_word) words.push_back(word);
  if (words.empty()) usage_error("empty command");
  return words;
}

double now() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Runs command once; its wall time in seconds.
double run_once(const Command& command) {
  std::vector<char*> argv;
  for (const auto& word : command.words) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  double start = now();
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "interleave: %s: %s\n", command.name.c_str(), std::strerror(rc));
    std::exit(1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  double elapsed = now() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "interleave: %s failed (status %d)\n", command.name.c_str(), status);
    std::exit(1);
  }
  return elapsed;
}

void write_results(const std::string& path, std::vector<Command>& commands) {
  FILE* out = std::fopen(path.c_str(), "w");
  if (!out) usage_error(path + ": " + std::strerror(errno));
  std::fprintf(out, "{\"results\": [");
  for (size_t i = 0; i < commands.size(); ++i) {
    auto& times = commands[i].times;
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    double mean = 0;
    for (double t : times) mean += t / static_cast<double>(times.size());
    double variance = 0;
    for (double t : times) variance += (t - mean) * (t - mean) / static_cast<double>(times.size());
    std::fprintf(out, "%s\n{\"command\": \"%s\", \"median\": %.9f, \"mean\": %.9f, \"stddev\": %.9f, \"min\": %.9f, \"times\": [",
                 i ? "," : "", commands[i].name.c_str(), sorted[sorted.size() / 2], mean, std::sqrt(variance),
                 sorted.front());
    for (size_t k = 0; k < times.size(); ++k) std::fprintf(out, "%s%.9f", k ? ", " : "", times[k]);
    std::fprintf(out, "]}");
  }
  std::fprintf(out, "\n]}\n");
  if (std::fclose(out) != 0) usage_error(path + ": " + std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 0, warmup = 0;
  std::string export_json;
  std::vector<Command> commands;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--runs") runs = std::atoi(value().c_str());
    else if (arg == "--warmup") warmup = std::atoi(value().c_str());
    else if (arg == "--export-json") export_json = value();
    else if (auto equals = arg.find('='); equals != std::string::npos && arg[0] != '-')
      commands.push_back({arg.substr(0, equals), split_words(arg.substr(equals + 1)), {}});
    else usage_error("unknown argument: " + arg);
  }
  if (runs <= 0 || export_json.empty() || commands.empty())
    usage_error("usage: interleave --runs N [--warmup N] --export-json FILE NAME=COMMAND...");
  // Each turn runs the commands in a new order: a run is slowed by what the
  // one before it left to the kernel (a network namespace to clean up, a
  // large address space to free), and no command may always follow the
  // same one. The seed is fixed: runs are repeatable.
  std::vector<size_t> order(commands.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 shuffler(1);
  for (int turn = 0; turn < warmup + runs; ++turn) {
    std::shuffle(order.begin(), order.end(), shuffler);
    for (size_t i : order) {
      double elapsed = run_once(commands[i]);
      if (turn >= warmup) commands[i].times.push_back(elapsed);
    }
  }
  write_results(export_json, commands);
}
